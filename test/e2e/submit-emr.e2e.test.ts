/**
 * `populator submit` on EMR Serverless, end to end and offline, through the CLI (bin/run.js): the
 * archive on moto's S3, the table in dynalite, the job run by the EMR Serverless emulator (the real
 * jar on local Spark). Every request to S3 and DynamoDB, the CLI's and the job's, goes through a
 * recording proxy; the emulator records its own. The storage config is a 1-0-1 one with static
 * keys: neither may appear in any of those requests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  EMRServerlessClient,
  CreateApplicationCommand,
  ListJobRunsCommand,
} from '@aws-sdk/client-emr-serverless';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../src/aws/dynamodb.js';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp, keysDone, type JobSummary } from '../../src/domain/job-report.js';
import { startEmrServerlessEmulator, type EmrServerlessEmulator } from '../support/emr-serverless/index.js';
import { ensureJobJar } from '../../src/local/jar.js';
import { findToolchain } from '../../src/local/toolchain.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';
import { runCli } from '../helpers/cli.js';
import { startAll } from '../helpers/start-all.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const BUCKET = 'acme';
const ARCHIVE = `s3://${BUCKET}/enriched/archive/`;
const STAGING = `s3://${BUCKET}/populator/`;
const ROLE = 'arn:aws:iam::123456789012:role/populator-job';
/** The storage config's keys: never used on EMR Serverless, never sent anywhere. */
const STORAGE_KEYS = {
  accessKeyId: 'AKIASTORAGECONFIGKEY1',
  secretAccessKey: 'storage-config-secret-never-sent-42',
};
/** The identity running the CLI. */
const CALLER_KEYS = { accessKeyId: 'AKIDCLICALLER', secretAccessKey: 'caller-secret-for-the-cli' };
const bin = path.resolve('bin/run.js');

let stack: LocalStack;
let s3: S3Emulator;
let s3Proxy: RecordingProxy;
let dynamoProxy: RecordingProxy;
let emu: EmrServerlessEmulator;
let archive: DemoArchiveManifest;
let applicationId: string;
let work: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI's environment: the stand-ins' endpoints, the caller's keys, its own config folder. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('POPULATOR_')) delete env[k];
  return Object.assign(env, {
    AWS_ACCESS_KEY_ID: CALLER_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CALLER_KEYS.secretAccessKey,
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL_S3: s3Proxy.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
    AWS_ENDPOINT_URL_EMR_SERVERLESS: emu.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    XDG_CONFIG_HOME: path.join(work, 'config'),
  });
}

/** Runs the CLI and presses Ctrl-C once stderr shows `when`. */
function cliInterrupted(args: string[], when: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: cliEnv(),
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The CLI as a user runs it, against the stand-ins, with its own config folder. */
function cli(args: string[], timeoutMs = 600_000): Promise<Run> {
  return runCli(args, { env: cliEnv(), cwd: work, timeoutMs });
}

function storageConfig(table: string): string {
  const file = path.join(work, `${table}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/1-0-1',
      data: {
        name: 'manifest',
        ...STORAGE_KEYS,
        awsRegion: TEST_REGION,
        dynamodbTable: table,
        id: '56799a26-980c-4148-8bd9-c021b988c669',
        purpose: 'DUPLICATE_TRACKING',
      },
    }),
  );
  return file;
}

function submitArgs(
  table: string,
  extra: string[] = [],
  o: { archive?: string; writeRate?: number } = {},
): string[] {
  return [
    'submit',
    o.archive ?? ARCHIVE,
    storageConfig(table),
    stack.resolver,
    '--application-id',
    applicationId,
    '--execution-role-arn',
    ROLE,
    '--staging',
    STAGING,
    '--write-rate',
    String(o.writeRate ?? 2000),
    ...extra,
  ];
}

function json<T>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

interface SubmitDoc {
  status: string;
  runName: string;
  output: string;
  plan: {
    runs: { selected: number };
    objects: number;
    events: { estimated: number };
    writes: number;
    emr: { usd: number } | null;
  };
  emr: { applicationId: string; jobRunId: string; reused: boolean; jar: string; clientToken: string };
  summary?: { counters: Parameters<typeof countersAddUp>[0] };
  billed?: { usd: number; vCpuHours: number } | null;
}

interface StatusDoc {
  run: { runName: string };
  jobRun: {
    state: string;
    final: boolean;
    stateDetails: string | null;
    summary: { counters: Parameters<typeof countersAddUp>[0] } | null;
    billed: { usd: number; vCpuHours: number; memoryGbHours: number } | null;
    logs: { stdout: string | null; stderr: string | null };
  };
  exitCode: number;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'populator-emr-e2e-'));
  const toolchain = await findToolchain(process.env, { needMaven: true });
  const [, started, moto] = await startAll(
    ensureJobJar(path.resolve('spark'), toolchain, () => {}),
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  stack = started;
  s3 = moto;
  [s3Proxy, dynamoProxy] = await Promise.all([
    startRecordingProxy(s3.endpoint),
    startRecordingProxy(stack.dynalite.endpoint),
  ]);
  archive = await writeDemoArchive({
    dir: path.join(work, 'archive'),
    seed: 21,
    events: 800,
    firstRun: NOW.minus({ days: 2 }),
  });
  await s3.createBucket(BUCKET);
  await s3.uploadDir(BUCKET, 'enriched/archive', archive.dir);
  emu = await startEmrServerlessEmulator({
    region: TEST_REGION,
    // The job reaches S3 and DynamoDB through the proxies too: its requests are recorded as well.
    s3: { endpoint: s3Proxy.endpoint, credentials: TEST_KEYS },
    executionRoleCredentials: TEST_KEYS,
    jobEnv: { AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint },
    env: process.env,
    projectRoot: path.resolve('.'),
    cacheDir: path.join(os.homedir(), '.cache', 'populator'),
    delays: { applicationCreateMs: 200, applicationStartMs: 200, jobSubmittedMs: 200, jobScheduledMs: 200 },
    logUploadIntervalMs: 2000,
  });
  const emr = new EMRServerlessClient({
    region: TEST_REGION,
    endpoint: emu.endpoint,
    credentials: CALLER_KEYS,
  });
  try {
    applicationId = (
      await emr.send(
        new CreateApplicationCommand({
          name: 'populator',
          releaseLabel: 'emr-7.5.0',
          type: 'SPARK',
          clientToken: 'e2e-app',
        }),
      )
    ).applicationId as string;
  } finally {
    emr.destroy();
  }
}, 900_000);

afterAll(async () => {
  await emu?.stop();
  await Promise.all([s3Proxy?.stop(), dynamoProxy?.stop()]);
  await Promise.all([stack?.stop(), s3?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What a test must never see in any request to any stand-in. */
function everyRequestText(): string {
  return JSON.stringify([emu.requests(), s3Proxy.requests(), dynamoProxy.requests()]);
}

describe('submit on EMR Serverless (emulated), end to end', () => {
  it('--dry-run prints the plan with its costs and sends no write request to any service', async () => {
    const table = 'manifest-dry';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    emu.clearRequests();
    s3Proxy.clear();
    dynamoProxy.clear();
    const r = await cli(submitArgs(table, ['--dry-run', '--json']));
    expect(r.code, r.stderr).toBe(0);
    const doc = json<SubmitDoc>(r);
    expect(doc.status).toBe('PLANNED');
    expect(doc.plan.runs.selected).toBe(archive.runs.length);
    expect(doc.plan.objects).toBe(archive.files.filter((f) => f.role === 'data').length);
    expect(doc.plan.events.estimated).toBeGreaterThan(0.7 * archive.lineCount);
    expect(doc.plan.events.estimated).toBeLessThan(1.3 * archive.lineCount);
    expect(doc.plan.emr?.usd).toBeGreaterThan(0);

    // Reads only: EMR Serverless GETs, S3 GET/HEAD, DynamoDB Describe* calls.
    expect(
      emu
        .requests()
        .map((q) => q.method)
        .filter((m) => m !== 'GET'),
    ).toEqual([]);
    expect(
      s3Proxy
        .requests()
        .map((q) => q.method)
        .filter((m) => m !== 'GET' && m !== 'HEAD'),
    ).toEqual([]);
    const targets = dynamoProxy.requests().map((q) => String(q.headers['x-amz-target'] ?? ''));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !/\.Describe/.test(t))).toEqual([]);
    expect(readdirSafe(path.join(work, 'config', 'populator', 'runs'))).toEqual([]);

    // One pass of checks, and submit plans from what they found: each of these reads is sent once.
    const count = (xs: string[], x: string): number => xs.filter((t) => t === x).length;
    expect(count(targets, 'DynamoDB_20120810.DescribeTable')).toBe(1);
    expect(count(targets, 'DynamoDB_20120810.DescribeTimeToLive')).toBe(1);
    expect(emu.requests().filter((q) => q.operation === 'GetApplication')).toHaveLength(1);
    const listings = s3Proxy.requests().filter((q) => q.method === 'GET' && q.url.includes('list-type=2'));
    // The archive's top level once, the selected runs' objects once (one page: a small archive).
    expect(listings.filter((q) => q.url.includes('delimiter='))).toHaveLength(1);
    expect(listings.filter((q) => !q.url.includes('delimiter='))).toHaveLength(1);
  }, 300_000);

  it('submit --wait back-fills the table exactly; status, logs and the second identical submit agree', async () => {
    const table = 'manifest-main';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const expected = defaultManifest(archive.runs, NOW);
    const r = await cli(submitArgs(table, ['--wait', '--json']));
    expect(r.code, r.stderr).toBe(0);
    const doc = json<SubmitDoc>(r);
    expect(doc.status).toBe('SUCCEEDED');
    expect(doc.emr.reused).toBe(false);
    expect(doc.emr.jar).toMatch(/^s3:\/\/acme\/populator\/jars\/populator-job-0\.1\.0-[0-9a-f]{12}\.jar$/);
    expect(doc.summary?.counters).toEqual(expected.counters);
    expect(doc.billed?.usd).toBeGreaterThan(0);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);

    // status (the newest run, no id typed): SUCCESS, counters that add up, a cost.
    const st = await cli(['status', '--json']);
    expect(st.code, st.stderr).toBe(0);
    const status = json<StatusDoc>(st);
    expect(status.run.runName).toBe(doc.runName);
    expect(status.jobRun.state).toBe('SUCCESS');
    expect(countersAddUp(status.jobRun.summary?.counters ?? expected.counters)).toBe(true);
    expect(status.jobRun.summary?.counters).toEqual(expected.counters);
    expect(status.jobRun.billed?.vCpuHours).toBeGreaterThan(0);
    expect(status.jobRun.billed?.usd).toBeGreaterThan(0);
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/state\s+SUCCESS/);
    expect(text.stdout).toMatch(/billed\s+.*\$/);

    // logs: the driver's stdout holds the job's one-line report, its stderr the job's progress lines.
    const out = await cli(['logs']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('populator: ');
    expect(out.stdout).toContain(`${expected.counters.written} written`);
    const err = await cli(['logs', '--stderr']);
    expect(err.stdout).toContain('populator: progress:');

    // The same submit again finds the same job run: one job run for these inputs.
    const again = await cli(submitArgs(table, ['--json']));
    expect(again.code, again.stderr).toBe(0);
    const second = json<SubmitDoc>(again);
    expect(second.emr.jobRunId).toBe(doc.emr.jobRunId);
    expect(second.emr.clientToken).toBe(doc.emr.clientToken);
    expect(second.emr.reused).toBe(true);
    expect(again.stderr).toContain('nothing new was started');
    expect(await jobRunsNamed(doc.runName)).toBe(1);

    const runs = await cli(['runs', '--json']);
    const list = json<{ runs: { runName: string; jobRunId: string }[] }>(runs);
    expect(list.runs.filter((x) => x.runName === doc.runName)).toHaveLength(1);
  }, 900_000);

  it('submit --import: the job run writes the files, ImportTable creates the table, status shows the import', async () => {
    // moto's DynamoDB (dynalite has no ImportTable): the same server as the staging's S3.
    const table = 'manifest-imported';
    const dynamo = createDynamoDbClient({
      region: TEST_REGION,
      endpoint: s3.endpoint,
      credentials: TEST_KEYS,
    });
    try {
      const expected = defaultManifest(archive.runs, NOW);
      const r = await cli(submitArgs(table, ['--import', '--dynamodb-endpoint', s3.endpoint, '--json']));
      expect(r.code, r.stderr).toBe(0);
      const doc = json<
        SubmitDoc & { import: { status: string; items: number; usd: number; folder: string } }
      >(r);
      expect(doc.status).toBe('SUCCEEDED');
      expect(doc.import.status).toBe('COMPLETED');
      expect(doc.import.items).toBe(expected.items.length);
      expect(doc.import.folder).toBe(`${STAGING}runs/${doc.runName}/import/`);
      expect(doc.summary?.counters).toEqual(expected.counters);
      expect((await dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
      expect(r.stderr).toContain('import COMPLETED');

      // The environment's endpoint wins over the run record's (README: Endpoints): moto's here.
      const st = await runCli(['status', '--run', doc.runName, '--json'], {
        env: { ...cliEnv(), AWS_ENDPOINT_URL_DYNAMODB: s3.endpoint },
        cwd: work,
      });
      expect(st.code, st.stderr).toBe(0);
      const status = json<StatusDoc & { import: { status: string; ttlEnabled: boolean } }>(st);
      expect(status.import.status).toBe('COMPLETED');
      expect(status.import.ttlEnabled).toBe(true);
    } finally {
      dynamo.destroy();
    }
  }, 900_000);

  it('cancel stops a running job: it ends CANCELLED, and status then exits 4', async () => {
    const table = 'manifest-cancel';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const r = await cli(submitArgs(table, ['--name', 'to-cancel', '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(json<SubmitDoc>(r).status).toBe('SUBMITTED');
    const c = await cli(['cancel', '--run', 'to-cancel', '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(json<{ jobRun: { state: string } }>(c).jobRun.state).toBe('CANCELLED');
    const st = await cli(['status', '--run', 'to-cancel', '--json']);
    expect(st.code).toBe(4);
    expect(json<StatusDoc>(st).jobRun.state).toBe('CANCELLED');
  }, 600_000);

  it('a job whose table is deleted after submit ends FAILED, and status shows why', async () => {
    const table = 'manifest-gone';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const r = await cli(submitArgs(table, ['--name', 'table-gone', '--json']));
    expect(r.code, r.stderr).toBe(0);
    const dynamo = new DynamoDBClient({
      region: TEST_REGION,
      endpoint: stack.dynalite.endpoint,
      credentials: TEST_KEYS,
    });
    try {
      await dynamo.send(new DeleteTableCommand({ TableName: table }));
    } finally {
      dynamo.destroy();
    }
    const st = await cli(['status', '--run', 'table-gone', '--watch', '--interval', '2', '--json']);
    expect(st.code, st.stderr).toBe(4);
    const doc = json<StatusDoc>(st);
    expect(doc.jobRun.state).toBe('FAILED');
    expect(doc.jobRun.stateDetails).toContain(table);
    const text = await cli(['status', '--run', 'table-gone']);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/details\s+.*manifest-gone/);
  }, 600_000);

  it('Ctrl-C while waiting leaves the job run running and says how to cancel it (exit 5); --cancel-on-interrupt cancels it (exit 4)', async () => {
    const table = 'manifest-ctrl-c';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const left = await cliInterrupted(submitArgs(table, ['--name', 'left-running', '--wait']), /: RUNNING/);
    expect(left.code, left.stderr).toBe(5);
    expect(left.stderr).toContain('keeps running');
    expect(left.stderr).toContain('populator cancel --run left-running');
    const st = await cli(['status', '--run', 'left-running', '--json']);
    // Still going, or done by now: never cancelled by the Ctrl-C.
    expect(['RUNNING', 'SUCCESS']).toContain(json<StatusDoc>(st).jobRun.state);
    await cli(['cancel', '--run', 'left-running']);

    const cancelled = await cliInterrupted(
      submitArgs(table, ['--name', 'cancel-on-ctrl-c', '--wait', '--cancel-on-interrupt']),
      /: RUNNING/,
    );
    expect(cancelled.code, cancelled.stderr).toBe(4);
    expect(cancelled.stderr).toMatch(/Cancelling job run/);
    expect(cancelled.stderr).toMatch(/was cancelled/);
    expect(json<StatusDoc>(await cli(['status', '--run', 'cancel-on-ctrl-c', '--json'])).jobRun.state).toBe(
      'CANCELLED',
    );
  }, 600_000);

  it('says how to fix what a user can fix: access denied (action and resource), an unknown application', async () => {
    const table = 'manifest-errors';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    emu.setAuthorizer((call) => (call.operation === 'StartJobRun' ? false : undefined));
    try {
      const denied = await cli(submitArgs(table, ['--name', 'denied', '--json']));
      expect(denied.code).toBe(2);
      const e = json<{ error: { code: string; message: string; hint: string } }>(denied).error;
      expect(e.code).toBe('EMR_ACCESS_DENIED');
      expect(e.message).toContain('emr-serverless:StartJobRun');
      expect(e.hint).toContain(`/applications/${applicationId}/jobruns/*`);
      expect(e.hint).toContain(`iam:PassRole on ${ROLE}`);
    } finally {
      emu.setAuthorizer(undefined);
    }
    const args = submitArgs(table, ['--json']);
    args[args.indexOf(applicationId)] = '00aaaabbbbcccc';
    const unknown = await cli(args);
    expect(unknown.code).toBe(2);
    const u = json<{ error: { code: string; hint: string } }>(unknown).error;
    expect(u.code).toBe('APPLICATION_NOT_FOUND');
    expect(u.hint).toMatch(/--region/);
  }, 300_000);

  it('a job run killed mid-write is resumed by submit --resume: its records on S3 spare what it wrote', async () => {
    const table = 'manifest-resume';
    const rate = 150;
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const big = await writeDemoArchive({
      dir: path.join(work, 'big'),
      seed: 89,
      events: 9000,
      runs: 3,
      firstRun: NOW.minus({ days: 4 }),
    });
    await s3.uploadDir(BUCKET, 'enriched/big', big.dir);
    const expected = defaultManifest(big.runs, NOW);
    const keys = expected.items.length;
    const args = submitArgs(table, ['--json'], {
      archive: `s3://${BUCKET}/enriched/big/`,
      writeRate: rate,
    });
    const started = json<SubmitDoc>(await cli(args));
    expect(started.status).toBe('SUBMITTED');
    // Killed (SIGKILL of the driver JVM) once about half of the keys are done.
    const deadline = Date.now() + 300_000;
    let seen = 0;
    while (Date.now() < deadline && seen < keys / 2) {
      const st = json<{ jobRun: { progress: Parameters<typeof keysDone>[0] | null; final: boolean } }>(
        await cli(['status', '--run', started.runName, '--json']),
      );
      expect(st.jobRun.final).toBe(false);
      seen = st.jobRun.progress === null ? 0 : keysDone(st.jobRun.progress);
      if (seen < keys / 2) await sleep(1000);
    }
    expect(seen).toBeGreaterThanOrEqual(keys / 2);
    const pids = emu.jvmPids();
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGKILL');
    let state = '';
    while (Date.now() < deadline) {
      state = json<StatusDoc>(await cli(['status', '--run', started.runName, '--json'])).jobRun.state;
      if (state === 'FAILED') break;
      await sleep(500);
    }
    expect(state).toBe('FAILED');
    const writtenBefore = (await stack.dynamo.scanItems(table)).length;
    expect(writtenBefore).toBeLessThan(keys);
    const puts = (): number =>
      dynamoProxy.requests().filter((q) => q.headers['x-amz-target'] === 'DynamoDB_20120810.PutItem').length;
    const putsBefore = puts();

    // The resume: the newest run, its inputs, application, role and jar; followed to its end.
    const r = await cli(['submit', '--resume', '--wait', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const doc = json<SubmitDoc & { resumedFrom: string; summary: JobSummary }>(r);
    expect(doc.status).toBe('SUCCEEDED');
    expect(doc.resumedFrom).toBe(started.runName);
    expect(doc.emr.jar).toBe(started.emr.jar);
    expect(doc.emr.jobRunId).not.toBe(started.emr.jobRunId);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
    const c = doc.summary.counters;
    expect(countersAddUp(c)).toBe(true);
    expect(c.written + c.alreadyPresent).toBe(expected.counters.written);
    const putsOnResume = puts() - putsBefore;
    expect(putsOnResume).toBeLessThanOrEqual(keys - writtenBefore + 10 * rate);
    expect(keys - writtenBefore + 10 * rate).toBeLessThan(keys);
    expect(doc.summary.resume?.resumedFrom).toBe(started.output);
    expect(doc.summary.resume?.writesSaved).toBeGreaterThanOrEqual(writtenBefore - 10 * rate);
  }, 900_000);

  it('never sends the storage config keys in any request, to any stand-in', () => {
    const all = everyRequestText();
    expect(all.length).toBeGreaterThan(10_000);
    expect(all).not.toContain(STORAGE_KEYS.accessKeyId);
    expect(all).not.toContain(STORAGE_KEYS.secretAccessKey);
    // The recordings hold the signatures: the caller's key id is there, so a storage key would be too.
    expect(all).toContain(CALLER_KEYS.accessKeyId);
    // The caller's secret signs requests but is never sent either.
    expect(all).not.toContain(CALLER_KEYS.secretAccessKey);
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function jobRunsNamed(name: string): Promise<number> {
  const emr = new EMRServerlessClient({
    region: TEST_REGION,
    endpoint: emu.endpoint,
    credentials: CALLER_KEYS,
  });
  try {
    const r = await emr.send(new ListJobRunsCommand({ applicationId }));
    return (r.jobRuns ?? []).filter((j) => j.name === name).length;
  } finally {
    emr.destroy();
  }
}
