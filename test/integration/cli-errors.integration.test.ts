/** The CLI's answers to inputs a user gets wrong: exit code 2, what was wrong and how to fix it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/run.js');
const fixtures = path.resolve('test/fixtures/configs');

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9', ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const storage = path.join(fixtures, 'storage-2-0-0.json');
const resolver = path.join(fixtures, 'resolver-embedded.json');

describe('submit: inputs a user can get wrong', () => {
  it('names both accepted formats for a bad --since', async () => {
    const r = await run([
      'submit',
      'test/fixtures',
      storage,
      resolver,
      '--runner',
      'local',
      '--since',
      '2017/01/01',
    ]);
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
      '--runner',
      'local',
      '--json',
    ]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { status: string; error: { code: string; issues: unknown[] } };
    expect(doc.status).toBe('error');
    expect(doc.error.issues.length).toBeGreaterThan(0);
  });

  it('says the archive does not exist', async () => {
    const r = await run(['submit', 'no/such/archive', storage, resolver, '--runner', 'local']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no\/such\/archive does not exist/);
  });

  it('names the missing flag when neither an application nor a runner is given', async () => {
    const r = await run(['submit', 'test/fixtures', storage, resolver]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--application-id is missing');
    expect(r.stderr).toContain('--create-application');
    expect(r.stderr).toContain('--runner local');
  });

  it('lists every EMR Serverless flag problem at once', async () => {
    const r = await run([
      'submit',
      'test/fixtures',
      storage,
      resolver,
      '--application-id',
      'Not_An_Id',
      '--executor-cpu',
      '3',
      '--tag',
      'novalue',
      '--json',
    ]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { error: { code: string; issues: { source: string }[] } };
    // The validator's failures and submit's own flag problems, in one answer.
    expect(doc.error.code).toBe('VALIDATION_FAILED');
    expect(doc.error.issues.map((i) => i.source)).toEqual(
      expect.arrayContaining([
        '--application-id',
        '--execution-role-arn',
        '--executor-cpu',
        '--staging',
        '--tag',
        'archive',
      ]),
    );
  });

  it('names the missing arguments, and that --resume would take them from a run', async () => {
    const r = await run(['submit', 'test/fixtures', storage]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Missing RESOLVER (all three are needed unless --resume takes them from the run).',
    );
    expect(r.stderr).toMatch(/^Usage: populator submit /m);
  });

  it('refuses --run without --resume, and --resume with no run recorded', async () => {
    const r = await run(['submit', 'test/fixtures', storage, resolver, '--run', 'populator-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--run picks the run to resume: give --resume too.');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-cli-'));
    try {
      const none = await run(['submit', '--resume', '--json'], { XDG_CONFIG_HOME: dir });
      expect(none.code).toBe(2);
      expect((JSON.parse(none.stdout) as { error: { code: string } }).error.code).toBe('NO_RUNS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown runner as a usage error', async () => {
    const r = await run(['submit', 'x', storage, resolver, '--runner', 'yarn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/runner/);
  });
});

describe('finding one’s way: -h, -v, a mistyped command', () => {
  it('takes -h and -v as most CLIs do', async () => {
    const help = await run(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/COMMANDS[\s\S]*submit/);
    const submitHelp = await run(['submit', '-h']);
    expect(submitHelp.code).toBe(0);
    expect(submitHelp.stdout).toContain('USAGE');
    const version = await run(['-v']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^populator\/\d+\.\d+\.\d+ /);
  });

  it('suggests the closest command for a typo, and exits 2', async () => {
    const typo = await run(['sumbit']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('sumbit is not a populator command. Did you mean `populator submit`?');
    const unknown = await run(['xyzzy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('xyzzy is not a populator command.');
    expect(unknown.stderr).not.toContain('Did you mean');
  });
});

describe('POPULATOR_VERBOSE, the twin of --verbose', () => {
  it('shows the cause of an error as --verbose does; false or unset does not', async () => {
    const args = ['verify', fixtures, storage];
    const plain = await run(args);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('cannot reach DynamoDB');
    expect(plain.stderr).not.toContain('ECONNREFUSED 127.0.0.1:9\n    at ');
    const flag = await run([...args, '--verbose']);
    expect(flag.stderr).toContain('ECONNREFUSED 127.0.0.1:9\n    at ');
    const twin = await run(args, { POPULATOR_VERBOSE: 'true' });
    expect(twin.stderr).toContain('ECONNREFUSED 127.0.0.1:9\n    at ');
    expect((await run(args, { POPULATOR_VERBOSE: 'false' })).stderr).not.toContain('\n    at ');
  });
});

describe('validate takes submit’s whole command line', () => {
  it('accepts every submit flag and checks the ones only a submit has (--name, --tag, --timeout)', async () => {
    const r = await run([
      'validate',
      'test/fixtures',
      storage,
      resolver,
      '--application-id',
      'abc',
      '--execution-role-arn',
      'arn:aws:iam::123456789012:role/populator',
      '--staging',
      's3://bucket/populator/',
      '--name',
      'bad name',
      '--tag',
      'novalue',
      '--timeout',
      '3',
      '--dry-run',
      '--wait',
      '--skip-present',
      '--cancel-on-interrupt',
      '--offline',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout) as { checks: { id: string; status: string; source?: string }[] };
    const failed = doc.checks.filter((c) => c.id === 'flags.submit' && c.status === 'fail');
    expect(failed.map((c) => c.source).sort()).toEqual(['--name', '--tag', '--timeout']);
  });
});

describe('a staging folder that cannot be made', () => {
  it.runIf(process.platform === 'linux')(
    '--staging /proc/nope: validate and submit refuse it at once (exit 2)',
    async () => {
      const args = [storage, resolver, '--runner', 'local', '--staging', '/proc/nope', '--json'];
      const v = await run(['validate', 'test/fixtures', ...args, '--offline']);
      expect(v.code).toBe(2);
      const doc = JSON.parse(v.stdout) as { checks: { id: string; status: string; message: string }[] };
      expect(doc.checks.find((c) => c.id === 'staging.writable')).toMatchObject({ status: 'fail' });
      const sub = await run(['submit', 'test/fixtures', ...args]);
      expect(sub.code).toBe(2);
      expect(sub.stdout).toContain('/proc/nope cannot be created');
    },
  );
});

describe('a bad value from a flag’s environment twin', () => {
  it('names the variable, not only the flag', async () => {
    const rate = await run(['validate', 'a', 'b', 'c'], { POPULATOR_WRITE_RATE: '-1' });
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain(
      '--write-rate: Expected an integer greater than or equal to 1 but received: -1 (set by the environment variable POPULATOR_WRITE_RATE)',
    );
    const mode = await run(['submit', 'a', 'b', 'c', '--json'], { POPULATOR_ETL_TIME: 'bogus' });
    expect(mode.code).toBe(2);
    expect((JSON.parse(mode.stdout) as { error: { message: string } }).error.message).toContain(
      'set by the environment variable POPULATOR_ETL_TIME',
    );
    // Given on the command line, the flag is the one to blame.
    const flag = await run(['validate', 'a', 'b', 'c', '--write-rate', '-1'], { POPULATOR_WRITE_RATE: '5' });
    expect(flag.stderr).not.toContain('environment variable');
  });
});

describe('the AWS SDK’s notice about Node.js versions', () => {
  it('never lands in a command’s output, even when the caller’s environment holds an empty switch for it', async () => {
    const r = await run(['verify', fixtures, storage], {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '',
    });
    expect(r.stderr).toContain('cannot reach DynamoDB');
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
  });
});
