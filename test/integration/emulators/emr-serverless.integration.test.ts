/**
 * The EMR Serverless emulator through the real SDK (@aws-sdk/client-emr-serverless, endpoint
 * override): protocol, validation, errors, idempotency, the state sequences, cancel, timeout, tags,
 * quotas, logs on S3 (moto's server) and request recording. Job runs run a tiny Java program (the
 * probe jar: no Spark, about a second each); the real job jar runs in test/e2e.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  CancelJobRunCommand,
  CreateApplicationCommand,
  DeleteApplicationCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  ListApplicationsCommand,
  ListJobRunAttemptsCommand,
  ListJobRunsCommand,
  ListTagsForResourceCommand,
  StartApplicationCommand,
  StartJobRunCommand,
  StopApplicationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApplicationCommand,
  type JobRun,
  type StartJobRunCommandInput,
} from '@aws-sdk/client-emr-serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEmrServerlessEmulator,
  type EmrServerlessEmulator,
  type EmrServerlessEmulatorOptions,
} from '../../support/emr-serverless/index.js';
import { buildProbeJar, PROBE_MAIN_CLASS } from '../../helpers/probe-jar.js';
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/populator-job`;
const CALLER_KEYS = { accessKeyId: 'AKIDCALLER', secretAccessKey: 'caller-secret-never-sent-0001' };
const ROLE_KEYS = { accessKeyId: 'AKIDROLE', secretAccessKey: 'role-secret-never-sent-0002' };
const BUCKET = 'emr-emulator-test';
const JAR = `s3://${BUCKET}/jars/probe.jar`;
const LOGS = `s3://${BUCKET}/logs/`;
const FAKE_DYNAMODB = 'http://127.0.0.1:9/';
const FINAL = ['SUCCESS', 'FAILED', 'CANCELLED'];

let dir: string;
let s3: S3Emulator;
let emu: EmrServerlessEmulator;
let emr: EMRServerlessClient;

function emulatorOptions(
  overrides: Partial<EmrServerlessEmulatorOptions> = {},
): EmrServerlessEmulatorOptions {
  return {
    region: REGION,
    s3: { endpoint: s3.endpoint, credentials: CALLER_KEYS },
    executionRoleCredentials: ROLE_KEYS,
    jobEnv: { AWS_ENDPOINT_URL_DYNAMODB: FAKE_DYNAMODB },
    // The caller's own AWS settings must not reach a job.
    env: { ...process.env, AWS_PROFILE: 'caller-profile', AWS_ACCESS_KEY_ID: CALLER_KEYS.accessKeyId },
    projectRoot: path.resolve('.'),
    cacheDir: path.join(os.homedir(), '.cache', 'populator'),
    delays: {
      applicationCreateMs: 100,
      applicationStartMs: 100,
      applicationStopMs: 100,
      jobSubmittedMs: 50,
      jobQueuedMs: 50,
      jobScheduledMs: 50,
      jobCancellingMs: 50,
      minuteMs: 100,
      cancelGraceMs: 5000,
    },
    logUploadIntervalMs: 250,
    ...overrides,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'emr-emulator-test-'));
  const jar = buildProbeJar(dir);
  s3 = await startS3Emulator({ region: REGION, credentials: CALLER_KEYS });
  await s3.createBucket(BUCKET);
  await s3.putObject(BUCKET, 'jars/probe.jar', readFileSync(jar));
  emu = await startEmrServerlessEmulator(emulatorOptions());
  emr = new EMRServerlessClient({ region: REGION, endpoint: emu.endpoint, credentials: CALLER_KEYS });
}, 120_000);

afterAll(async () => {
  emr?.destroy();
  await emu?.stop();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function jobRun(applicationId: string, jobRunId: string): Promise<JobRun> {
  return (await emr.send(new GetJobRunCommand({ applicationId, jobRunId }))).jobRun as JobRun;
}

function finalJobRun(applicationId: string, jobRunId: string): Promise<JobRun> {
  return until(`job run ${jobRunId} to end`, async () => {
    const j = await jobRun(applicationId, jobRunId);
    return FINAL.includes(j.state ?? '') ? j : undefined;
  });
}

function inState(applicationId: string, jobRunId: string, state: string): Promise<JobRun> {
  return until(`job run ${jobRunId} in ${state}`, async () => {
    const j = await jobRun(applicationId, jobRunId);
    if (FINAL.includes(j.state ?? '') && j.state !== state)
      throw new Error(`ended ${j.state}: ${j.stateDetails}`);
    return j.state === state ? j : undefined;
  });
}

async function applicationIn(applicationId: string, state: string): Promise<void> {
  await until(`application ${applicationId} in ${state}`, async () => {
    const a = await emr.send(new GetApplicationCommand({ applicationId }));
    return a.application?.state === state ? true : undefined;
  });
}

let tokens = 0;
async function newApplication(
  extra: Partial<ConstructorParameters<typeof CreateApplicationCommand>[0]> = {},
): Promise<string> {
  const r = await emr.send(
    new CreateApplicationCommand({
      name: `app-${++tokens}`,
      releaseLabel: 'emr-7.5.0',
      type: 'SPARK',
      clientToken: `app-token-${tokens}`,
      ...extra,
    }),
  );
  return r.applicationId as string;
}

/** A probe job run: sleeps `sleepMs`, exits `exitCode`. */
function probeRun(
  applicationId: string,
  args: string[],
  extra: Partial<StartJobRunCommandInput> = {},
  sparkParameters = '',
): StartJobRunCommandInput {
  return {
    applicationId,
    clientToken: `job-token-${++tokens}`,
    executionRoleArn: ROLE,
    name: `probe-${tokens}`,
    jobDriver: {
      sparkSubmit: {
        entryPoint: JAR,
        entryPointArguments: args,
        sparkSubmitParameters: `--class ${PROBE_MAIN_CLASS} ${sparkParameters}`.trim(),
      },
    },
    configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: LOGS } } },
    ...extra,
  };
}

async function start(input: StartJobRunCommandInput): Promise<string> {
  return (await emr.send(new StartJobRunCommand(input))).jobRunId as string;
}

async function driverLog(
  applicationId: string,
  jobRunId: string,
  stream: 'stdout' | 'stderr',
): Promise<string> {
  const r = await s3.client.send(
    new GetObjectCommand({
      Bucket: BUCKET,
      Key: `logs/applications/${applicationId}/jobs/${jobRunId}/SPARK_DRIVER/${stream}.gz`,
    }),
  );
  return gunzipSync(
    await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  ).toString('utf8');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const e = (await p.then(
    () => undefined,
    (err: unknown) => err,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e === undefined) throw new Error('expected the call to fail');
  return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
}

describe('applications', () => {
  it('walk CREATING -> CREATED -> STARTING -> STARTED -> STOPPING -> STOPPED -> TERMINATED', async () => {
    const id = await newApplication({ tags: { team: 'data' } });
    const created = await emr.send(new GetApplicationCommand({ applicationId: id }));
    expect(created.application).toMatchObject({
      applicationId: id,
      arn: `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${id}`,
      releaseLabel: 'emr-7.5.0',
      type: 'Spark',
      state: 'CREATING',
      tags: { team: 'data' },
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
      architecture: 'X86_64',
    });
    expect(created.application?.createdAt).toBeInstanceOf(Date);
    await applicationIn(id, 'CREATED');
    const updated = await emr.send(
      new UpdateApplicationCommand({
        applicationId: id,
        clientToken: 'update-1',
        maximumCapacity: { cpu: '16 vCPU', memory: '64 GB' },
      }),
    );
    expect(updated.application?.maximumCapacity).toEqual({ cpu: '16 vCPU', memory: '64 GB' });
    await emr.send(new StartApplicationCommand({ applicationId: id }));
    await applicationIn(id, 'STARTED');
    expect((await failure(emr.send(new DeleteApplicationCommand({ applicationId: id })))).name).toBe(
      'ValidationException',
    );
    await emr.send(new StopApplicationCommand({ applicationId: id }));
    await applicationIn(id, 'STOPPED');
    await emr.send(new DeleteApplicationCommand({ applicationId: id }));
    expect(emu.applicationHistory(id).map((h) => h.state)).toEqual([
      'CREATING',
      'CREATED',
      'STARTING',
      'STARTED',
      'STOPPING',
      'STOPPED',
      'TERMINATED',
    ]);
    const terminated = await emr.send(new ListApplicationsCommand({ states: ['TERMINATED'] }));
    expect(terminated.applications?.map((a) => a.id)).toContain(id);
    expect(
      (await emr.send(new ListApplicationsCommand({ states: ['STARTED'] }))).applications?.map((a) => a.id),
    ).not.toContain(id);
    const e = await failure(emr.send(new StartApplicationCommand({ applicationId: id })));
    expect(e.name).toBe('ValidationException');
  });

  it('stop by themselves after their idle timeout (auto-stop)', async () => {
    const id = await newApplication({ autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 1 } });
    await applicationIn(id, 'CREATED');
    await emr.send(new StartApplicationCommand({ applicationId: id }));
    await applicationIn(id, 'STOPPED');
    expect(emu.applicationHistory(id).map((h) => h.state)).toEqual([
      'CREATING',
      'CREATED',
      'STARTING',
      'STARTED',
      'STOPPING',
      'STOPPED',
    ]);
  });

  it('refuse initial capacity over the account quota with ServiceQuotaExceededException', async () => {
    const id = await newApplication({
      initialCapacity: {
        Executor: { workerCount: 5, workerConfiguration: { cpu: '4vCPU', memory: '16GB' } },
      },
    });
    await applicationIn(id, 'CREATED');
    const e = await failure(emr.send(new StartApplicationCommand({ applicationId: id })));
    expect(e).toMatchObject({ name: 'ServiceQuotaExceededException', status: 402 });
    expect(e.message).toContain('20 vCPU');
  });

  it('list with pagination', async () => {
    await newApplication();
    await newApplication();
    const first = await emr.send(new ListApplicationsCommand({ maxResults: 1 }));
    expect(first.applications).toHaveLength(1);
    expect(first.nextToken).toMatch(/^[A-Za-z0-9_=-]+$/);
    const second = await emr.send(new ListApplicationsCommand({ maxResults: 1, nextToken: first.nextToken }));
    expect(second.applications?.[0]?.id).not.toBe(first.applications?.[0]?.id);
  });
});

describe('validation and errors, as the SDK sees them', () => {
  it('refuses unknown release labels and engines', async () => {
    const label = await failure(
      emr.send(
        new CreateApplicationCommand({ releaseLabel: 'emr-7.1.1', type: 'SPARK', clientToken: 'rl-1' }),
      ),
    );
    expect(label).toEqual({
      name: 'ValidationException',
      status: 400,
      message: "Type 'SPARK' is not supported for release label 'emr-7.1.1' or release label does not exist",
    });
    const engine = await failure(
      emr.send(
        new CreateApplicationCommand({ releaseLabel: 'emr-7.1.0', type: 'FLINK', clientToken: 'rl-2' }),
      ),
    );
    expect(engine).toMatchObject({ name: 'ValidationException', message: 'Unsupported engine FLINK' });
  });

  it('reports model violations: required members, patterns, lengths (sensitive ones redacted)', async () => {
    const missingType = await failure(
      emr.send(
        new CreateApplicationCommand({
          releaseLabel: 'emr-7.1.0',
          clientToken: 'v-1',
          name: 'has space',
        } as never),
      ),
    );
    expect(missingType.message).toBe(
      '2 validation errors detected: ' +
        "Value null at 'type' failed to satisfy constraint: Member must not be null; " +
        "Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9._/#-]+",
    );
    const app = await newApplication();
    const badRole = await failure(
      emr.send(new StartJobRunCommand(probeRun(app, ['0', '0'], { executionRoleArn: 'populator-role' }))),
    );
    expect(badRole.name).toBe('ValidationException');
    expect(badRole.message).toContain(
      "Value 'populator-role' at 'executionRoleArn' failed to satisfy constraint",
    );
    const userArn = await failure(
      emr.send(
        new StartJobRunCommand(
          probeRun(app, ['0', '0'], { executionRoleArn: `arn:aws:iam::${ACCOUNT}:user/bob` }),
        ),
      ),
    );
    expect(userArn.message).toContain(
      'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):iam::',
    );
    const tooLong = await failure(
      emr.send(
        new StartJobRunCommand({
          ...probeRun(app, ['0', '0']),
          name: 'n'.repeat(257),
          jobDriver: {
            sparkSubmit: { entryPoint: JAR, sparkSubmitParameters: `--conf a=${'x'.repeat(102_400)}` },
          },
        }),
      ),
    );
    expect(tooLong.message).toMatch(/^2 validation errors detected: /);
    expect(tooLong.message).toContain(
      "at 'name' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
    expect(tooLong.message).toContain(
      "Value '*** Sensitive Data Redacted ***' at 'jobDriver.sparkSubmit.sparkSubmitParameters' failed to satisfy constraint: Member must have length less than or equal to 102400",
    );
    const noEntryPoint = await failure(
      emr.send(new StartJobRunCommand({ ...probeRun(app, []), jobDriver: { sparkSubmit: {} as never } })),
    );
    expect(noEntryPoint.message).toContain(
      "Value null at 'jobDriver.sparkSubmit.entryPoint' failed to satisfy constraint",
    );
  });

  it('refuses a role of another account, a too short timeout and a non-S3 log URI', async () => {
    const app = await newApplication();
    const crossAccount = await failure(
      emr.send(
        new StartJobRunCommand(
          probeRun(app, ['0', '0'], { executionRoleArn: 'arn:aws:iam::999999999999:role/x' }),
        ),
      ),
    );
    expect(crossAccount).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    const timeout = await failure(
      emr.send(new StartJobRunCommand(probeRun(app, ['0', '0'], { executionTimeoutMinutes: 3 }))),
    );
    expect(timeout).toMatchObject({
      name: 'ValidationException',
      message: 'RunTimeout must be at least 5 minutes.',
    });
    const logUri = await failure(
      emr.send(
        new StartJobRunCommand(
          probeRun(app, ['0', '0'], {
            configurationOverrides: {
              monitoringConfiguration: { s3MonitoringConfiguration: { logUri: '/tmp/logs' } },
            },
          }),
        ),
      ),
    );
    expect(logUri.name).toBe('ValidationException');
  });

  it('answers unknown ids with ResourceNotFoundException (404)', async () => {
    const app = await newApplication();
    // Thunks: a rejected promise nobody awaits yet would be reported as unhandled.
    const calls: (() => Promise<unknown>)[] = [
      () => emr.send(new GetApplicationCommand({ applicationId: '00fnosuchapp0000' })),
      () => emr.send(new StartApplicationCommand({ applicationId: '00fnosuchapp0000' })),
      () => emr.send(new GetJobRunCommand({ applicationId: app, jobRunId: '00fnosuchrun0000' })),
      () => emr.send(new CancelJobRunCommand({ applicationId: app, jobRunId: '00fnosuchrun0000' })),
      () => emr.send(new ListJobRunsCommand({ applicationId: '00fnosuchapp0000' })),
      () => emr.send(new StartJobRunCommand(probeRun('00fnosuchapp0000', ['0', '0']))),
      () =>
        emr.send(
          new ListTagsForResourceCommand({
            resourceArn: `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/00fnosuchapp0000`,
          }),
        ),
    ];
    for (const c of calls)
      expect(await failure(c())).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    // Not an id at all: a validation problem, not a missing resource.
    expect((await failure(emr.send(new GetApplicationCommand({ applicationId: 'Not-An-Id' })))).name).toBe(
      'ValidationException',
    );
  });

  it('needs a clientToken (the SDK fills one in; a raw request without one is refused) and a JSON body', async () => {
    const app = await newApplication();
    const headers = {
      'content-type': 'application/json',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDRAW/20260101/${REGION}/emr-serverless/aws4_request, SignedHeaders=host, Signature=0`,
    };
    const noToken = await fetch(`${emu.endpoint}/applications/${app}/jobruns`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ executionRoleArn: ROLE, jobDriver: { sparkSubmit: { entryPoint: JAR } } }),
    });
    expect(noToken.status).toBe(400);
    expect(noToken.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await noToken.json()).toEqual({
      message:
        "1 validation error detected: Value null at 'clientToken' failed to satisfy constraint: Member must not be null",
    });
    const notJson = await fetch(`${emu.endpoint}/applications`, {
      method: 'POST',
      headers,
      body: '{"releaseLabel":',
    });
    expect(notJson.headers.get('x-amzn-errortype')).toBe('SerializationException');
    const unsigned = await fetch(`${emu.endpoint}/applications`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('refuses a request signed for another region, and AccessDeniedException when configured', async () => {
    const elsewhere = new EMRServerlessClient({
      region: 'eu-west-1',
      endpoint: emu.endpoint,
      credentials: CALLER_KEYS,
    });
    try {
      expect(await failure(elsewhere.send(new ListApplicationsCommand({})))).toMatchObject({
        name: 'InvalidSignatureException',
        status: 403,
      });
    } finally {
      elsewhere.destroy();
    }
    const app = await newApplication();
    emu.setAuthorizer((call) => (call.operation === 'StartJobRun' ? false : undefined));
    try {
      const denied = await failure(emr.send(new StartJobRunCommand(probeRun(app, ['0', '0']))));
      expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403 });
      expect(denied.message).toBe(
        `User: arn:aws:iam::${ACCOUNT}:user/emulator is not authorized to perform: emr-serverless:StartJobRun on resource: ` +
          `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${app}/jobruns/*`,
      );
      // Other calls still work.
      await emr.send(new GetApplicationCommand({ applicationId: app }));
    } finally {
      emu.setAuthorizer(undefined);
    }
  });
});

describe('clientToken idempotency', () => {
  it('CreateApplication with the same token returns the same application; other parameters conflict', async () => {
    const input = { name: 'idem', releaseLabel: 'emr-7.5.0', type: 'SPARK', clientToken: 'idem-app' };
    const a = await emr.send(new CreateApplicationCommand(input));
    const b = await emr.send(new CreateApplicationCommand(input));
    expect(b.applicationId).toBe(a.applicationId);
    expect(b.arn).toBe(a.arn);
    const e = await failure(emr.send(new CreateApplicationCommand({ ...input, name: 'other' })));
    expect(e).toMatchObject({ name: 'ConflictException', status: 409 });
  });

  it('StartJobRun with the same token returns the same job run and starts one', async () => {
    const app = await newApplication();
    const input = probeRun(app, ['0', '0']);
    const a = await emr.send(new StartJobRunCommand(input));
    const b = await emr.send(new StartJobRunCommand(input));
    expect(b.jobRunId).toBe(a.jobRunId);
    expect((await emr.send(new ListJobRunsCommand({ applicationId: app }))).jobRuns).toHaveLength(1);
    const e = await failure(emr.send(new StartJobRunCommand({ ...input, name: 'renamed' })));
    expect(e.name).toBe('ConflictException');
    await finalJobRun(app, a.jobRunId as string);
  });
});

describe('job runs', () => {
  it('walk SUBMITTED -> SCHEDULED -> RUNNING -> SUCCESS running the jar, and upload the driver logs while they run', async () => {
    const app = await newApplication({ autoStopConfiguration: { enabled: false } });
    const input = probeRun(
      app,
      ['3000', '0'],
      { tags: { run: 'probe' } },
      '--conf spark.executor.cores=2 --conf spark.executor.instances=2 --conf spark.probe.custom=yes ' +
        '--conf spark.emr-serverless.driverEnv.PROBE_ENV=hello',
    );
    const id = await start(input);
    // A log upload happens while the job still runs (every logUploadIntervalMs, as EMR's every ~15 s).
    await until('a driver log upload while RUNNING', async () => {
      const j = await jobRun(app, id);
      if (FINAL.includes(j.state ?? '')) throw new Error(`ended before any upload was seen: ${j.state}`);
      if (j.state !== 'RUNNING') return undefined;
      try {
        await s3.client.send(
          new HeadObjectCommand({
            Bucket: BUCKET,
            Key: `logs/applications/${app}/jobs/${id}/SPARK_DRIVER/stderr.gz`,
          }),
        );
        return true;
      } catch {
        return undefined;
      }
    });
    const j = await finalJobRun(app, id);
    expect(emu.jobRunHistory(app, id).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'SCHEDULED',
      'RUNNING',
      'SUCCESS',
    ]);
    expect(emu.applicationHistory(app).map((h) => h.state)).toEqual([
      'CREATING',
      'CREATED',
      'STARTING',
      'STARTED',
    ]);
    expect(j).toMatchObject({
      applicationId: app,
      jobRunId: id,
      name: input.name,
      arn: `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${app}/jobruns/${id}`,
      createdBy: `arn:aws:iam::${ACCOUNT}:user/emulator`,
      executionRole: ROLE,
      state: 'SUCCESS',
      stateDetails: '',
      releaseLabel: 'emr-7.5.0',
      jobDriver: input.jobDriver,
      configurationOverrides: input.configurationOverrides,
      tags: { run: 'probe' },
      executionTimeoutMinutes: 720,
      mode: 'BATCH',
      attempt: 1,
      // Under a minute: every worker is billed its minimum. Driver 4 vCPU / 16 GB, 2 executors of
      // 2 vCPU / 16 GB (14g + overhead): (4 + 2 x 2) vCPU-minutes, (16 + 2 x 16) GB-minutes.
      billedResourceUtilization: { vCPUHour: 0.133, memoryGBHour: 0.8, storageGBHour: 0 },
    });
    expect(j.networkConfiguration).toBeUndefined();
    expect(j.queuedDurationMilliseconds).toBeUndefined();
    const createdAt = j.createdAt as Date;
    const startedAt = j.startedAt as Date;
    const endedAt = j.endedAt as Date;
    const updatedAt = j.updatedAt as Date;
    expect(createdAt.getTime()).toBeLessThanOrEqual(startedAt.getTime());
    expect(startedAt.getTime()).toBeLessThan(endedAt.getTime());
    expect(updatedAt.getTime()).toBe(endedAt.getTime());
    const ranSeconds = (endedAt.getTime() - startedAt.getTime()) / 1000;
    expect(j.totalExecutionDurationSeconds).toBeGreaterThanOrEqual(3);
    expect(j.totalExecutionDurationSeconds).toBeLessThanOrEqual(Math.ceil(ranSeconds));
    expect(j.totalResourceUtilization?.vCPUHour).toBeCloseTo((8 * ranSeconds) / 3600, 2);

    const stdout = await driverLog(app, id, 'stdout');
    // The run's executors (2 vCPU each) as executor JVMs scaled down to this machine's 2 cores.
    expect(stdout).toContain('probe: master=local-cluster[2,1,768]');
    expect(stdout).toContain('probe: executor.cores=1');
    expect(stdout).toContain('probe: custom.conf=yes');
    expect(stdout).toContain('probe: role key present=true');
    expect(stdout).toContain(`probe: region=${REGION}`);
    expect(stdout).toContain(`probe: dynamodb endpoint=${FAKE_DYNAMODB}`);
    expect(stdout).toContain('probe: driver env=hello');
    expect(stdout).toContain('probe: caller env=null');
    expect(stdout).toContain('probe: done');
    expect(await driverLog(app, id, 'stderr')).toContain('probe: tick 0');

    const listed = await emr.send(new ListJobRunsCommand({ applicationId: app, states: ['SUCCESS'] }));
    expect(listed.jobRuns?.map((r) => [r.id, r.state, r.type])).toEqual([[id, 'SUCCESS', 'Spark']]);
    const attempts = await emr.send(new ListJobRunAttemptsCommand({ applicationId: app, jobRunId: id }));
    expect(attempts.jobRunAttempts?.map((a) => a.attempt)).toEqual([1]);
    const dash = await emr.send(new GetDashboardForJobRunCommand({ applicationId: app, jobRunId: id }));
    const page = await fetch(dash.url as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Job run ${id}`);

    // A job on a STOPPED application with autoStart starts it again.
    await emr.send(new StopApplicationCommand({ applicationId: app }));
    await applicationIn(app, 'STOPPED');
    const again = await start(probeRun(app, ['0', '0']));
    expect((await finalJobRun(app, again)).state).toBe('SUCCESS');
    expect(
      emu
        .applicationHistory(app)
        .map((h) => h.state)
        .slice(-4),
    ).toEqual(['STOPPING', 'STOPPED', 'STARTING', 'STARTED']);
  });

  it("ends FAILED with the job's own last error line in stateDetails; the logs hold the rest", async () => {
    const app = await newApplication();
    const id = await start(probeRun(app, ['0', '3', 'the manifest table is gone']));
    const j = await finalJobRun(app, id);
    expect(j.state).toBe('FAILED');
    expect(j.stateDetails).toBe(
      'Job failed, please check complete logs in configured logging destination. ExitCode: 3. ' +
        'Last few exceptions: java.lang.IllegalStateException: the manifest table is gone',
    );
    expect(await driverLog(app, id, 'stderr')).toContain('at EmulatorProbe.main');
    expect(j.billedResourceUtilization?.vCPUHour).toBe(0.267);
  });

  it('fails a missing entry point, a sizing no worker has, and one over the vCPU quota, without running anything', async () => {
    const app = await newApplication();
    const missing = await start({
      ...probeRun(app, []),
      jobDriver: {
        sparkSubmit: { entryPoint: `s3://${BUCKET}/jars/nope.jar`, sparkSubmitParameters: '--class X' },
      },
    });
    const m = await finalJobRun(app, missing);
    expect(m.state).toBe('FAILED');
    expect(m.stateDetails).toContain(
      `java.io.FileNotFoundException: No such file or directory: s3://${BUCKET}/jars/nope.jar`,
    );
    expect(await driverLog(app, missing, 'stderr')).toContain('FileNotFoundException');

    const odd = await finalJobRun(
      app,
      await start(probeRun(app, ['0', '0'], {}, '--conf spark.executor.cores=3')),
    );
    expect(odd).toMatchObject({
      state: 'FAILED',
      stateDetails: expect.stringContaining('spark.executor.cores=3'),
    });
    expect(odd.billedResourceUtilization).toEqual({ vCPUHour: 0, memoryGBHour: 0, storageGBHour: 0 });
    const big = await finalJobRun(
      app,
      await start(probeRun(app, ['0', '0'], {}, '--conf spark.executor.instances=10')),
    );
    expect(big).toMatchObject({ state: 'FAILED', stateDetails: expect.stringContaining('44 vCPU') });
    expect(emu.jobRunHistory(app, big.jobRunId as string).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'SCHEDULED',
      'FAILED',
    ]);
  });

  it('cancel: RUNNING -> CANCELLING -> CANCELLED, and the driver JVM is gone', async () => {
    const app = await newApplication();
    const id = await start(probeRun(app, ['600000', '0']));
    await inState(app, id, 'RUNNING');
    const [pid] = await until('the driver JVM', async () =>
      emu.jvmPids().length > 0 ? emu.jvmPids() : undefined,
    );
    await until('the probe to print', async () =>
      (await driverLog(app, id, 'stdout').catch(() => '')).includes('probe:') ? true : undefined,
    );
    const r = await emr.send(new CancelJobRunCommand({ applicationId: app, jobRunId: id }));
    expect(r).toMatchObject({ applicationId: app, jobRunId: id });
    const j = await finalJobRun(app, id);
    expect(j.state).toBe('CANCELLED');
    expect(emu.jobRunHistory(app, id).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'SCHEDULED',
      'RUNNING',
      'CANCELLING',
      'CANCELLED',
    ]);
    expect(alive(pid as number)).toBe(false);
    expect(j.billedResourceUtilization?.vCPUHour).toBeGreaterThan(0);
    expect(
      (await failure(emr.send(new CancelJobRunCommand({ applicationId: app, jobRunId: id })))).name,
    ).toBe('ValidationException');
  });

  it('cancel of a driver that ignores SIGTERM: SIGKILL after shutdownGracePeriodInSeconds', async () => {
    const app = await newApplication();
    const id = await start(probeRun(app, ['600000', '0', 'x', 'hang']));
    await inState(app, id, 'RUNNING');
    const [pid] = await until('the driver JVM', async () =>
      emu.jvmPids().length > 0 ? emu.jvmPids() : undefined,
    );
    await until('the probe to print', async () =>
      (await driverLog(app, id, 'stdout').catch(() => '')).includes('probe:') ? true : undefined,
    );
    await emr.send(
      new CancelJobRunCommand({ applicationId: app, jobRunId: id, shutdownGracePeriodInSeconds: 1 }),
    );
    expect((await finalJobRun(app, id)).state).toBe('CANCELLED');
    expect(alive(pid as number)).toBe(false);
    expect(await driverLog(app, id, 'stderr')).toContain('probe: ignoring the shutdown');
  });

  it('executionTimeoutMinutes is enforced: past it the run is cancelled and ends FAILED', async () => {
    const app = await newApplication();
    // 5 emulated minutes of 100 ms each.
    const id = await start(probeRun(app, ['600000', '0'], { executionTimeoutMinutes: 5 }));
    const j = await finalJobRun(app, id);
    expect(j).toMatchObject({ state: 'FAILED', executionTimeoutMinutes: 5 });
    expect(j.stateDetails).toContain('timed out');
    expect(emu.jobRunHistory(app, id).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'SCHEDULED',
      'RUNNING',
      'CANCELLING',
      'FAILED',
    ]);
    expect(emu.jvmPids()).toEqual([]);
  });

  it('queue beyond maxConcurrentRuns (QUEUED, queuedDurationMilliseconds); a queued run cancels without billing', async () => {
    const app = await newApplication({
      releaseLabel: 'emr-7.3.0',
      schedulerConfiguration: { maxConcurrentRuns: 1 },
    });
    const first = await start(probeRun(app, ['1500', '0'], {}, '--conf spark.executor.instances=1'));
    await inState(app, first, 'RUNNING');
    const second = await start(probeRun(app, ['0', '0'], {}, '--conf spark.executor.instances=1'));
    const third = await start(probeRun(app, ['0', '0'], {}, '--conf spark.executor.instances=1'));
    await inState(app, third, 'QUEUED');
    await emr.send(new CancelJobRunCommand({ applicationId: app, jobRunId: third }));
    const c = await finalJobRun(app, third);
    expect(c.state).toBe('CANCELLED');
    expect(c.billedResourceUtilization).toEqual({ vCPUHour: 0, memoryGBHour: 0, storageGBHour: 0 });
    expect(emu.jobRunHistory(app, third).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'QUEUED',
      'CANCELLING',
      'CANCELLED',
    ]);
    const s = await finalJobRun(app, second);
    expect(s.state).toBe('SUCCESS');
    expect(emu.jobRunHistory(app, second).map((h) => h.state)).toEqual([
      'SUBMITTED',
      'QUEUED',
      'SCHEDULED',
      'RUNNING',
      'SUCCESS',
    ]);
    expect(s.queuedDurationMilliseconds).toBeGreaterThan(0);
    // It ran only after the first one ended.
    expect((s.startedAt as Date).getTime()).toBeGreaterThanOrEqual(
      ((await jobRun(app, first)).endedAt as Date).getTime(),
    );
  });

  it('wait in SCHEDULED while the account has no room for their workers', async () => {
    const a = await newApplication();
    const b = await newApplication();
    // The default sizing is the whole 16 vCPU quota.
    const first = await start(probeRun(a, ['1500', '0']));
    await inState(a, first, 'RUNNING');
    const second = await start(probeRun(b, ['0', '0']));
    await inState(b, second, 'SCHEDULED');
    const s = await finalJobRun(b, second);
    expect(s.state).toBe('SUCCESS');
    expect((s.startedAt as Date).getTime()).toBeGreaterThanOrEqual(
      ((await jobRun(a, first)).endedAt as Date).getTime(),
    );
  });
});

describe('tags', () => {
  it('on applications and job runs: TagResource, UntagResource, ListTagsForResource', async () => {
    const app = await newApplication({ tags: { a: '1' } });
    const appArn = `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${app}`;
    await emr.send(new TagResourceCommand({ resourceArn: appArn, tags: { b: '2', c: '3' } }));
    await emr.send(new UntagResourceCommand({ resourceArn: appArn, tagKeys: ['a', 'c'] }));
    expect((await emr.send(new ListTagsForResourceCommand({ resourceArn: appArn }))).tags).toEqual({
      b: '2',
    });
    const run = await emr.send(new StartJobRunCommand(probeRun(app, ['0', '0'], { tags: { x: 'y' } })));
    await emr.send(new TagResourceCommand({ resourceArn: run.arn, tags: { z: 'w' } }));
    expect((await emr.send(new ListTagsForResourceCommand({ resourceArn: run.arn }))).tags).toEqual({
      x: 'y',
      z: 'w',
    });
    expect((await jobRun(app, run.jobRunId as string)).tags).toEqual({ x: 'y', z: 'w' });
    const bad = await failure(
      emr.send(new TagResourceCommand({ resourceArn: 'arn:aws:s3:::bucket', tags: { k: 'v' } })),
    );
    expect(bad.name).toBe('ValidationException');
    const badKey = await failure(
      emr.send(new TagResourceCommand({ resourceArn: appArn, tags: { 'no!': 'v' } })),
    );
    expect(badKey.name).toBe('ValidationException');
    await finalJobRun(app, run.jobRunId as string);
  });
});

describe('what the emulator records and stops', () => {
  it('records every request (method, URL, headers, body) and no secret was ever sent', async () => {
    const all = emu.requests();
    expect(all.length).toBeGreaterThan(50);
    const startJob = all.find((r) => r.operation === 'StartJobRun' && r.status === 200);
    expect(startJob).toMatchObject({
      method: 'POST',
      url: expect.stringMatching(/^\/applications\/00f[0-9a-z]+\/jobruns$/),
    });
    expect(JSON.parse(startJob?.body ?? '{}')).toMatchObject({
      executionRoleArn: ROLE,
      clientToken: expect.any(String),
    });
    expect(startJob?.headers.authorization).toContain(`Credential=${CALLER_KEYS.accessKeyId}/`);
    const text = JSON.stringify(all);
    for (const secret of [CALLER_KEYS.secretAccessKey, ROLE_KEYS.secretAccessKey])
      expect(text).not.toContain(secret);
  });

  it('queues every run first when told, and stop() ends every driver JVM it started', async () => {
    const other = await startEmrServerlessEmulator(emulatorOptions({ queueJobRuns: true }));
    const client = new EMRServerlessClient({
      region: REGION,
      endpoint: other.endpoint,
      credentials: CALLER_KEYS,
    });
    try {
      const app = (
        await client.send(
          new CreateApplicationCommand({ releaseLabel: 'emr-7.5.0', type: 'SPARK', clientToken: 'stop-1' }),
        )
      ).applicationId as string;
      const id = (await client.send(new StartJobRunCommand(probeRun(app, ['600000', '0']))))
        .jobRunId as string;
      const [pid] = await until('the driver JVM', async () =>
        other.jvmPids().length > 0 ? other.jvmPids() : undefined,
      );
      expect(other.jobRunHistory(app, id).map((h) => h.state)).toEqual([
        'SUBMITTED',
        'QUEUED',
        'SCHEDULED',
        'RUNNING',
      ]);
      await other.stop();
      expect(alive(pid as number)).toBe(false);
      expect(other.jvmPids()).toEqual([]);
    } finally {
      client.destroy();
      await other.stop();
    }
  });
});
