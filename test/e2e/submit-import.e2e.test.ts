/**
 * `submit --import` with the local runner, end to end on moto's server (S3 and DynamoDB in one): a
 * generated archive on moto's S3, the real job jar writing the import files through S3A under the
 * S3 staging, ImportTable creating the table from them, TTL switched on after. The new table must
 * hold exactly the oracle's items (expired ones left out: the new table has TTL on `ttl`).
 * `--dry-run` writes nothing anywhere; a table that exists is refused before any job runs.
 */
import { DeleteTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient, type DynamoDbClient } from '../../src/aws/dynamodb.js';
import { DEFAULT_TTL_SECONDS } from '../../src/domain/contract.js';
import { compareKeys, expectedManifest, type ExpectedManifest } from '../../src/domain/enriched.js';
import { isUserError } from '../../src/domain/errors.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { loadRunRecord, saveRunRecord } from '../../src/services/run-records.js';
import { runStatus } from '../../src/services/runs.js';
import {
  submit,
  submitCommandLine,
  submitLocal,
  type SubmitContext,
  type SubmitOptions,
} from '../../src/services/submit.js';
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

/** What an imported table must hold: the oracle without the expired items. */
function importOracle(): ExpectedManifest {
  return expectedManifest(archive.runs, {
    etlTime: 'run',
    ttlSeconds: DEFAULT_TTL_SECONDS,
    skipExpired: true,
    nowSeconds: Math.floor(NOW.toSeconds()),
  });
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
    // 180 days is the default ttl; runs follow 3-6 hours apart: the first ones are past it.
    firstRun: NOW.minus({ days: 180, hours: 10 }),
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
    const expected = importOracle();
    expect(expected.counters.expired).toBeGreaterThan(0);
    expect(expected.items.length).toBeGreaterThan(0);
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

  it('a recorded import run: status shows the import, an identical submit imports nothing, --resume re-imports without a job', async () => {
    const table = 'manifest-recorded';
    const recordsDir = path.join(stack.dir, 'records');
    const first = await submitLocal(options(table, { recordsDir }));
    expect(first.import?.status).toBe('COMPLETED');
    const status = await runStatus({
      recordsDir,
      run: first.runName,
      env: cleanEnv({}),
      watch: false,
      log: () => {},
      onProgress: () => {},
    });
    expect(status.import?.status).toBe('COMPLETED');
    expect(status.import?.ttlEnabled).toBe(true);
    expect(status.exitCode).toBe(0);

    // The same submit again: the table it made is there, so nothing is run or imported.
    const keys = await stagingKeys();
    const again = await submitLocal(options(table, { recordsDir })).catch((e: unknown) => e);
    expect((again as { code?: string }).code).toBe('TABLE_EXISTS');
    expect(await stagingKeys()).toEqual(keys);

    // Submit stopped between the job and ImportTable (the record has no import ARN), and the table is
    // gone: the resume imports the job's files, and no job runs.
    const sdk = new DynamoDBClient({ region: TEST_REGION, endpoint: moto.endpoint, credentials: TEST_KEYS });
    await sdk.send(new DeleteTableCommand({ TableName: table }));
    sdk.destroy();
    const record = loadRunRecord(recordsDir, first.runName);
    const { importArn: _arn, ...unstarted } = record.import!;
    saveRunRecord(recordsDir, { ...record, import: { ...unstarted, status: 'STARTING', ttlEnabled: false } });
    expect(
      (
        await runStatus({
          recordsDir,
          run: first.runName,
          env: cleanEnv({}),
          watch: false,
          log: () => {},
          onProgress: () => {},
        })
      ).exitCode,
    ).toBe(4);
    const lines: string[] = [];
    const {
      runner: _runner,
      archive: _a,
      storageConfigPath: _s,
      resolverPath: _r,
      staging: _st,
      ...ctx
    } = options(table, {
      recordsDir,
      log: (l) => lines.push(l),
    });
    const resumed = await submitCommandLine(
      {
        resume: true,
        run: first.runName,
        settings: {},
        skipPresent: false,
        createApplication: false,
        tags: [],
      },
      { ...ctx, recordsDir, runner: undefined } as SubmitContext,
    );
    expect(resumed.status).toBe('SUCCEEDED');
    if (resumed.status !== 'SUCCEEDED') return;
    expect(resumed.runName).toBe(first.runName);
    expect(resumed.import?.status).toBe('COMPLETED');
    expect(lines.join('\n')).not.toContain('Running the job');
    expect(loadRunRecord(recordsDir, first.runName).import?.attempts).toBe(2);
    expect((await dynamo.scanItems(table)).sort(compareKeys)).toEqual(importOracle().items);
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
