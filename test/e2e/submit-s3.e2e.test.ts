/**
 * The local runner reading an archive on S3: a generated archive uploaded to moto's S3 server,
 * the real job jar on Spark local[*] reading it through S3A (s3:// and s3a://), writing to dynalite,
 * with the report and bad rows in a local staging folder. The table must hold exactly the items
 * DESIGN 3.2 prescribes (the oracle in src/domain/enriched.ts), as for a local archive.
 * The storage config's static keys are for DynamoDB only: S3 (the CLI's listing and the job's
 * S3A reads) uses the caller's own chain, here keys in the environment. Recording proxies in front
 * of moto and dynalite check which identity reached which service.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TTL_SECONDS } from '../../src/domain/contract.js';
import { UserError } from '../../src/domain/errors.js';
import { compareKeys, expectedManifest } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submitLocal, type SubmitOptions } from '../../src/services/submit.js';
import {
  readBadRows,
  startLocalStack,
  TEST_KEYS,
  TEST_REGION,
  type LocalStack,
} from '../helpers/local-stack.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startAll } from '../helpers/start-all.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';
import { defaultManifest } from '../helpers/oracle.js';

/** The caller's own identity (the environment): what S3 must be read with. */
const CALLER_KEYS = { accessKeyId: 'AKIDCALLERS3', secretAccessKey: 'caller-secret-never-printed-9876' };

const NOW = DateTime.utc();
const BUCKET = 'enriched-archive';
const PREFIX = 'snowplow/enriched/archive';
const root = path.resolve('.');
let stack: LocalStack;
let s3: S3Emulator;
let archive: DemoArchiveManifest;
/** In front of moto and dynalite: they record the access key ids of the requests. */
let s3Proxy: FaultProxy;
let dynamoProxy: FaultProxy;

/** The environment without any endpoint or credential the caller's shell may carry. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('AWS_ENDPOINT_URL') || k === 'AWS_SESSION_TOKEN' || k === 'AWS_PROFILE') delete env[k];
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: CALLER_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CALLER_KEYS.secretAccessKey,
  };
}

/** S3 saw only the caller's identity, DynamoDB only the storage config's; then the counts restart. */
function expectIdentities(): void {
  expect(s3Proxy.stats().total.received).toBeGreaterThan(0);
  expect(s3Proxy.stats().accessKeyIds).toEqual([CALLER_KEYS.accessKeyId]);
  expect(dynamoProxy.stats().accessKeyIds).toEqual([TEST_KEYS.accessKeyId]);
  s3Proxy.resetCounts();
  dynamoProxy.resetCounts();
}

function options(archiveUri: string, table: string, staging: string): SubmitOptions {
  return stack.submitOptions(
    { archive: archiveUri, table, staging, now: NOW },
    { s3Endpoint: s3Proxy.endpoint, dynamodbEndpoint: dynamoProxy.endpoint, env: cleanEnv() },
  );
}

beforeAll(async () => {
  [stack, s3] = await startAll(
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 11,
    events: 1200,
    firstRun: NOW.minus({ days: 3 }),
  });
  await s3.createBucket(BUCKET);
  await s3.uploadDir(BUCKET, PREFIX, archive.dir);
  [s3Proxy, dynamoProxy] = await Promise.all([
    startFaultProxy({ upstream: s3.endpoint }),
    startFaultProxy({ upstream: stack.dynalite.endpoint }),
  ]);
  // The CLI's own S3 client reads the default chain from this process's environment.
  process.env.AWS_ACCESS_KEY_ID = CALLER_KEYS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CALLER_KEYS.secretAccessKey;
}, 120_000);

afterAll(async () => {
  await Promise.all([s3Proxy?.stop(), dynamoProxy?.stop()]);
  await Promise.all([stack?.stop(), s3?.stop()]);
});

describe('submit --runner local with an archive on S3 (moto), end to end', () => {
  it('reads s3:// through S3A and writes exactly the prescribed items; bad rows and report land locally', async () => {
    const table = 'manifest-s3';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const expected = defaultManifest(archive.runs, NOW);

    const r = await submitLocal(options(`s3://${BUCKET}/${PREFIX}/`, table, 's3'));
    expect(r.archive).toBe(`s3://${BUCKET}/${PREFIX}/`);
    expect(r.summary.counters).toEqual(expected.counters);
    expect(countersAddUp(r.summary.counters)).toBe(true);
    expect(r.summary.runsSelected).toEqual(archive.runs.map((run) => run.runId));
    expect(r.summary.ignoredPaths.length).toBeGreaterThan(0);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);

    const bad = readBadRows(r.badRows);
    expect(bad.map((b) => `${b.reason}\t${b.line}`).sort()).toEqual(
      expected.badRows.map((b) => `${b.reason}\t${b.line}`).sort(),
    );
    expect(bad.every((b) => b.sourceFile.startsWith(`s3://${BUCKET}/${PREFIX}/run=`))).toBe(true);
    expect(readFileSync(r.logFile, 'utf8')).not.toContain(TEST_KEYS.secretAccessKey);
    expectIdentities();
  }, 300_000);

  it('reads s3a:// from the CLI with the endpoint from AWS_ENDPOINT_URL_S3, and prints no secret', async () => {
    const table = 'manifest-s3a-cli';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const since = archive.runs[1]!.runId;
    const expected = expectedManifest(
      archive.runs.filter((run) => run.runId >= since),
      {
        etlTime: 'run',
        ttlSeconds: DEFAULT_TTL_SECONDS,
        skipExpired: false,
        nowSeconds: Math.floor(NOW.toSeconds()),
      },
    );
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        path.join(root, 'bin', 'run.js'),
        'submit',
        `s3a://${BUCKET}/${PREFIX}`,
        stack.storageConfig(table),
        stack.resolver,
        '--runner',
        'local',
        '--since',
        since,
        '--staging',
        path.join(stack.dir, 's3a-cli'),
        '--master',
        'local[2]',
        '--json',
      ],
      {
        env: {
          ...cleanEnv(),
          AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
          AWS_ENDPOINT_URL_S3: s3Proxy.endpoint,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const result = JSON.parse(stdout) as {
      status: string;
      archive: string;
      logFile: string;
      summary: { runsSelected: string[]; counters: typeof expected.counters };
    };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.archive).toBe(`s3://${BUCKET}/${PREFIX}/`);
    expect(result.summary.runsSelected).toEqual(archive.runs.slice(1).map((run) => run.runId));
    expect(result.summary.counters).toEqual(expected.counters);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
    expect(result.logFile.startsWith(path.join(stack.dir, 's3a-cli', 'runs') + path.sep)).toBe(true);
    const log = readFileSync(result.logFile, 'utf8');
    for (const text of [stdout, stderr, log]) {
      expect(text).not.toContain(TEST_KEYS.secretAccessKey);
      expect(text).not.toContain(CALLER_KEYS.secretAccessKey);
    }
    expectIdentities();
  }, 300_000);

  it('refuses an S3 prefix without run folders before starting Spark', async () => {
    // Its own table: with the archive the only problem, the error is the archive's.
    await stack.dynamo.createManifestTable('manifest-s3-no-runs', { billingMode: 'PAY_PER_REQUEST' });
    const started = Date.now();
    const err = await submitLocal(
      options(`s3://${BUCKET}/snowplow/`, 'manifest-s3-no-runs', 'no-runs'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('ARCHIVE_NO_RUNS');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
