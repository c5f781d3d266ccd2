import {
  CancelJobRunCommand,
  CreateApplicationCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  StartJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmrServerlessClient, mapEmrServerlessError } from '../../../src/aws/emr-serverless.js';
import { UserError } from '../../../src/domain/errors.js';

const emr = mockClient(EMRServerlessClient);
const CREDS = { accessKeyId: 'AKIDCALLER', secretAccessKey: 'caller-secret' };

function client() {
  return createEmrServerlessClient({ region: 'eu-west-1', credentials: CREDS });
}

function serviceError(name: string, status: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });
}

beforeEach(() => emr.reset());
afterEach(() => emr.reset());

describe('EMR Serverless adapter', () => {
  it('starts a job run with the fields populator sets and our clientToken (never a random one)', async () => {
    emr.on(StartJobRunCommand).resolves({ applicationId: 'app1', jobRunId: 'jr1', arn: 'arn:jr1' });
    const c = client();
    const r = await c.startJobRun({
      applicationId: 'app1',
      clientToken: 'populator-abc',
      executionRoleArn: 'arn:aws:iam::111122223333:role/populator',
      name: 'populator-x',
      entryPoint: 's3://b/jars/populator-job-0.1.0-abc.jar',
      entryPointArguments: ['--archive', 's3://a/'],
      sparkSubmitParameters: '--class Main',
      logUri: 's3://b/logs/',
      tags: { team: 'data' },
      executionTimeoutMinutes: 120,
    });
    c.destroy();
    expect(r).toEqual({ applicationId: 'app1', jobRunId: 'jr1', arn: 'arn:jr1' });
    const input = emr.commandCalls(StartJobRunCommand)[0]?.args[0].input;
    expect(input).toEqual({
      applicationId: 'app1',
      clientToken: 'populator-abc',
      executionRoleArn: 'arn:aws:iam::111122223333:role/populator',
      name: 'populator-x',
      jobDriver: {
        sparkSubmit: {
          entryPoint: 's3://b/jars/populator-job-0.1.0-abc.jar',
          entryPointArguments: ['--archive', 's3://a/'],
          sparkSubmitParameters: '--class Main',
        },
      },
      configurationOverrides: {
        monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://b/logs/' } },
      },
      tags: { team: 'data' },
      executionTimeoutMinutes: 120,
    });
  });

  it('reads a job run into plain data: ISO times, billed and total resource-hours, the log URI', async () => {
    emr.on(GetJobRunCommand).resolves({
      jobRun: {
        applicationId: 'app1',
        jobRunId: 'jr1',
        arn: 'arn:jr1',
        createdBy: 'arn:aws:iam::111122223333:user/me',
        createdAt: new Date('2026-12-01T10:00:00Z'),
        updatedAt: new Date('2026-12-01T10:30:00Z'),
        startedAt: new Date('2026-12-01T10:01:00Z'),
        endedAt: new Date('2026-12-01T10:30:00Z'),
        executionRole: 'arn:aws:iam::111122223333:role/populator',
        state: 'SUCCESS',
        stateDetails: '',
        releaseLabel: 'emr-7.13.0',
        queuedDurationMilliseconds: 4000,
        jobDriver: { sparkSubmit: { entryPoint: 's3://b/j.jar', entryPointArguments: ['--a', 'b'] } },
        configurationOverrides: {
          monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://logs/' } },
        },
        billedResourceUtilization: { vCPUHour: 7, memoryGBHour: 27.5, storageGBHour: 0 },
        totalResourceUtilization: { vCPUHour: 6.8, memoryGBHour: 27, storageGBHour: 70 },
      },
    });
    const c = client();
    const j = await c.getJobRun('app1', 'jr1');
    c.destroy();
    expect(j).toMatchObject({
      state: 'SUCCESS',
      stateDetails: undefined,
      createdAt: '2026-12-01T10:00:00.000Z',
      startedAt: '2026-12-01T10:01:00.000Z',
      endedAt: '2026-12-01T10:30:00.000Z',
      queuedMilliseconds: 4000,
      billed: { vCpuHours: 7, memoryGbHours: 27.5, storageGbHours: 0 },
      total: { vCpuHours: 6.8, memoryGbHours: 27, storageGbHours: 70 },
      logUri: 's3://logs/',
      entryPoint: 's3://b/j.jar',
      entryPointArguments: ['--a', 'b'],
    });
  });

  it('creates a Spark application on x86_64 that starts on submit and stops when idle', async () => {
    emr.on(CreateApplicationCommand).resolves({ applicationId: 'app9', arn: 'arn:app9', name: 'populator' });
    const c = client();
    expect(
      await c.createApplication({
        name: 'populator',
        releaseLabel: 'emr-7.13.0',
        clientToken: 'tok',
        tags: {},
      }),
    ).toEqual({ applicationId: 'app9', arn: 'arn:app9' });
    c.destroy();
    expect(emr.commandCalls(CreateApplicationCommand)[0]?.args[0].input).toMatchObject({
      type: 'SPARK',
      releaseLabel: 'emr-7.13.0',
      architecture: 'X86_64',
      clientToken: 'tok',
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
    });
  });

  it('reads an application, its auto-start defaulting to on', async () => {
    emr.on(GetApplicationCommand).resolves({
      application: {
        applicationId: 'app1',
        arn: 'arn:app1',
        releaseLabel: 'emr-7.5.0',
        type: 'Spark',
        state: 'STOPPED',
        createdAt: new Date(),
        updatedAt: new Date(),
      },
    });
    const c = client();
    expect(await c.findApplication('app1')).toMatchObject({
      id: 'app1',
      releaseLabel: 'emr-7.5.0',
      state: 'STOPPED',
      autoStartEnabled: true,
      type: 'Spark',
      subnetIds: [],
    });
    c.destroy();
  });

  it('answers null for an application that does not exist (AWS 404, moto 400 naming the id), maps other errors', async () => {
    const c = client();
    emr
      .on(GetApplicationCommand)
      .rejects(
        Object.assign(new Error('Application app9 does not exist'), { name: 'ResourceNotFoundException' }),
      );
    expect(await c.findApplication('app9')).toBeNull();
    emr
      .on(GetApplicationCommand)
      .rejects(Object.assign(new Error('Application app9 not found'), { name: 'ValidationException' }));
    expect(await c.findApplication('app9')).toBeNull();
    emr
      .on(GetApplicationCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(c.findApplication('app9')).rejects.toMatchObject({ code: 'EMR_ACCESS_DENIED' });
    c.destroy();
  });

  it('cancels, and reads the dashboard URL', async () => {
    emr.on(CancelJobRunCommand).resolves({ applicationId: 'app1', jobRunId: 'jr1' });
    emr.on(GetDashboardForJobRunCommand).resolves({ url: 'https://dash' });
    const c = client();
    await c.cancelJobRun('app1', 'jr1');
    expect(await c.getDashboardForJobRun('app1', 'jr1')).toBe('https://dash');
    c.destroy();
    expect(emr.commandCalls(CancelJobRunCommand)[0]?.args[0].input).toEqual({
      applicationId: 'app1',
      jobRunId: 'jr1',
    });
  });

  describe('errors a user can fix', () => {
    const cases: [string, number, string, RegExp][] = [
      [
        'AccessDeniedException',
        403,
        'EMR_ACCESS_DENIED',
        /emr-serverless:StartJobRun.*iam:PassRole on arn:aws:iam::1:role\/r/,
      ],
      ['ResourceNotFoundException', 404, 'APPLICATION_NOT_FOUND', /--region.*--create-application/],
      ['ValidationException', 400, 'EMR_VALIDATION', /service's own/],
      ['ServiceQuotaExceededException', 402, 'EMR_QUOTA_EXCEEDED', /L-D05C8A75/],
      ['ConflictException', 409, 'EMR_CONFLICT', /get-application --application-id app1/],
      ['ExpiredTokenException', 403, 'AWS_CREDENTIALS', /aws sso login/],
      ['UnrecognizedClientException', 403, 'AWS_CREDENTIALS', /get-caller-identity/],
    ];
    for (const [name, status, code, hint] of cases) {
      it(`${name} -> ${code}, the service's message passed through`, async () => {
        emr.on(StartJobRunCommand).rejects(serviceError(name, status, `the service says ${name}`));
        const c = client();
        const e = await c
          .startJobRun({
            applicationId: 'app1',
            clientToken: 't',
            executionRoleArn: 'arn:aws:iam::1:role/r',
            name: 'n',
            entryPoint: 's3://b/j.jar',
            entryPointArguments: [],
            sparkSubmitParameters: '',
            logUri: 's3://l/',
            tags: {},
            executionTimeoutMinutes: undefined,
          })
          .catch((x: unknown) => x);
        c.destroy();
        expect(e).toBeInstanceOf(UserError);
        expect((e as UserError).code).toBe(code);
        expect((e as UserError).hint).toMatch(hint);
        if (code !== 'AWS_CREDENTIALS')
          expect((e as UserError).message).toContain(`the service says ${name}`);
      });
    }

    it('names the job run when a job run is not found', () => {
      const e = mapEmrServerlessError(serviceError('ResourceNotFoundException', 400), {
        operation: 'GetJobRun',
        region: 'eu-west-1',
        endpoint: undefined,
        applicationId: 'app1',
        jobRunId: 'jr404',
      }) as UserError;
      expect(e.code).toBe('JOB_RUN_NOT_FOUND');
      expect(e.message).toContain('jr404');
    });

    it('says when the endpoint cannot be reached, and leaves other errors alone', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const ctx = { operation: 'GetJobRun', region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' };
      expect((mapEmrServerlessError(refused, ctx) as UserError).code).toBe('EMR_UNREACHABLE');
      const other = serviceError('InternalServerException', 500);
      expect(mapEmrServerlessError(other, ctx)).toBe(other);
    });
  });
});
