import { describe, expect, it } from 'vitest';
import { mergeRequest, type SubmitCommandLine } from '../../../src/services/submit-request.js';
import type { ResumableRun } from '../../../src/services/resume.js';
import { localRunRecord } from '../../helpers/run-record.js';

const bare: SubmitCommandLine = {
  settings: {},
  skipPresent: false,
  createApplication: false,
  tags: [],
  resume: false,
};
const withArgs: SubmitCommandLine = {
  ...bare,
  archive: './archive',
  storageConfig: './dynamodb.json',
  resolver: './resolver.json',
};

function resumable(over: Parameters<typeof localRunRecord>[2] = {}): ResumableRun {
  return {
    record: localRunRecord('populator-run1', '/staging', {
      endpoints: { dynamodb: 'http://127.0.0.1:8000', s3: 'http://127.0.0.1:9000' },
      settings: { writeRate: 50, sizing: { executors: 2 } },
      profile: 'ops',
      ...over,
    }),
    state: 'FAILED',
    stateDetails: null,
    keysSettled: 10,
  };
}

describe('mergeRequest (the inputs step of submit)', () => {
  it('without --resume: the command line, and the defaults where a flag is not given', () => {
    const r = mergeRequest(withArgs, undefined, {});
    expect(r.options).toMatchObject({
      archive: './archive',
      storageConfigPath: './dynamodb.json',
      resolverPath: './resolver.json',
      etlTime: 'run',
      ttlSeconds: 15_552_000,
      writeExpired: false,
      skipPresent: false,
    });
    expect(r.options.resume).toBeUndefined();
    expect(r.keptFromRun).toEqual([]);
  });

  it('names every missing argument when no run gives them', () => {
    expect(() => mergeRequest({ ...bare, archive: 'a' }, undefined, {})).toThrow(
      'Missing STORAGE-CONFIG, RESOLVER (all three are needed unless --resume takes them from the run).',
    );
  });

  it("--resume takes the run's own inputs, pacing, sizing, profile and endpoints where none is given", () => {
    const run = resumable();
    const r = mergeRequest({ ...bare, resume: true }, run, {});
    expect(r.options).toMatchObject({
      archive: 'file:///data/archive/',
      storageConfigPath: '/etc/dynamodb.json',
      resolverPath: '/etc/resolver.json',
      since: '2021-01-01-00-00-00',
      etlTime: 'run',
      writeRate: 50,
      profile: 'ops',
      staging: '/staging',
      runner: 'local',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      s3Endpoint: 'http://127.0.0.1:9000',
      resume: run,
    });
    expect(r.options.emr?.sizing?.executors).toBe(2);
    expect(r.keptFromRun).toEqual(['--write-rate 50', '--executors 2']);
    expect(r.resumed).toBe(run);
  });

  it('a flag given now wins over the run; the environment wins over the run for endpoints', () => {
    const r = mergeRequest(
      { ...bare, resume: true, etlTime: 'event', settings: { writeRate: 10 }, archive: 's3://b/p/' },
      resumable(),
      { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1234' },
    );
    expect(r.options).toMatchObject({ etlTime: 'event', writeRate: 10, archive: 's3://b/p/' });
    expect(r.options.dynamodbEndpoint).toBeUndefined();
    expect(r.options.s3Endpoint).toBe('http://127.0.0.1:9000');
    expect(r.keptFromRun).toEqual(['--executors 2']);
  });

  it("an EMR run's application, role, log path and jar are taken over; a local run's are not", () => {
    const emr = resumable({
      runner: 'emr-serverless',
      log: 's3://ops/logs/',
      emr: {
        applicationId: '00fapp',
        jobRunId: 'jr1',
        executionRoleArn: 'arn:aws:iam::1:role/r',
        jar: 's3://ops/jars/populator.jar',
      },
    });
    const r = mergeRequest({ ...bare, resume: true }, emr, {});
    expect(r.options.emr).toMatchObject({
      applicationId: '00fapp',
      executionRoleArn: 'arn:aws:iam::1:role/r',
    });
    expect(r.options).toMatchObject({ logPath: 's3://ops/logs/', jar: 's3://ops/jars/populator.jar' });
    const local = mergeRequest({ ...bare, resume: true }, resumable({ log: '/x/driver.log' }), {});
    expect(local.options.logPath).toBeUndefined();
  });
});
