/**
 * The default credential chain end to end: a 2-0-0 storage config with `auth: null`, keys only in a
 * shared credentials file, picked by --profile. The CLI's DynamoDB checks and the job's JVM must
 * both find them; without the profile the CLI stops before Spark with a credentials hint.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { startLocalStack, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';

const SECRET = 'profile-secret-never-printed-5678';
let stack: LocalStack;
let archive: DemoArchiveManifest;
let storage: string;
let credentialsFile: string;

function run(
  args: string[],
  extraEnv: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Nothing from the caller's AWS setup may leak in: only the shared file of this test.
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ENDPOINT_URL',
  ])
    delete env[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve('bin/run.js'), ...args],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startLocalStack();
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 5,
    events: 300,
    firstRun: DateTime.utc().minus({ days: 3 }),
  });
  await stack.dynamo.createManifestTable('manifest-profile', { billingMode: 'PAY_PER_REQUEST' });
  storage = path.join(stack.dir, 'storage-default-chain.json');
  writeFileSync(
    storage,
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
      data: {
        name: 'default chain',
        auth: null,
        awsRegion: TEST_REGION,
        dynamodbTable: 'manifest-profile',
        id: '6f2c1a1e-1b1a-4b1e-9d3b-2a7d4c1e0f01',
        purpose: 'EVENTS_MANIFEST',
      },
    }),
  );
  credentialsFile = path.join(stack.dir, 'aws-credentials');
  writeFileSync(
    credentialsFile,
    `[analytics]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = ${SECRET}\n`,
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('credentials from the default chain', () => {
  it('uses the --profile of a shared credentials file in the CLI and in the job', async () => {
    const r = await run(
      [
        'submit',
        archive.dir,
        storage,
        stack.resolver,
        '--runner',
        'local',
        '--profile',
        'analytics',
        '--master',
        'local[2]',
        '--staging',
        path.join(stack.dir, 'profile'),
        '--json',
      ],
      {
        AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
        AWS_CONFIG_FILE: path.join(stack.dir, 'no-config'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { summary: { counters: { written: number } } };
    expect(result.summary.counters.written).toBe(await stack.dynamo.countItems('manifest-profile'));
    expect(result.summary.counters.written).toBeGreaterThan(0);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  }, 300_000);

  it('stops before Spark with a credentials hint when the chain finds nothing', async () => {
    const r = await run(['submit', archive.dir, storage, stack.resolver, '--runner', 'local'], {
      AWS_SHARED_CREDENTIALS_FILE: path.join(stack.dir, 'no-credentials'),
      AWS_CONFIG_FILE: path.join(stack.dir, 'no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/credentials/i);
    expect(r.stderr).toMatch(/--profile|AWS_PROFILE/);
    expect(r.stderr).not.toMatch(/Running the job/);
  }, 120_000);
});
