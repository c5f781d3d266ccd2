import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { awsIamCommands, shellQuote } from '../../../src/output/policies.js';
import type { IamPolicyResult } from '../../../src/services/iam-policy.js';

const result = { roleName: 'populator-job' } as IamPolicyResult;

/** The words a POSIX shell splits a command line into. */
function words(line: string): string[] {
  return execFileSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' })
    .trimEnd()
    .split('\n');
}

describe('the aws iam commands of iam-policy', () => {
  it('keep an --output-dir with spaces and quotes one word each, as the shell reads them', () => {
    const dir = "/tmp/my policies/bob's";
    const [create] = awsIamCommands(result, dir);
    expect(words(create!.replace(/^aws /, ''))).toEqual([
      'iam',
      'create-role',
      '--role-name',
      'populator-job',
      '--assume-role-policy-document',
      `file://${dir}/execution-role-trust-policy.json`,
    ]);
  });

  it('leave plain paths as they are', () => {
    expect(awsIamCommands(result, './policies/')[0]).toContain(
      ' file://./policies/execution-role-trust-policy.json',
    );
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('plain/path_1.json')).toBe('plain/path_1.json');
  });
});
