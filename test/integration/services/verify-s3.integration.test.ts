/**
 * `verify` on an archive in S3 (moto's server): ranged GETs and streamed gzip objects give exactly
 * the sample the same archive gives on disk, the job's listing rules hold (markers, hidden files,
 * folders that are not runs), and a recorded run's summary.json is read from S3.
 */
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TTL_SECONDS } from '../../../src/domain/contract.js';
import { type ExpectedManifest } from '../../../src/domain/enriched.js';
import { RUN_RECORD_VERSION } from '../../../src/domain/run-record.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../../src/services/demo-archive.js';
import { saveRunRecord } from '../../../src/services/run-records.js';
import { verifyManifest, type VerifyOptions } from '../../../src/services/verify.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../../helpers/local-stack.js';
import { manifestWriter } from '../../helpers/manifest-fill.js';
import { startAll } from '../../helpers/start-all.js';
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';
import { defaultManifest } from '../../helpers/oracle.js';

const BUCKET = 'verify-archive';
const PREFIX = 'enriched/archive';
const TABLE = 'verify-s3';
const now = DateTime.utc().startOf('second');
let stack: LocalStack;
let s3: S3Emulator;
let archive: DemoArchiveManifest;
let oracle: ExpectedManifest;

beforeAll(async () => {
  [stack, s3] = await startAll(
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  // S3 is read with the caller's own identity (the storage config's keys are DynamoDB's).
  process.env.AWS_ACCESS_KEY_ID = TEST_KEYS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_KEYS.secretAccessKey;
  delete process.env.AWS_PROFILE;
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 12,
    events: 2000,
    firstRun: now.minus({ days: 3 }).startOf('hour'),
  });
  oracle = defaultManifest(archive.runs, now);
  await s3.createBucket(BUCKET);
  await s3.uploadDir(BUCKET, PREFIX, archive.dir);
  // What the job skips: a hidden checksum file and a folder marker.
  const run = archive.runs[0]!.folder;
  await s3.putObject(BUCKET, `${PREFIX}/${run}/.part-00000.crc`, 'not an event\n');
  await s3.putObject(BUCKET, `${PREFIX}/${run}/sub/`, '');
  await stack.dynamo.createManifestTable(TABLE, { billingMode: 'PAY_PER_REQUEST' });
  const writer = manifestWriter(stack.dynalite.endpoint, TEST_REGION, TEST_KEYS);
  await writer.put(TABLE, oracle.items);
  writer.destroy();
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), s3?.stop()]);
});

const verify = (archiveUri: string, o: Partial<VerifyOptions> = {}) =>
  verifyManifest({
    archive: archiveUri,
    storageConfigPath: stack.storageConfig(TABLE),
    seed: 4,
    sample: 1500,
    consistentRead: false,
    dynamodbEndpoint: stack.dynalite.endpoint,
    s3Endpoint: s3.endpoint,
    cwd: stack.dir,
    env: {},
    now,
    log: () => {},
    ...o,
  });

describe('verify with an archive in S3', () => {
  it('draws the same sample as from the same archive on disk, with ranged and streamed GETs', async () => {
    const remote = await verify(`s3://${BUCKET}/${PREFIX}/`);
    const local = await verify(archive.dir);
    expect(remote.selection).toMatchObject({
      runs: archive.runs.length,
      files: local.selection.files,
      bytes: local.selection.bytes,
    });
    expect(remote.selection.ignored.map((p) => p.replace(/\/$/, '').split('/').pop()).sort()).toEqual(
      archive.ignoredFolders.sort(),
    );
    expect(remote.counts).toEqual(local.counts);
    expect(remote.sampling.attempts).toBe(local.sampling.attempts);
    expect(remote.coverage).toMatchObject({ estimate: 1, verdict: 'notProven' });
    expect(remote.counts.missing).toBe(0);
    expect(remote.sampling.readRequests).toBeGreaterThan(remote.selection.gzipFiles);
    expect(remote.sampling.bytesRead).toBeGreaterThan(0);
  });

  it("reads a recorded run's summary.json from S3 and checks etlTime exactly", async () => {
    const recordsDir = path.join(stack.dir, 'records');
    const output = `s3://${BUCKET}/staging/runs/populator-s3-run/`;
    saveRunRecord(recordsDir, {
      version: RUN_RECORD_VERSION,
      runName: 'populator-s3-run',
      runner: 'emr-serverless',
      createdAt: now.toISO() ?? '',
      region: TEST_REGION,
      table: TABLE,
      staging: `s3://${BUCKET}/staging/`,
      output,
      inputs: {
        archive: `s3://${BUCKET}/${PREFIX}/`,
        storageConfig: stack.storageConfig(TABLE),
        resolver: stack.resolver,
        since: null,
        until: null,
        etlTime: 'run',
        ttlSeconds: DEFAULT_TTL_SECONDS,
        writeExpired: false,
      },
    });
    await s3.putObject(
      BUCKET,
      'staging/runs/populator-s3-run/summary.json',
      JSON.stringify({
        status: 'SUCCEEDED',
        etlTimeMode: 'run',
        ttlSeconds: DEFAULT_TTL_SECONDS,
        skipExpired: false,
        since: null,
        until: null,
        filesRead: archive.files.filter((f) => f.role === 'data').length,
        bytesRead: archive.files.filter((f) => f.role === 'data').reduce((n, f) => n + f.bytes, 0),
        runEtlTimes: oracle.runEtlTimes,
        counters: oracle.counters,
      }),
    );
    const r = await verify(`s3://${BUCKET}/${PREFIX}/`, { recordsDir });
    expect(r.run).toEqual({ name: 'populator-s3-run', summary: true });
    expect(r.etlTimeCheck).toBe('exact');
    expect(r.jobCounters).toEqual(oracle.counters);
    expect(r.counts.foundOtherEtlTime).toBe(0);
    expect(r.counts.missing).toBe(0);
    expect(r.warnings).toEqual([]);
  });
});
