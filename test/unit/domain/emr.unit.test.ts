import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  clientTokenFor,
  driverLogObjects,
  emrCost,
  isFinalJobRunState,
  jobRunLogPrefix,
  sparkSubmitParameters,
} from '../../../src/domain/emr.js';
import { joinS3Uri, parseS3Uri } from '../../../src/domain/s3-uri.js';

describe('job run states', () => {
  it('are final only for SUCCESS, FAILED and CANCELLED; QUEUED and unknown states are not', () => {
    for (const s of ['SUCCESS', 'FAILED', 'CANCELLED']) expect(isFinalJobRunState(s)).toBe(true);
    for (const s of [
      'SUBMITTED',
      'QUEUED',
      'PENDING',
      'SCHEDULED',
      'RUNNING',
      'CANCELLING',
      'PAUSED',
      undefined,
    ]) {
      expect(isFinalJobRunState(s)).toBe(false);
    }
  });
});

describe('emrCost', () => {
  it('prices vCPU-, GB- and storage-hours at the us-east-1 x86 rates', () => {
    expect(emrCost({ vCpuHours: 1, memoryGbHours: 0, storageGbHours: 0 })).toBeCloseTo(0.052624, 10);
    expect(emrCost({ vCpuHours: 10, memoryGbHours: 40, storageGbHours: 100 })).toBeCloseTo(
      0.52624 + 0.23114 + 0.0111,
      10,
    );
  });
});

describe('clientTokenFor', () => {
  it('is the same for the same request whatever the key order, and fits the API (1-64 of [A-Za-z0-9._-])', () => {
    const a = clientTokenFor({ applicationId: 'app', args: ['--a', '1'], conf: { x: 1, y: 2 } });
    const b = clientTokenFor({ conf: { y: 2, x: 1 }, args: ['--a', '1'], applicationId: 'app' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });

  it('changes with any input', () => {
    const base = { applicationId: 'app', args: ['--a', '1'] };
    expect(clientTokenFor(base)).not.toBe(clientTokenFor({ ...base, args: ['--a', '2'] }));
    expect(clientTokenFor(base)).not.toBe(clientTokenFor({ ...base, name: 'again' }));
  });

  it('ignores undefined fields, like JSON', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});

describe('sparkSubmitParameters', () => {
  it('names the main class, then every setting', () => {
    expect(
      sparkSubmitParameters('com.example.Main', {
        'spark.executor.instances': '3',
        'spark.dynamicAllocation.enabled': 'false',
      }),
    ).toBe(
      '--class com.example.Main --conf spark.executor.instances=3 --conf spark.dynamicAllocation.enabled=false',
    );
  });
});

describe('driver logs', () => {
  it('live under <logUri>/applications/<app>/jobs/<run>/', () => {
    expect(jobRunLogPrefix('s3://logs/populator', 'app1', 'run1')).toBe(
      's3://logs/populator/applications/app1/jobs/run1/',
    );
    expect(jobRunLogPrefix('s3://logs/populator/', 'app1', 'run1')).toBe(
      's3://logs/populator/applications/app1/jobs/run1/',
    );
  });

  it('are found for the first attempt and for retried attempts; executor logs are not driver logs', () => {
    expect(
      driverLogObjects([
        'attempts/2/SPARK_DRIVER/stdout.gz',
        'SPARK_DRIVER/stderr.gz',
        'SPARK_DRIVER/stdout.gz',
        'SPARK_EXECUTOR/1/stderr.gz',
        'attempts/2/SPARK_DRIVER/stderr.gz',
      ]),
    ).toEqual([
      { attempt: 1, stream: 'stderr', relativeKey: 'SPARK_DRIVER/stderr.gz' },
      { attempt: 1, stream: 'stdout', relativeKey: 'SPARK_DRIVER/stdout.gz' },
      { attempt: 2, stream: 'stderr', relativeKey: 'attempts/2/SPARK_DRIVER/stderr.gz' },
      { attempt: 2, stream: 'stdout', relativeKey: 'attempts/2/SPARK_DRIVER/stdout.gz' },
    ]);
  });
});

describe('S3 URIs', () => {
  it('parse s3, s3a and s3n', () => {
    expect(parseS3Uri('s3a://b/k/x')).toEqual({ bucket: 'b', key: 'k/x' });
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', key: '' });
    expect(parseS3Uri('/tmp/x')).toBeNull();
  });

  it('join with one slash, keeping a folder marker on the last part', () => {
    expect(joinS3Uri('s3a://b/staging/', 'jars', 'x.jar')).toBe('s3://b/staging/jars/x.jar');
    expect(joinS3Uri('s3://b', 'runs', 'r1/')).toBe('s3://b/runs/r1/');
    expect(joinS3Uri('s3://b/p')).toBe('s3://b/p');
  });
});
