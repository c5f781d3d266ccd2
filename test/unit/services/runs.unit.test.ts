import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EMRServerlessClient,
  GetJobRunCommand,
  type GetJobRunCommandOutput,
} from '@aws-sdk/client-emr-serverless';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TTL_SECONDS, JOB_ARGS } from '../../../src/domain/contract.js';
import { findRun } from '../../../src/services/runs.js';

const emr = mockClient(EMRServerlessClient);
const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-runs-'));
afterAll(() => {
  emr.restore();
  rmSync(dir, { recursive: true, force: true });
});

function jobRun(args: string[]): GetJobRunCommandOutput {
  return {
    jobRun: {
      applicationId: 'app1',
      jobRunId: 'jr9',
      arn: 'arn:jr9',
      name: 'backfill-2021',
      createdBy: 'arn:aws:iam::111122223333:user/me',
      createdAt: new Date('2026-12-01T10:00:00Z'),
      updatedAt: new Date('2026-12-01T10:00:00Z'),
      executionRole: 'arn:aws:iam::111122223333:role/populator',
      state: 'RUNNING' as const,
      stateDetails: '',
      releaseLabel: 'emr-7.13.0',
      jobDriver: { sparkSubmit: { entryPoint: 's3://b/j.jar', entryPointArguments: args } },
    },
    $metadata: {},
  };
}

describe('a job run not submitted from here (status, logs, cancel by its id)', () => {
  const lookup = {
    recordsDir: path.join(dir, 'runs'),
    jobRunId: 'jr9',
    applicationId: 'app1',
    region: 'eu-west-1',
    env: {},
  };
  const base = [
    JOB_ARGS.archive,
    's3://b/archive/',
    JOB_ARGS.output,
    's3://b/runs/x/',
    JOB_ARGS.table,
    'manifest',
  ];

  it('takes its inputs from its arguments, the job’s defaults where one is absent', async () => {
    emr.on(GetJobRunCommand).resolves(jobRun(base));
    const r = await findRun(lookup);
    expect(r).toMatchObject({ runName: 'backfill-2021', table: 'manifest', output: 's3://b/runs/x/' });
    // Not ttl 0, and not "writes expired items" for a table without TTL: what the job was told.
    expect(r.inputs).toMatchObject({
      ttlSeconds: DEFAULT_TTL_SECONDS,
      writeExpired: false,
      skipExpired: false,
    });
  });

  it('reads --ttl-seconds and --skip-expired as given', async () => {
    emr
      .on(GetJobRunCommand)
      .resolves(jobRun([...base, JOB_ARGS.ttlSeconds, '86400', JOB_ARGS.skipExpired, 'true']));
    expect((await findRun(lookup)).inputs).toMatchObject({
      ttlSeconds: 86400,
      writeExpired: false,
      skipExpired: true,
    });
  });
});
