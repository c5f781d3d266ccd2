/** The CLI's answers to inputs a user gets wrong: exit code 2, what was wrong and how to fix it. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/run.js');
const fixtures = path.resolve('test/fixtures/configs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const storage = path.join(fixtures, 'storage-2-0-0.json');
const resolver = path.join(fixtures, 'resolver-embedded.json');

describe('submit: inputs a user can get wrong', () => {
  it('names both accepted formats for a bad --since', async () => {
    const r = await run(['submit', 'test/fixtures', storage, resolver, '--since', '2017/01/01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2017/01/01');
    expect(r.stderr).toMatch(/YYYY-MM-dd\b/);
    expect(r.stderr).toMatch(/YYYY-MM-dd-HH-mm-ss/);
  });

  it('reports every config problem at once, as JSON with --json', async () => {
    const r = await run([
      'submit',
      'test/fixtures',
      path.join(fixtures, 'resolver-embedded.json'),
      storage,
      '--json',
    ]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { status: string; error: { code: string; issues: unknown[] } };
    expect(doc.status).toBe('error');
    expect(doc.error.issues.length).toBeGreaterThan(0);
  });

  it('says the archive does not exist', async () => {
    const r = await run(['submit', 'no/such/archive', storage, resolver]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no\/such\/archive does not exist/);
  });

  it('rejects an unknown runner as a usage error', async () => {
    const r = await run(['submit', 'x', storage, resolver, '--runner', 'yarn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/runner/);
  });
});
