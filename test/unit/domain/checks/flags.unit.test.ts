import { describe, expect, it } from 'vitest';
import { flagChecks, resolveEndpoint, type FlagCheckInput } from '../../../../src/domain/checks/flags.js';
import type { Check } from '../../../../src/domain/checks.js';

const base: FlagCheckInput = {
  runner: 'local',
  archive: '/data/archive',
  cwd: '/work',
  configRegion: { value: 'us-east-1', source: '/work/dynamodb.json' },
  endpointFlags: {},
  env: {},
  sizing: {},
  fromEnv: {},
};

const failures = (checks: Check[]) => checks.filter((c) => c.status === 'fail');

describe('flagChecks', () => {
  it('passes a plain local setup and resolves its values', () => {
    const { checks, resolved } = flagChecks(base);
    expect(failures(checks)).toEqual([]);
    expect(resolved.archive).toMatchObject({ kind: 'local', path: '/data/archive' });
    expect(resolved.region).toBe('us-east-1');
    expect(resolved.driverMemory).toBe('2g');
    expect(resolved.services).toEqual(['dynamodb', 'sts']);
  });

  it('reports every bad value at once', () => {
    const { checks } = flagChecks({
      ...base,
      since: '2017/01/01',
      region: 'not a region',
      endpointFlags: { dynamodb: '127.0.0.1:8000' },
      sizing: { driverMemory: 'lots' },
    });
    const ids = failures(checks).map((c) => c.id);
    expect(ids).toEqual([
      'flags.time-range',
      'flags.region',
      'flags.driver-memory',
      'flags.endpoint.dynamodb',
    ]);
    expect(failures(checks).find((c) => c.id === 'flags.endpoint.dynamodb')?.message).toContain(
      'no http:// or https:// scheme',
    );
    expect(failures(checks).find((c) => c.id === 'flags.driver-memory')?.hint).toContain(
      '--driver-memory 2g',
    );
  });

  it('names the environment variable a bad value came from', () => {
    const { checks } = flagChecks({ ...base, region: 'mars-1', fromEnv: { '--region': 'POPULATOR_REGION' } });
    const region = failures(checks)[0];
    expect(region?.source).toBe('POPULATOR_REGION');
    expect(region?.message).toContain('set by the environment variable POPULATOR_REGION');
    const env = flagChecks({ ...base, env: { AWS_ENDPOINT_URL: 'localhost:4566' } });
    const endpoint = failures(env.checks)[0];
    expect(endpoint?.source).toBe('AWS_ENDPOINT_URL');
    expect(endpoint?.message).toContain('AWS_ENDPOINT_URL');
    expect(endpoint?.hint).toContain('AWS_ENDPOINT_URL=http://');
    expect(env.resolved.invalidEndpoints).toEqual(['dynamodb', 'sts']);
  });

  it("refuses the storage config's region when it is not one, pointing into the file", () => {
    const { checks } = flagChecks({
      ...base,
      configRegion: { value: 'Frankfurt', source: '/work/dynamodb.json' },
    });
    expect(failures(checks)[0]).toMatchObject({
      id: 'flags.region',
      source: '/work/dynamodb.json',
      path: '/data/awsRegion',
    });
  });

  it('wants everything the emr-serverless runner needs, on S3', () => {
    const { checks } = flagChecks({ ...base, runner: 'emr-serverless', staging: '/tmp/staging' });
    expect(failures(checks).map((c) => c.id)).toEqual([
      'flags.archive',
      'flags.staging',
      'flags.application-id',
      'flags.execution-role-arn',
    ]);
    const ok = flagChecks({
      ...base,
      runner: 'emr-serverless',
      archive: 's3://bucket/enriched/',
      staging: 's3://bucket/populator',
      applicationId: '00fabcdef1234567',
      executionRoleArn: 'arn:aws:iam::123456789012:role/job',
    });
    expect(failures(ok.checks)).toEqual([]);
    expect(ok.resolved.emrSizing?.totalCpu).toBe(14);
    expect(ok.resolved.services).toEqual([
      'dynamodb',
      'sts',
      's3',
      'emr-serverless',
      'iam',
      'service-quotas',
    ]);
  });

  it('warns about EMR flags the local runner ignores, and refuses S3 staging for it', () => {
    const { checks } = flagChecks({
      ...base,
      applicationId: 'abc',
      sizing: { executorCpu: 2, driverCpu: 4 },
      staging: 's3://b/p',
    });
    expect(checks.find((c) => c.id === 'flags.runner')).toMatchObject({ status: 'warn' });
    expect(checks.find((c) => c.id === 'flags.runner')?.message).toContain(
      '--application-id, --executor-cpu, --driver-cpu',
    );
    expect(failures(checks).map((c) => c.id)).toEqual(['flags.staging']);
  });

  it('takes --executors with the local runner as a local cluster of executor JVMs', () => {
    const { checks, resolved } = flagChecks({ ...base, sizing: { executors: 4, executorMemory: '2g' } });
    expect(resolved.localMaster).toBe('local-cluster[4,1,2048]');
    expect(checks.find((c) => c.id === 'flags.sizing')).toMatchObject({ status: 'pass' });
    expect(checks.find((c) => c.id === 'flags.runner')).toBeUndefined();
    const bad = flagChecks({ ...base, sizing: { executors: 2, executorMemory: '100m' } });
    expect(failures(bad.checks)).toMatchObject([{ id: 'flags.sizing', source: '--executor-memory' }]);
  });
});

describe('resolveEndpoint', () => {
  it('takes the flag, then the service variable, then AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL_S3: 'http://s3:1', AWS_ENDPOINT_URL: 'http://all:2' };
    expect(resolveEndpoint('s3', 'http://flag:3', env)).toEqual({
      url: 'http://flag:3',
      from: '--s3-endpoint',
    });
    expect(resolveEndpoint('s3', undefined, env)).toEqual({
      url: 'http://s3:1',
      from: 'AWS_ENDPOINT_URL_S3',
    });
    expect(resolveEndpoint('iam', undefined, env)).toEqual({ url: 'http://all:2', from: 'AWS_ENDPOINT_URL' });
    expect(resolveEndpoint('sts', undefined, {})).toBeUndefined();
    // A recorded run's endpoint comes last: what is set now wins over the record.
    expect(resolveEndpoint('s3', undefined, env, {}, 'http://recorded:4')?.url).toBe('http://s3:1');
    expect(resolveEndpoint('s3', undefined, {}, {}, 'http://recorded:4')).toEqual({
      url: 'http://recorded:4',
      from: 'the run record',
    });
  });
});
