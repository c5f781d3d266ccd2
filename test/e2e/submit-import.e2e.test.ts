/**
 * `submit --import` with the local runner, end to end on moto's server (S3 and DynamoDB in one): a
 * generated archive on moto's S3, the real job jar writing the import files through S3A under the
 * S3 staging, ImportTable creating the table from them, TTL switched on after. The new table must
 * hold exactly the oracle's items (expired ones left out: the new table has TTL on `ttl`).
 * `--dry-run` writes nothing anywhere; a table that exists is refused before any job runs.
 */
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient, type DynamoDbClient } from '../../src/aws/dynamodb.js';
import { DEFAULT_TTL_SECONDS } from '../../src/domain/contract.js';
import { compareKeys, expectedManifest } from '../../src/domain/enriched.js';
import { isUserError } from '../../src/domain/errors.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submit, submitLocal, type SubmitOptions } from '../../src/services/submit.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
import { cleanEnv } from '../helpers/cli.js';
import { startAll } from '../helpers/start-all.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';

const NOW = DateTime.utc();
const BUCKET = 'enriched-archive';
const PREFIX = 'snowplow/enriched/archive';
const STAGING_BUCKET = 'ops';
const STAGING = `s3://${STAGING_BUCKET}/populator/`;
let stack: LocalStack;
let moto: S3Emulator;
let archive: DemoArchiveManifest;
/** The CLI's view of moto's DynamoDB, for the tests' own reads. */
let dynamo: DynamoDbClient;

function options(table: string, overrides: Partial<SubmitOptions> = {}): SubmitOptions {
  return stack.submitOptions(
    { archive: `s3://${BUCKET}/${PREFIX}/`, table, staging: 'unused', now: NOW },
    {
      staging: STAGING,
      s3Endpoint: moto.endpoint,
      dynamodbEndpoint: moto.endpoint,
      env: cleanEnv({
        AWS_ACCESS_KEY_ID: TEST_KEYS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_KEYS.secretAccessKey,
      }),
      import: {},
      importFollowIntervalMs: 200,
      ...overrides,
    },
  );
}

async function stagingKeys(): Promise<string[]> {
  const out = await moto.client.send(new ListObjectsV2Command({ Bucket: STAGING_BUCKET }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

beforeAll(async () => {
  [stack, moto] = await startAll(
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  // Runs old enough that some items are already expired: the import leaves them out.
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 23,
    events: 900,
    firstRun: NOW.minus({ days: 200 }),
  });
  await moto.createBucket(BUCKET);
  await moto.createBucket(STAGING_BUCKET);
  await moto.uploadDir(BUCKET, PREFIX, archive.dir);
  dynamo = createDynamoDbClient({ region: TEST_REGION, endpoint: moto.endpoint, credentials: TEST_KEYS });
  process.env.AWS_ACCESS_KEY_ID = TEST_KEYS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_KEYS.secretAccessKey;
}, 120_000);

afterAll(async () => {
  dynamo?.destroy();
  await Promise.all([stack?.stop(), moto?.stop()]);
});

describe('submit --import --runner local (moto: S3 and DynamoDB), end to end', () => {
  it('--dry-run prices the import beside the puts and writes nothing', async () => {
    const r = await submit({ ...options('manifest-dry'), runner: 'local', dryRun: true });
    expect(r.status).toBe('PLANNED');
    expect(r.plan.import).not.toBeNull();
    expect(r.plan.import?.usd).toBeGreaterThan(0);
    expect(r.plan.import?.puts.onDemandUsd).toBeGreaterThan(r.plan.import?.usd ?? Infinity);
    expect(r.writeRateSource).toBe('import');
    expect((await dynamo.describeManifestTable('manifest-dry')).exists).toBe(false);
    expect(await stagingKeys()).toEqual([]);
  }, 120_000);

  it('creates the table from the job files: the oracle without expired items, TTL on ttl', async () => {
    const table = 'manifest-imported';
    const expected = expectedManifest(archive.runs, {
      etlTime: 'run',
      ttlSeconds: DEFAULT_TTL_SECONDS,
      skipExpired: true,
      nowSeconds: Math.floor(NOW.toSeconds()),
    });
    expect(expected.counters.expired).toBeGreaterThan(0);
    const lines: string[] = [];
    const r = await submitLocal(options(table, { log: (l) => lines.push(l) }));
    expect(r.summary.counters).toEqual(expected.counters);
    expect(countersAddUp(r.summary.counters)).toBe(true);
    expect(r.summary.import?.items).toBe(expected.items.length);
    expect(r.import?.status).toBe('COMPLETED');
    expect(r.import?.items).toBe(expected.items.length);
    expect(r.import?.usd).toBeGreaterThan(0);
    expect(r.import?.folder).toBe(`${STAGING}runs/${r.runName}/import/`);
    expect((await dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);

    const sdk = new DynamoDBClient({ region: TEST_REGION, endpoint: moto.endpoint, credentials: TEST_KEYS });
    const ttl = await sdk.send(new DescribeTimeToLiveCommand({ TableName: table }));
    sdk.destroy();
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');

    // Only import files under the import folder (ImportTable reads every object there).
    const keys = (await stagingKeys()).filter((k) => k.includes(`/runs/${r.runName}/import/`));
    expect(keys.length).toBe(r.summary.import?.objects);
    expect(keys.every((k) => /part-\d+.*\.json\.gz$/.test(k))).toBe(true);
    // The report stays on this machine.
    expect(r.output.startsWith(stack.dir)).toBe(true);
    expect(lines.join('\n')).toContain('Importing');
  }, 300_000);

  it('refuses an existing table before any job runs (exit 2), naming the two ways on', async () => {
    const table = 'manifest-exists';
    await dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const before = await stagingKeys();
    const error = await submitLocal(options(table)).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as { code?: string }).code).toBe('TABLE_EXISTS');
    expect((error as { exitCode?: number }).exitCode).toBe(2);
    expect((error as Error).message).toContain('already exists');
    expect(await stagingKeys()).toEqual(before);
  }, 120_000);

  it('refuses a local staging with --import', async () => {
    const error = await submitLocal(
      options('manifest-local-staging', { staging: path.join(stack.dir, 'st') }),
    ).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('IMPORT_STAGING');
  }, 120_000);
});
