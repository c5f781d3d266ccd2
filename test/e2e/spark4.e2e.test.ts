/**
 * Spark 4.0 with S3. (a) `populator submit --create-application --spark 4.0 --wait` against the EMR
 * Serverless emulator: an emr-spark-8 application, whose job run the emulator runs on local Spark 4.0
 * (reading the archive on moto's S3 through S3A), filling the table (dynalite) with the oracle's items.
 * (b) Local Spark: `submit --runner local --spark 4.0 --import` reads a generated
 * archive on moto's S3 through Hadoop 3.4's S3A (`-P local-s3-spark-4.0`: hadoop-aws 3.4.1 on the AWS
 * SDK v2), writes the import files under the S3 staging on two executor JVMs of Spark 4.0, and
 * ImportTable creates the table from them: it must hold exactly the oracle's items.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient, type DynamoDbClient } from '../../src/aws/dynamodb.js';
import { DEFAULT_TTL_SECONDS } from '../../src/domain/contract.js';
import { compareKeys, expectedManifest } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submitLocal } from '../../src/services/submit.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { defaultManifest } from '../helpers/oracle.js';
import { startEmrServerlessEmulator, type EmrServerlessEmulator } from '../support/emr-serverless/index.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
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
let dynamo: DynamoDbClient;
let emu: EmrServerlessEmulator;
const ROLE = 'arn:aws:iam::123456789012:role/populator-job';

beforeAll(async () => {
  [stack, moto] = await startAll(
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 41,
    events: 600,
    firstRun: NOW.minus({ days: 2 }),
  });
  await moto.createBucket(BUCKET);
  await moto.createBucket(STAGING_BUCKET);
  await moto.uploadDir(BUCKET, PREFIX, archive.dir);
  dynamo = createDynamoDbClient({ region: TEST_REGION, endpoint: moto.endpoint, credentials: TEST_KEYS });
  // The CLI's own S3 and DynamoDB clients read the default chain (as in submit-import.e2e.test.ts).
  process.env.AWS_ACCESS_KEY_ID = TEST_KEYS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_KEYS.secretAccessKey;
  emu = await startEmrServerlessEmulator({
    region: TEST_REGION,
    s3: { endpoint: moto.endpoint, credentials: TEST_KEYS },
    executionRoleCredentials: TEST_KEYS,
    jobEnv: { AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint },
    env: process.env,
    projectRoot: path.resolve('.'),
    cacheDir: path.join(os.homedir(), '.cache', 'populator'),
    delays: { applicationCreateMs: 200, applicationStartMs: 200, jobSubmittedMs: 200, jobScheduledMs: 200 },
    logUploadIntervalMs: 2000,
  });
}, 120_000);

afterAll(async () => {
  dynamo?.destroy();
  await emu?.stop();
  await Promise.all([stack?.stop(), moto?.stop()]);
});

describe('Spark 4.0 with S3', () => {
  it('submit --create-application --spark 4.0 --wait on the EMR Serverless emulator: an emr-spark-8 application, the table holds the oracle', async () => {
    const table = 'manifest-spark4-emr';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const config = path.join(stack.dir, `${table}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        schema: 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
        data: {
          name: 'manifest',
          auth: null,
          awsRegion: TEST_REGION,
          dynamodbTable: table,
          id: '56799a26-980c-4148-8bd9-c021b988c669',
          purpose: 'EVENTS_MANIFEST',
        },
      }),
    );
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: TEST_KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEYS.secretAccessKey,
      AWS_REGION: TEST_REGION,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint,
      AWS_ENDPOINT_URL_EMR_SERVERLESS: emu.endpoint,
      XDG_CONFIG_HOME: path.join(stack.dir, 'config'),
    });
    const r = await runCli(
      [
        'submit',
        `s3://${BUCKET}/${PREFIX}/`,
        config,
        stack.resolver,
        '--create-application',
        '--spark',
        '4.0',
        '--execution-role-arn',
        ROLE,
        '--staging',
        `s3://${STAGING_BUCKET}/emr/`,
        '--write-rate',
        '2000',
        '--wait',
        '--json',
      ],
      { env, cwd: stack.dir, timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      status: string;
      emr: { applicationId: string };
      summary?: { counters: unknown };
    };
    expect(doc.status).toBe('SUCCEEDED');
    expect(r.stdout + r.stderr).toContain('emr-spark-8.0.0');
    const expected = defaultManifest(archive.runs, NOW, 'run');
    expect(doc.summary?.counters).toEqual(expected.counters);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
  }, 300_000);

  it('local --spark 4.0 --import on an s3:// archive (moto): S3A on Hadoop 3.4, the table created by ImportTable holds the oracle', async () => {
    const table = 'manifest-spark4-import';
    const expected = expectedManifest(archive.runs, {
      etlTime: 'run',
      ttlSeconds: DEFAULT_TTL_SECONDS,
      skipExpired: true,
      nowSeconds: Math.floor(NOW.toSeconds()),
    });
    const lines: string[] = [];
    const base = stack.submitOptions(
      { archive: `s3://${BUCKET}/${PREFIX}/`, table, staging: 'unused', now: NOW },
      {
        staging: STAGING,
        s3Endpoint: moto.endpoint,
        dynamodbEndpoint: moto.endpoint,
        // No SPARK_HOME: CI's is a Spark 3.5 distribution; the executors start from the Maven-made 4.0 home.
        env: cleanEnv({
          AWS_ACCESS_KEY_ID: TEST_KEYS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_KEYS.secretAccessKey,
          SPARK_HOME: undefined,
        }),
        import: {},
        importFollowIntervalMs: 200,
      },
    );
    const r = await submitLocal({
      ...base,
      spark: '4.0',
      emr: { sizing: { executors: 2, executorMemory: '768m' } },
      log: (l) => lines.push(l),
    }).catch((e: unknown) => {
      throw new Error(`submit failed: ${JSON.stringify((e as { issues?: unknown }).issues ?? String(e))}`);
    });
    const log = lines.join('\n');
    expect(log).toContain('local-cluster[2,1,768]');
    expect(r.summary.writerExecutors).toBe(2);
    expect(r.summary.counters).toEqual(expected.counters);
    expect(countersAddUp(r.summary.counters)).toBe(true);
    expect(r.import?.status).toBe('COMPLETED');
    expect(r.import?.items).toBe(expected.items.length);
    expect((await dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
    // Only import files under the import folder: no directory marker (Hadoop 3.4 S3A keeps them).
    const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: STAGING_BUCKET }));
    const keys = (listed.Contents ?? [])
      .map((o) => o.Key ?? '')
      .filter((k) => k.includes(`/runs/${r.runName}/import/`));
    expect(keys.length).toBe(r.summary.import?.objects);
    expect(keys.every((k) => /\/import\/part-\d{5}\.json\.gz$/.test(k))).toBe(true);
  }, 240_000);
});
