import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { EmrServerlessClient, JobRunInfo, StartJobRunInput } from '../../../src/aws/emr-serverless.js';
import type { S3Client } from '../../../src/aws/s3.js';
import { RUN_RECORD_VERSION, type RunRecord } from '../../../src/domain/run-record.js';
import { createEmrServerlessRunner } from '../../../src/runners/emr-serverless.js';
import { jobCounters } from '../../helpers/run-record.js';

const RECORD: RunRecord = {
  version: RUN_RECORD_VERSION,
  runName: 'populator-abc',
  runner: 'emr-serverless',
  createdAt: '2026-12-01T10:00:00.000Z',
  region: 'us-east-1',
  table: 't',
  staging: 's3://b/staging/',
  output: 's3://b/staging/runs/populator-abc',
  log: 's3://b/logs/',
  inputs: {
    archive: 's3://a/',
    storageConfig: '/s.json',
    resolver: '/r.json',
    since: null,
    until: null,
    etlTime: 'run',
    ttlSeconds: 1,
    writeExpired: false,
  },
  emr: { applicationId: 'app1', jobRunId: 'jr1', executionRoleArn: 'arn:aws:iam::1:role/r' },
};

function jobRun(over: Partial<JobRunInfo> = {}): JobRunInfo {
  return {
    applicationId: 'app1',
    jobRunId: 'jr1',
    arn: 'arn',
    name: 'populator-abc',
    state: 'RUNNING',
    stateDetails: undefined,
    releaseLabel: 'emr-7.13.0',
    executionRole: 'arn:aws:iam::1:role/r',
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: undefined,
    startedAt: undefined,
    endedAt: undefined,
    queuedMilliseconds: 2500,
    totalExecutionDurationSeconds: undefined,
    attempt: undefined,
    billed: undefined,
    total: undefined,
    logUri: 's3://b/logs/',
    entryPoint: undefined,
    entryPointArguments: [],
    tags: {},
    ...over,
  };
}

/** An in-memory S3 with the calls the runner makes. */
function fakeS3(objects: Record<string, Uint8Array | string>): S3Client {
  const get = (bucket: string, key: string): Uint8Array | null => {
    const v = objects[`${bucket}/${key}`];
    return v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;
  };
  return {
    listTopLevel: () => Promise.reject(new Error('unused')),
    async *listObjects(bucket, prefix) {
      for (const k of Object.keys(objects).sort()) {
        const [b, ...rest] = k.split('/');
        const key = rest.join('/');
        if (b === bucket && key.startsWith(prefix)) yield { key, size: 1 };
      }
    },
    putObject: () => Promise.reject(new Error('unused')),
    headObject: () => Promise.reject(new Error('unused')),
    getObjectRange: () => Promise.reject(new Error('unused')),
    getObject: (bucket, key) => Promise.resolve(get(bucket, key)),
    uploadFile: () => Promise.reject(new Error('unused')),
    createBucket: () => Promise.reject(new Error('unused')),
    getObjectStream: () => Promise.reject(new Error('unused')),
    getObjectText: () => Promise.reject(new Error('unused')),
    destroy: () => {},
  };
}

function fakeEmr(j: JobRunInfo, started: StartJobRunInput[] = []): EmrServerlessClient {
  return {
    findApplication: () => Promise.reject(new Error('unused')),
    createApplication: () => Promise.reject(new Error('unused')),
    startJobRun: (input) => {
      started.push(input);
      return Promise.resolve({ applicationId: input.applicationId, jobRunId: 'jr1', arn: 'arn' });
    },
    getJobRun: () => Promise.resolve(j),
    cancelJobRun: () => Promise.resolve(),
    getDashboardForJobRun: () => Promise.reject(new Error('AccessDeniedException')),
    destroy: () => {},
  };
}

describe('the EMR Serverless runner', () => {
  it('starts the job run with the spec and the job arguments, and records its coordinates', async () => {
    const started: StartJobRunInput[] = [];
    const runner = createEmrServerlessRunner({
      emr: fakeEmr(jobRun(), started),
      s3: fakeS3({}),
      job: {
        applicationId: 'app1',
        executionRoleArn: 'arn:aws:iam::1:role/r',
        releaseLabel: 'emr-7.13.0',
        entryPoint: 's3://b/jars/j.jar',
        sparkSubmitParameters: '--class X',
        logUri: 's3://b/logs/',
        tags: { 'populator-run': 'populator-abc' },
        executionTimeoutMinutes: 60,
        clientToken: 'populator-tok',
      },
    });
    const { emr: _emr, ...bare } = RECORD;
    const r = await runner.start({ record: bare, jobArgs: ['--archive', 's3://a/'] });
    expect(started[0]).toMatchObject({
      name: 'populator-abc',
      clientToken: 'populator-tok',
      entryPointArguments: ['--archive', 's3://a/'],
      executionTimeoutMinutes: 60,
    });
    expect(r.emr).toEqual({
      applicationId: 'app1',
      jobRunId: 'jr1',
      executionRoleArn: 'arn:aws:iam::1:role/r',
      jar: 's3://b/jars/j.jar',
      releaseLabel: 'emr-7.13.0',
      clientToken: 'populator-tok',
    });
  });

  it('reads progress while running, the summary and the priced bill once it succeeded', async () => {
    const s3 = fakeS3({
      'b/staging/runs/populator-abc/progress.json': JSON.stringify({ phase: 'writing', written: 5 }),
      'b/staging/runs/populator-abc/summary.json': JSON.stringify({
        counters: jobCounters({ linesRead: 1, written: 1 }),
      }),
    });
    const running = await createEmrServerlessRunner({ emr: fakeEmr(jobRun()), s3 }).status(RECORD, {
      dashboard: true,
    });
    expect(running).toMatchObject({
      state: 'RUNNING',
      final: false,
      queuedSeconds: 2.5,
      summary: null,
      dashboardUrl: null,
    });
    expect(running.progress?.written).toBe(5);
    expect(running.logs.stderr).toBe('s3://b/logs/applications/app1/jobs/jr1/SPARK_DRIVER/stderr.gz');

    const done = await createEmrServerlessRunner({
      emr: fakeEmr(
        jobRun({ state: 'SUCCESS', billed: { vCpuHours: 1, memoryGbHours: 4, storageGbHours: 0 } }),
      ),
      s3,
    }).status(RECORD);
    expect(done.final).toBe(true);
    expect(done.summary?.counters.written).toBe(1);
    expect(done.billed?.usd).toBeCloseTo(0.052624 + 4 * 0.0057785, 10);
  });

  it('gunzips the driver log of every attempt, in order', async () => {
    const base = 'b/logs/applications/app1/jobs/jr1/';
    const s3 = fakeS3({
      [`${base}SPARK_DRIVER/stdout.gz`]: gzipSync('first attempt\n'),
      [`${base}attempts/2/SPARK_DRIVER/stdout.gz`]: gzipSync('second attempt\n'),
      [`${base}attempts/2/SPARK_DRIVER/stderr.gz`]: gzipSync('not this stream\n'),
      [`${base}SPARK_EXECUTOR/1/stdout.gz`]: gzipSync('an executor\n'),
    });
    const logs = await createEmrServerlessRunner({ emr: fakeEmr(jobRun()), s3 }).logs(RECORD, 'stdout');
    expect(logs.map((l) => [l.attempt, l.text])).toEqual([
      [1, 'first attempt\n'],
      [2, 'second attempt\n'],
    ]);
  });
});
