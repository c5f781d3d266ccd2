/** `populator iam-policy` through bin/run.js: the documents on stdout and in files, the account from STS (moto). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';

const bin = path.resolve('bin/run.js');
const storage = path.resolve('test/fixtures/configs/storage-2-0-0.json');
const base = [
  'iam-policy',
  's3://acme-archive/enriched/archive/',
  storage,
  '--staging',
  's3://acme-ops/populator/',
];
let moto: S3Emulator;
let dir: string;

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('AWS_') || k.startsWith('POPULATOR_')) delete clean[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...clean, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'populator-iam-'));
  moto = await startS3Emulator({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'x' },
  });
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('populator iam-policy', () => {
  it('prints one document alone, ready for aws iam', async () => {
    const r = await run([...base, '--account-id', '111122223333', '--document', 'trust']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      Statement: { Principal: { Service: string }; Condition: unknown }[];
    };
    expect(doc.Statement[0]?.Principal.Service).toBe('emr-serverless.amazonaws.com');
    expect(JSON.stringify(doc)).toContain('111122223333');
  });

  it('writes the three files and prints the aws iam commands that apply them', async () => {
    const out = path.join(dir, 'policies');
    const r = await run([
      ...base,
      '--execution-role-arn',
      'arn:aws:iam::111122223333:role/bf',
      '--output-dir',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const role = JSON.parse(readFileSync(path.join(out, 'execution-role-policy.json'), 'utf8')) as {
      Statement: unknown[];
    };
    expect(JSON.stringify(role)).toContain(
      'arn:aws:dynamodb:us-west-2:111122223333:table/snowplow-event-manifest',
    );
    const caller = readFileSync(path.join(out, 'caller-policy.json'), 'utf8');
    expect(caller).toContain('arn:aws:iam::111122223333:role/bf');
    expect(r.stdout).toContain(
      `aws iam create-role --role-name bf --assume-role-policy-document file://${out}/execution-role-trust-policy.json`,
    );
    // The storage config's keys never appear in a policy.
    expect(r.stdout + caller).not.toContain('wJalrXUtnFEMI');
  });

  it('finds the account through STS when neither --account-id nor a role ARN names it', async () => {
    const r = await run([...base, '--json'], { AWS_ENDPOINT_URL_STS: moto.endpoint });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { account: string; accountFrom: string; roleArn: string };
    expect(doc).toMatchObject({
      account: '123456789012',
      accountFrom: 'STS',
      roleArn: 'arn:aws:iam::123456789012:role/populator-emr-job',
    });
  });

  it('refuses a local archive and a missing --staging, both at once', async () => {
    const r = await run(['iam-policy', './archive', storage, '--account-id', '111122223333']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2 problems');
    expect(r.stderr).toContain('is not an s3:// location');
    expect(r.stderr).toContain('--staging is required');
  });
});
