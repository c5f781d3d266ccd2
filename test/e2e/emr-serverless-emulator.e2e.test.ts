/**
 * The EMR Serverless emulator runs the real job jar: the jar and an archive on moto's S3, the job
 * started through the real SDK as the CLI would start it on EMR Serverless (entry point on S3,
 * `--class` and `--conf` sizing, `--output` on S3, no endpoint and no key in the arguments), run by
 * the emulator on local Spark with the execution role's credentials and dynalite's endpoint in the
 * JVM's environment only. It ends SUCCESS with exactly the oracle's items in the table, the report
 * on S3 and the gzipped driver logs under the log URI; against a missing table it ends FAILED with
 * the job's own reason in stateDetails.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateApplicationCommand,
  EMRServerlessClient,
  GetJobRunCommand,
  StartJobRunCommand,
  type JobRun,
} from '@aws-sdk/client-emr-serverless';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmrServerlessEmulator, type EmrServerlessEmulator } from '../support/emr-serverless/index.js';
import { DEFAULT_TTL_SECONDS, JOB_ARGS, JOB_MAIN_CLASS, JOB_OUTPUT } from '../../src/domain/contract.js';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp, parseJobSummary } from '../../src/domain/job-report.js';
import { ensureJobJar } from '../../src/local/jar.js';
import { findToolchain } from '../../src/local/toolchain.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
import { startAll } from '../helpers/start-all.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const BUCKET = 'emr-e2e';
const ARCHIVE = `s3://${BUCKET}/enriched/archive/`;
const JAR = `s3://${BUCKET}/populator/jars/populator-job.jar`;
const LOG_URI = `s3://${BUCKET}/populator/logs/`;
const ROLE = 'arn:aws:iam::123456789012:role/populator-job';
const CALLER_KEYS = { accessKeyId: 'AKIDCLIUSER', secretAccessKey: 'cli-user-secret-never-sent-77' };

let stack: LocalStack;
let s3: S3Emulator;
let emu: EmrServerlessEmulator;
let emr: EMRServerlessClient;
let archive: DemoArchiveManifest;
let applicationId: string;

beforeAll(async () => {
  const toolchain = await findToolchain(process.env, { needMaven: true });
  const [{ jar }, started, moto] = await startAll(
    ensureJobJar(path.resolve('spark'), toolchain, () => {}),
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  stack = started;
  s3 = moto;
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 5,
    events: 600,
    firstRun: NOW.minus({ days: 2 }),
  });
  await s3.createBucket(BUCKET);
  await s3.uploadDir(BUCKET, 'enriched/archive', archive.dir);
  await s3.putObject(BUCKET, 'populator/jars/populator-job.jar', readFileSync(jar));
  emu = await startEmrServerlessEmulator({
    region: TEST_REGION,
    s3: { endpoint: s3.endpoint, credentials: TEST_KEYS },
    // The execution role: what the job's S3A and DynamoDB client use, from the JVM's environment.
    executionRoleCredentials: TEST_KEYS,
    jobEnv: { AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint },
    env: process.env,
    projectRoot: path.resolve('.'),
    cacheDir: path.join(os.homedir(), '.cache', 'populator'),
    delays: { applicationCreateMs: 200, applicationStartMs: 200, jobSubmittedMs: 100, jobScheduledMs: 100 },
    logUploadIntervalMs: 2000,
  });
  emr = new EMRServerlessClient({ region: TEST_REGION, endpoint: emu.endpoint, credentials: CALLER_KEYS });
  applicationId = (
    await emr.send(
      new CreateApplicationCommand({
        name: 'populator',
        releaseLabel: 'emr-7.5.0',
        type: 'SPARK',
        clientToken: 'populator-e2e-app',
      }),
    )
  ).applicationId as string;
}, 900_000);

afterAll(async () => {
  emr?.destroy();
  await emu?.stop();
  await Promise.all([stack?.stop(), s3?.stop()]);
});

async function readS3(key: string): Promise<Buffer> {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(
    await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** Starts the job as the CLI does on EMR Serverless: no endpoint and no key in any argument. */
async function startJob(table: string, runName: string): Promise<string> {
  const r = await emr.send(
    new StartJobRunCommand({
      applicationId,
      clientToken: `e2e-${runName}`,
      executionRoleArn: ROLE,
      name: runName,
      jobDriver: {
        sparkSubmit: {
          entryPoint: JAR,
          entryPointArguments: [
            JOB_ARGS.archive,
            ARCHIVE,
            JOB_ARGS.output,
            `s3://${BUCKET}/populator/runs/${runName}/`,
            JOB_ARGS.table,
            table,
            JOB_ARGS.region,
            TEST_REGION,
            JOB_ARGS.etlTime,
            'run',
            JOB_ARGS.ttlSeconds,
            String(DEFAULT_TTL_SECONDS),
            JOB_ARGS.writeRate,
            '2000',
            JOB_ARGS.skipExpired,
            'false',
            JOB_ARGS.now,
            String(Math.floor(NOW.toSeconds())),
          ],
          sparkSubmitParameters:
            `--class ${JOB_MAIN_CLASS} --conf spark.executor.cores=4 --conf spark.executor.memory=14g ` +
            '--conf spark.executor.instances=3 --conf spark.dynamicAllocation.enabled=false ' +
            '--conf spark.sql.shuffle.partitions=4',
        },
      },
      configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: LOG_URI } } },
      tags: { app: 'populator' },
    }),
  );
  return r.jobRunId as string;
}

async function finalJobRun(jobRunId: string): Promise<JobRun> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const j = (await emr.send(new GetJobRunCommand({ applicationId, jobRunId }))).jobRun as JobRun;
    if (['SUCCESS', 'FAILED', 'CANCELLED'].includes(j.state ?? '')) return j;
    if (Date.now() > deadline) throw new Error(`job run ${jobRunId} still ${j.state}`);
    // As a client should (GetJobRun is limited to 10/s): not faster than a few times a second.
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('the EMR Serverless emulator running the real job', () => {
  it('back-fills the table from the S3 archive: SUCCESS, the oracle items, the report on S3, the driver logs', async () => {
    const table = 'manifest-emr';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const expected = defaultManifest(archive.runs, NOW);
    const id = await startJob(table, 'e2e-success');
    const j = await finalJobRun(id);
    expect(j.state, j.stateDetails).toBe('SUCCESS');
    expect(emu.jobRunHistory(applicationId, id).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'SCHEDULED',
      'RUNNING',
      'SUCCESS',
    ]);
    // Four 4 vCPU / 16 GB workers, at least a minute each.
    expect(j.billedResourceUtilization?.vCPUHour).toBeGreaterThanOrEqual(0.266);
    expect(j.billedResourceUtilization?.memoryGBHour).toBeGreaterThanOrEqual(1.066);

    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
    const summary = parseJobSummary(
      (await readS3(`populator/runs/e2e-success/${JOB_OUTPUT.summary}`)).toString('utf8'),
    );
    expect(summary.counters).toEqual(expected.counters);
    expect(countersAddUp(summary.counters)).toBe(true);
    // spark.executor.instances=3, scaled down to this machine: two executor JVMs wrote.
    expect(summary.writerExecutors).toBe(2);

    const logs = `populator/logs/applications/${applicationId}/jobs/${id}/SPARK_DRIVER`;
    const stdout = gunzipSync(await readS3(`${logs}/stdout.gz`)).toString('utf8');
    const stderr = gunzipSync(await readS3(`${logs}/stderr.gz`)).toString('utf8');
    expect(stdout.length).toBeGreaterThan(0);
    expect(stderr).toContain('populator: ');
    for (const text of [stdout, stderr, JSON.stringify(emu.requests())]) {
      expect(text).not.toContain(TEST_KEYS.secretAccessKey);
      expect(text).not.toContain(CALLER_KEYS.secretAccessKey);
    }
  }, 900_000);

  it("ends FAILED with the job's own reason when the table does not exist", async () => {
    const id = await startJob('manifest-missing', 'e2e-missing-table');
    const j = await finalJobRun(id);
    expect(j.state).toBe('FAILED');
    expect(j.stateDetails).toMatch(
      /^Job failed, please check complete logs in configured logging destination\. ExitCode: 3\./,
    );
    expect(j.stateDetails).toContain('populator: table manifest-missing not found in region us-east-1');
    const stderr = gunzipSync(
      await readS3(`populator/logs/applications/${applicationId}/jobs/${id}/SPARK_DRIVER/stderr.gz`),
    ).toString('utf8');
    expect(stderr).toContain('manifest-missing');
  }, 900_000);
});
