/**
 * A second opinion on the EMR Serverless emulator: the same requests, through the real SDK, to it and
 * to moto's server (`python3 -m moto.server`, which implements the same API without running
 * anything), give the same validation outcomes and the same response shapes. Known differences,
 * not compared: moto answers not-found with 400 (the model says 404), its applications start as
 * STARTED and its job runs as SUCCESS, and its GetJobRun omits executionRole and createdBy.
 */
import os from 'node:os';
import path from 'node:path';
import {
  CreateApplicationCommand,
  DeleteApplicationCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetJobRunCommand,
  ListJobRunsCommand,
  StartApplicationCommand,
  StartJobRunCommand,
  type StartJobRunCommandInput,
} from '@aws-sdk/client-emr-serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEmrServerlessEmulator,
  type EmrServerlessEmulator,
} from '../../support/emr-serverless/index.js';
// moto's server serves every service on one endpoint: the S3 fixture's server is also its EMR Serverless.
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';

const REGION = 'us-east-1';
const KEYS = { accessKeyId: 'AKIDSECOND', secretAccessKey: 'second-opinion-secret' };
const ROLE = 'arn:aws:iam::123456789012:role/populator-job';

let moto: S3Emulator;
let emu: EmrServerlessEmulator;
let clients: { name: string; client: EMRServerlessClient }[];

beforeAll(async () => {
  moto = await startS3Emulator({ region: REGION, credentials: KEYS });
  emu = await startEmrServerlessEmulator({
    region: REGION,
    s3: { endpoint: moto.endpoint, credentials: KEYS },
    env: process.env,
    projectRoot: path.resolve('.'),
    cacheDir: path.join(os.homedir(), '.cache', 'populator'),
    delays: {
      applicationCreateMs: 50,
      applicationStartMs: 50,
      jobSubmittedMs: 20,
      jobScheduledMs: 20,
      jobCancellingMs: 20,
    },
  });
  clients = [
    {
      name: 'emulator',
      client: new EMRServerlessClient({ region: REGION, endpoint: emu.endpoint, credentials: KEYS }),
    },
    {
      name: 'moto',
      client: new EMRServerlessClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS }),
    },
  ];
}, 60_000);

afterAll(async () => {
  for (const c of clients ?? []) c.client.destroy();
  await emu?.stop();
  await moto?.stop();
});

type Outcome = { ok: true; value: Record<string, unknown> } | { ok: false; name: string; message: string };

async function outcome(p: Promise<object>): Promise<Outcome> {
  try {
    const { $metadata: _meta, ...value } = (await p) as Record<string, unknown>;
    return { ok: true, value };
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message };
  }
}

/** Sends the same request to both (`i`: 0 the emulator, 1 moto) and returns both outcomes. */
async function both(
  send: (c: EMRServerlessClient, i: number) => Promise<object>,
): Promise<[Outcome, Outcome]> {
  const [a, b] = clients;
  return [await outcome(send(a!.client, 0)), await outcome(send(b!.client, 1))];
}

function sameError([ours, theirs]: [Outcome, Outcome], expected: string): void {
  expect(ours).toMatchObject({ ok: false, name: expected });
  expect(theirs).toMatchObject({ ok: false, name: expected });
}

async function newApplication(client: EMRServerlessClient, token: string): Promise<string> {
  const r = await client.send(
    new CreateApplicationCommand({
      name: 'second-opinion',
      releaseLabel: 'emr-7.1.0',
      type: 'SPARK',
      clientToken: token,
    }),
  );
  return r.applicationId as string;
}

function jobInput(
  applicationId: string,
  extra: Partial<StartJobRunCommandInput> = {},
): StartJobRunCommandInput {
  return {
    applicationId,
    name: 'second-opinion-run',
    executionRoleArn: ROLE,
    clientToken: `run-${Math.random().toString(36).slice(2)}`,
    tags: { team: 'data' },
    jobDriver: {
      sparkSubmit: { entryPoint: 's3://no-such-bucket/job.jar', sparkSubmitParameters: '--class X' },
    },
    configurationOverrides: {
      monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://no-such-bucket/logs/' } },
    },
    ...extra,
  };
}

describe('the emulator and moto agree', () => {
  it('on CreateApplication and GetApplication shapes and defaults', async () => {
    const [ours, theirs] = await both((c, n) =>
      c.send(
        new CreateApplicationCommand({
          name: 'shape',
          releaseLabel: 'emr-7.1.0',
          type: 'SPARK',
          clientToken: `shape-${n}`,
        }),
      ),
    );
    for (const o of [ours, theirs]) {
      expect(o.ok).toBe(true);
      if (!o.ok) continue;
      expect(Object.keys(o.value).sort()).toEqual(['applicationId', 'arn', 'name']);
      expect(o.value.arn).toMatch(
        /^arn:aws:emr-serverless:us-east-1:123456789012:\/applications\/[0-9a-z]+$/,
      );
    }
    const ids = [ours, theirs].map((o) => (o.ok ? (o.value.applicationId as string) : ''));
    const got = await Promise.all(
      clients.map((c, i) => c.client.send(new GetApplicationCommand({ applicationId: ids[i] }))),
    );
    const view = (a: (typeof got)[number]['application']) => ({
      name: a?.name,
      releaseLabel: a?.releaseLabel,
      type: a?.type,
      tags: a?.tags,
      autoStartConfiguration: a?.autoStartConfiguration,
      autoStopConfiguration: a?.autoStopConfiguration,
      createdAt: a?.createdAt instanceof Date,
    });
    expect(view(got[0]?.application)).toEqual(view(got[1]?.application));
    expect(view(got[0]?.application)).toMatchObject({
      type: 'Spark',
      autoStopConfiguration: { idleTimeoutMinutes: 15 },
    });
  });

  it('on refusing unknown release labels and engines, with the same message', async () => {
    const label = await both((c, n) =>
      c.send(
        new CreateApplicationCommand({ releaseLabel: 'emr-7.1.1', type: 'SPARK', clientToken: `label-${n}` }),
      ),
    );
    sameError(label, 'ValidationException');
    expect(label[0]).toEqual(label[1]);
    const engine = await both((c, n) =>
      c.send(
        new CreateApplicationCommand({
          releaseLabel: 'emr-7.1.0',
          type: 'FLINK',
          clientToken: `engine-${n}`,
        }),
      ),
    );
    sameError(engine, 'ValidationException');
    expect(engine[0]).toEqual(engine[1]);
  });

  it('on unknown applications and job runs (ResourceNotFoundException)', async () => {
    sameError(
      await both((c) => c.send(new GetApplicationCommand({ applicationId: '00fnosuchapp0000' }))),
      'ResourceNotFoundException',
    );
    const apps = await Promise.all(clients.map((c, i) => newApplication(c.client, `nf-${i}`)));
    sameError(
      await both((c, i) =>
        c.send(new GetJobRunCommand({ applicationId: apps[i] as string, jobRunId: '00fnosuchrun0000' })),
      ),
      'ResourceNotFoundException',
    );
  });

  it('on StartJobRun refusals: a role of another account, a timeout under 5 minutes', async () => {
    const apps = await Promise.all(clients.map((c, i) => newApplication(c.client, `refuse-${i}`)));
    const crossAccount = await both((c, i) =>
      c.send(
        new StartJobRunCommand(
          jobInput(apps[i] as string, { executionRoleArn: 'arn:aws:iam::999999999999:role/x' }),
        ),
      ),
    );
    sameError(crossAccount, 'AccessDeniedException');
    expect(crossAccount[0]).toEqual(crossAccount[1]);
    const timeout = await both((c, i) =>
      c.send(new StartJobRunCommand(jobInput(apps[i] as string, { executionTimeoutMinutes: 3 }))),
    );
    sameError(timeout, 'ValidationException');
    expect(timeout[0]).toEqual(timeout[1]);
  });

  it('on job run shapes: StartJobRun, GetJobRun (every member moto returns), ListJobRuns', async () => {
    const apps = await Promise.all(clients.map((c, i) => newApplication(c.client, `shape-run-${i}`)));
    const started = await both((c, i) => c.send(new StartJobRunCommand(jobInput(apps[i] as string))));
    const runIds: string[] = [];
    for (const o of started) {
      expect(o.ok).toBe(true);
      if (!o.ok) continue;
      expect(Object.keys(o.value).sort()).toEqual(['applicationId', 'arn', 'jobRunId']);
      runIds.push(o.value.jobRunId as string);
    }
    // The emulator's run fails (its entry point does not exist); wait until it is final like moto's.
    const deadline = Date.now() + 60_000;
    let ours;
    for (;;) {
      ours = (
        await clients[0]!.client.send(new GetJobRunCommand({ applicationId: apps[0], jobRunId: runIds[0] }))
      ).jobRun;
      if (['SUCCESS', 'FAILED', 'CANCELLED'].includes(ours?.state ?? '') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const theirs = (
      await clients[1]!.client.send(new GetJobRunCommand({ applicationId: apps[1], jobRunId: runIds[1] }))
    ).jobRun;
    expect(ours?.state).toBe('FAILED');
    expect(Object.keys(ours ?? {})).toEqual(expect.arrayContaining(Object.keys(theirs ?? {})));
    const same = (j: typeof ours) => ({
      name: j?.name,
      releaseLabel: j?.releaseLabel,
      jobDriver: j?.jobDriver,
      configurationOverrides: j?.configurationOverrides,
      tags: j?.tags,
      executionTimeoutMinutes: j?.executionTimeoutMinutes,
      billedKeys: Object.keys(j?.billedResourceUtilization ?? {}).sort(),
    });
    expect(same(ours)).toEqual(same(theirs));
    const lists = await Promise.all(
      clients.map((c, i) => c.client.send(new ListJobRunsCommand({ applicationId: apps[i] }))),
    );
    const [ourItem, theirItem] = lists.map((l) => l.jobRuns?.[0]);
    expect(Object.keys(ourItem ?? {})).toEqual(
      expect.arrayContaining(Object.keys(theirItem ?? {}).filter((k) => k !== 'stateDetails')),
    );
    expect(ourItem?.type).toBe(theirItem?.type);
  });

  it('on refusing to delete a STARTED application, with the same message format', async () => {
    const apps = await Promise.all(clients.map((c, i) => newApplication(c.client, `delete-${i}`)));
    // Ours must be started first (moto's are STARTED from the start).
    for (;;) {
      const a = await clients[0]!.client.send(new GetApplicationCommand({ applicationId: apps[0] }));
      if (a.application?.state === 'CREATED') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await clients[0]!.client.send(new StartApplicationCommand({ applicationId: apps[0] }));
    for (;;) {
      const a = await clients[0]!.client.send(new GetApplicationCommand({ applicationId: apps[0] }));
      if (a.application?.state === 'STARTED') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await both((c, i) =>
      c.send(new DeleteApplicationCommand({ applicationId: apps[i] as string })),
    );
    sameError(r, 'ValidationException');
    const strip = (o: Outcome): string =>
      o.ok ? '' : o.message.replace(/Application \S+ /, 'Application ID ');
    expect(strip(r[0])).toBe(strip(r[1]));
  });
});
