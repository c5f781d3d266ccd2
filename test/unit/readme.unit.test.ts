import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_DESCRIPTIONS, EXIT_CODES } from '../../src/domain/errors.js';
import { CHECK_GROUPS } from '../../src/domain/checks.js';
import { JOB_ARGS, JOB_MAIN_CLASS } from '../../src/domain/contract.js';
import IamPolicy from '../../src/commands/iam-policy.js';
import { callerPolicy, executionRolePolicy, type PolicyContext } from '../../src/domain/iam-policy.js';
import Validate from '../../src/commands/validate.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('documents every exit code with its description', () => {
    for (const [name, code] of Object.entries(EXIT_CODES)) {
      const description = EXIT_CODE_DESCRIPTIONS[name as keyof typeof EXIT_CODES];
      const row = new RegExp(`^\\|\\s*${code}\\s*\\|\\s*(.*?)\\s*\\|$`, 'm').exec(readme);
      expect(row?.[1], `exit code ${code} in the README`).toBe(description);
    }
  });

  it('shows the two commands for a fresh machine', () => {
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm run demo');
    expect(readme).toContain('npm test');
  });

  it("documents the job's main class and every argument", () => {
    expect(readme).toContain(JOB_MAIN_CLASS);
    for (const arg of Object.values(JOB_ARGS)) expect(readme).toContain(`\`${arg} `);
  });

  it('documents the flags of validate and iam-policy, and every check group', () => {
    const section = (title: string) =>
      readme.slice(readme.indexOf(title), readme.indexOf('\n### ', readme.indexOf(title) + 1));
    const iam = section('### `populator iam-policy');
    for (const [name, flag] of Object.entries(IamPolicy.flags)) {
      expect(iam, `--${name}`).toContain(`--${name}`);
      if (flag.env) expect(iam, flag.env).toContain(flag.env);
    }
    const validate = section('### `populator validate');
    for (const name of [
      'runner',
      'application-id',
      'execution-role-arn',
      'staging',
      'log-path',
      'executors',
      'executor-cpu',
      'executor-memory',
      'driver-cpu',
      'driver-memory',
      'offline',
      'strict',
    ]) {
      const flag = Validate.flags[name as keyof typeof Validate.flags] as { env?: string };
      expect(validate, `--${name}`).toContain(`--${name}`);
      expect(validate, flag.env).toContain(flag.env ?? '');
    }
    for (const group of CHECK_GROUPS) expect(validate).toMatch(new RegExp(`^\\| ${group}\\s+\\|`, 'm'));
  });

  it('names the DynamoDB actions of the execution role and of the caller exactly as iam-policy grants them', () => {
    const ctx: PolicyContext = {
      partition: 'aws',
      region: 'us-east-1',
      account: '111122223333',
      archive: { bucket: 'a', prefix: 'p' },
      staging: { bucket: 's', prefix: 'p' },
      logs: { bucket: 'l', prefix: 'p' },
      table: 't',
      applicationId: 'app',
      roleArn: 'arn:aws:iam::111122223333:role/r',
    };
    const granted = (doc: ReturnType<typeof callerPolicy>): string[] =>
      [...new Set(doc.Statement.flatMap((s) => s.Action).filter((a) => a.startsWith('dynamodb:')))].sort();
    const named = (from: string, to: string): string[] => {
      const start = readme.indexOf(from);
      const text = readme.slice(start, readme.indexOf(to, start + from.length));
      return [...new Set(text.match(/dynamodb:\w+/g) ?? [])].sort();
    };
    const role = granted(executionRolePolicy(ctx));
    const caller = granted(callerPolicy(ctx));
    expect(named('2. **An execution role**', '3. **You**')).toEqual(role);
    expect(named('3. **You**', '\n\n')).toEqual(caller);
    expect(named('- its **permissions**', '- the **caller')).toEqual(role);
  });
});
