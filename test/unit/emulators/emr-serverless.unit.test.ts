/** The EMR Serverless emulator's pure parts: sizing and billing, spark-submit parameters, rules, validation. */
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../support/emr-serverless/errors.js';
import { credentialScope, route, toWire } from '../../support/emr-serverless/http.js';
import {
  driverLogKeys,
  failureReason,
  jobEnvFromConf,
  jobMaster,
  localMaster,
} from '../../support/emr-serverless/job-process.js';
import {
  executionTimeoutProblem,
  parseReleaseLabel,
  parseS3Uri,
} from '../../support/emr-serverless/rules.js';
import { validateInput } from '../../support/emr-serverless/shapes.js';
import {
  jobSizing,
  jobVcpus,
  parseSizeMiB,
  resourceUtilization,
  type JobSizing,
} from '../../support/emr-serverless/sizing.js';
import {
  parseSparkSubmitParameters,
  sparkDefaults,
  splitCommandLine,
} from '../../support/emr-serverless/spark-submit.js';

function sizingOf(conf: Record<string, string>): JobSizing {
  const r = jobSizing(conf);
  if (!r.ok) throw new Error(r.problem);
  return r.sizing;
}

function validationMessage(f: () => void): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return `${(e as ServiceError).errorName}: ${(e as ServiceError).message}`;
  }
  throw new Error('no error');
}

describe('job sizing (driver + executors, on the worker grid)', () => {
  it('defaults to EMR Serverless: 4 vCPU workers, 14g + 10% overhead = 16 GB, 20 GB disk, 3 executors', () => {
    const s = sizingOf({});
    expect(s).toEqual({
      driver: { vCpu: 4, memoryGb: 16, diskGb: 20 },
      executor: { vCpu: 4, memoryGb: 16, diskGb: 20 },
      executors: 3,
    });
    // A new account's 16 vCPU quota holds exactly the default sizing.
    expect(jobVcpus(s)).toBe(16);
  });

  it('reads cores, memory, overhead, disk and executors from the Spark properties', () => {
    const s = sizingOf({
      'spark.driver.cores': '2',
      'spark.driver.memory': '6g',
      'spark.executor.cores': '8',
      'spark.executor.memory': '40g',
      'spark.executor.memoryOverhead': '4096',
      'spark.emr-serverless.executor.disk': '50G',
      'spark.executor.instances': '5',
    });
    // 6g + 384 MB minimum overhead -> 7 GB; 40g + 4 GB -> 44 GB (8 vCPU grid: steps of 4 GB).
    expect(s.driver).toEqual({ vCpu: 2, memoryGb: 7, diskGb: 20 });
    expect(s.executor).toEqual({ vCpu: 8, memoryGb: 44, diskGb: 50 });
    expect(s.executors).toBe(5);
  });

  it('rounds memory up to the grid and to its minimum', () => {
    // 8 vCPU: 16-60 GB in 4 GB steps; 21g + 2.1 GB = 23.1 -> 24 GB.
    expect(sizingOf({ 'spark.executor.cores': '8', 'spark.executor.memory': '21g' }).executor.memoryGb).toBe(
      24,
    );
    // 4 vCPU: at least 8 GB.
    expect(sizingOf({ 'spark.executor.memory': '2g' }).executor.memoryGb).toBe(8);
    expect(sizingOf({ 'spark.dynamicAllocation.initialExecutors': '7' }).executors).toBe(7);
  });

  it('refuses sizes no worker has', () => {
    expect(jobSizing({ 'spark.executor.cores': '3' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('1, 2, 4, 8 or 16'),
    });
    expect(jobSizing({ 'spark.executor.cores': '1', 'spark.executor.memory': '8g' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('more than the 8 GB a 1 vCPU worker can have'),
    });
    expect(jobSizing({ 'spark.emr-serverless.driver.disk': '10G' })).toMatchObject({ ok: false });
    expect(jobSizing({ 'spark.executor.memory': 'lots' })).toMatchObject({ ok: false });
  });

  it('parses JVM sizes', () => {
    expect(parseSizeMiB('14g')).toBe(14 * 1024);
    expect(parseSizeMiB('2048m')).toBe(2048);
    expect(parseSizeMiB('2048')).toBe(2048);
    expect(parseSizeMiB('1t')).toBe(1024 * 1024);
    expect(parseSizeMiB('30', 'g')).toBe(30 * 1024);
    expect(parseSizeMiB('x')).toBeUndefined();
  });
});

describe('billed and total resource utilization', () => {
  const defaults = sizingOf({});

  it('bills every worker for at least a minute', () => {
    // 4 workers x 4 vCPU x 60 s = 16 vCPU-minutes; 4 x 16 GB x 60 s = 64 GB-minutes.
    const { billed, total } = resourceUtilization(defaults, 10_000);
    expect(billed).toEqual({ vCPUHour: 0.267, memoryGBHour: 1.067, storageGBHour: 0 });
    // Used: 10 s of each; storage counts all 20 GB per worker.
    expect(total).toEqual({ vCPUHour: 0.044, memoryGBHour: 0.178, storageGBHour: 0.222 });
  });

  it('bills the wall time past the minimum, and storage beyond 20 GB per worker', () => {
    const s = sizingOf({ 'spark.emr-serverless.executor.disk': '50g', 'spark.executor.instances': '2' });
    const { billed } = resourceUtilization(s, 30 * 60_000);
    // Half an hour: 3 workers x 4 vCPU x 0.5 h; 3 x 16 GB x 0.5 h; 2 executors x 30 GB extra x 0.5 h.
    expect(billed).toEqual({ vCPUHour: 6, memoryGBHour: 24, storageGBHour: 30 });
  });

  it('bills nothing for a run that never started', () => {
    expect(resourceUtilization(defaults, 0).billed).toEqual({
      vCPUHour: 0,
      memoryGBHour: 0,
      storageGBHour: 0,
    });
  });
});

describe('sparkSubmitParameters', () => {
  it('reads --class, --conf, --jars and the shorthands over the spark-defaults', () => {
    const r = parseSparkSubmitParameters(
      '--class com.example.Main --conf spark.executor.cores=2 --conf "spark.driver.extraJavaOptions=-Da=1 -Db=2" ' +
        '--jars s3://b/a.jar,s3://b/c.jar --num-executors 5 --executor-memory=10g',
      { 'spark.executor.cores': '8', 'spark.executor.memory': '4g', 'spark.default': 'kept' },
    );
    expect(r).toEqual({
      ok: true,
      config: {
        mainClass: 'com.example.Main',
        conf: {
          'spark.executor.cores': '2',
          'spark.executor.memory': '10g',
          'spark.default': 'kept',
          'spark.driver.extraJavaOptions': '-Da=1 -Db=2',
          'spark.executor.instances': '5',
        },
        jars: ['s3://b/a.jar', 's3://b/c.jar'],
      },
    });
  });

  it('fails as spark-submit would on what it cannot take', () => {
    expect(parseSparkSubmitParameters('--class')).toEqual({
      ok: false,
      problem: "Error: Missing argument for option '--class'.",
    });
    expect(parseSparkSubmitParameters('--frobnicate 1')).toEqual({
      ok: false,
      problem: 'Error: Unrecognized option: --frobnicate',
    });
    expect(parseSparkSubmitParameters('--conf nokey')).toMatchObject({ ok: false });
    expect(parseSparkSubmitParameters('--packages org:x:1')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('self-contained jar'),
    });
    expect(parseSparkSubmitParameters('s3://b/job.jar')).toMatchObject({ ok: false });
    expect(splitCommandLine('--conf "a=b')).toEqual({
      problem: 'unterminated " quote in sparkSubmitParameters',
    });
  });

  it('takes the spark-defaults classification only', () => {
    expect(
      sparkDefaults([
        { classification: 'spark-defaults', properties: { 'spark.a': '1' } },
        { classification: 'spark-driver-log4j2', properties: { 'rootLogger.level': 'debug' } },
        { classification: 'spark-defaults', properties: { 'spark.b': '2' } },
      ]),
    ).toEqual({ 'spark.a': '1', 'spark.b': '2' });
  });

  it('runs on local[N,F] sized from the executors, at most the cores given', () => {
    expect(localMaster(sizingOf({}), {}, 2)).toBe('local[2,4]');
    expect(
      localMaster(
        sizingOf({
          'spark.executor.cores': '1',
          'spark.executor.memory': '4g',
          'spark.executor.instances': '1',
        }),
        {},
        8,
      ),
    ).toBe('local[1,4]');
    expect(localMaster(sizingOf({}), { 'spark.task.maxFailures': '2' }, 16)).toBe('local[12,2]');
  });

  it('runs the executors as JVMs of their own, scaled down to this machine: local-cluster[N,C,M]', () => {
    const limits = { maxCores: 2, maxExecutors: 2, memoryMiB: 768 };
    // EMR's default: 3 executors of 4 vCPU / 14g -> two 1-core executors of 768 MiB.
    expect(jobMaster(sizingOf({}), {}, limits)).toBe('local-cluster[2,1,768]');
    expect(
      jobMaster(
        sizingOf({
          'spark.executor.instances': '1',
          'spark.executor.cores': '1',
          'spark.executor.memory': '2g',
        }),
        {},
        {
          ...limits,
          memoryMiB: 8192,
        },
      ),
    ).toBe('local-cluster[1,1,3072]');
    expect(jobMaster(sizingOf({}), {}, { maxCores: 8, maxExecutors: 2, memoryMiB: 1024 })).toBe(
      'local-cluster[2,4,1024]',
    );
    // No executors (or none allowed): one JVM.
    expect(jobMaster(sizingOf({ 'spark.executor.instances': '0' }), {}, limits)).toBe('local[1,4]');
    expect(jobMaster(sizingOf({}), {}, { ...limits, maxExecutors: 0 })).toBe('local[2,4]');
  });

  it('takes the driver environment from spark.emr-serverless.driverEnv.* (over spark.executorEnv.*)', () => {
    expect(
      jobEnvFromConf({
        'spark.executorEnv.A': 'executor',
        'spark.emr-serverless.driverEnv.A': 'driver',
        'spark.executorEnv.B': 'b',
        'spark.other': 'x',
      }),
    ).toEqual({ A: 'driver', B: 'b' });
  });
});

describe('failure reasons and log locations', () => {
  it("prefers the job's own last error line, then the last exception line", () => {
    const stderr = [
      '12:00:00 WARN SparkContext: something',
      'populator: reading 3 runs',
      'populator: table missing not found in region us-east-1: create it with eventId (HASH, S) and fingerprint (RANGE, S)',
      'java.lang.RuntimeException: wrapped',
      '\tat x.y(Z.scala:1)',
      '12:00:01 WARN ShutdownHookManager: bye',
      '',
    ].join('\n');
    expect(failureReason(stderr)).toBe(
      'populator: table missing not found in region us-east-1: create it with eventId (HASH, S) and fingerprint (RANGE, S)',
    );
    expect(failureReason('log line\njava.io.IOException: disk full\n\tat a.b(C.java:2)\nmore\n')).toBe(
      'java.io.IOException: disk full',
    );
    expect(failureReason('just this\n')).toBe('just this');
  });

  it('puts driver logs where EMR Serverless does', () => {
    expect(driverLogKeys('s3://logs/emr', 'app1', 'run1')).toEqual({
      bucket: 'logs',
      stdout: 'emr/applications/app1/jobs/run1/SPARK_DRIVER/stdout.gz',
      stderr: 'emr/applications/app1/jobs/run1/SPARK_DRIVER/stderr.gz',
    });
    expect(driverLogKeys('s3://logs/', 'a', 'r')?.stdout).toBe(
      'applications/a/jobs/r/SPARK_DRIVER/stdout.gz',
    );
    expect(driverLogKeys('hdfs://x/', 'a', 'r')).toBeUndefined();
    expect(parseS3Uri('s3a://b/k/x.jar')).toEqual({ bucket: 'b', key: 'k/x.jar' });
  });
});

describe('service rules', () => {
  it('knows the release labels EMR Serverless has', () => {
    expect(parseReleaseLabel('emr-7.1.0')).toEqual({ major: 7, minor: 1 });
    expect(parseReleaseLabel('emr-6.15.0')).toEqual({ major: 6, minor: 15 });
    expect(parseReleaseLabel('emr-spark-8.0.0')).toEqual({ major: 8, minor: 0 });
    for (const bad of ['emr-7.1.1', 'emr-6.5.0', 'emr-7.14.0', 'emr-5.36.0', 'spark-3.5', 'emr-7'])
      expect(parseReleaseLabel(bad)).toBeUndefined();
  });

  it('checks execution timeouts per release and mode', () => {
    expect(executionTimeoutProblem(undefined, 'emr-7.1.0', 'BATCH')).toBeUndefined();
    expect(executionTimeoutProblem(4, 'emr-7.1.0', 'BATCH')).toBe('RunTimeout must be at least 5 minutes.');
    expect(executionTimeoutProblem(0, 'emr-7.1.0', 'BATCH')).toBeUndefined();
    expect(executionTimeoutProblem(0, 'emr-7.11.0', 'BATCH')).toMatch(/not supported/);
    expect(executionTimeoutProblem(0, 'emr-7.11.0', 'STREAMING')).toBeUndefined();
    expect(executionTimeoutProblem(10_081, 'emr-7.12.0', 'BATCH')).toMatch(/at most 10080/);
  });
});

describe('request validation (the model constraints, reported as the service does)', () => {
  it('lists every violation at once, in the service wording', () => {
    const msg = validationMessage(() =>
      validateInput('StartJobRun', {
        applicationId: 'App_1',
        clientToken: 'x'.repeat(65),
        executionRoleArn: 'arn:aws:iam::123:role/x',
        name: ' ',
      }),
    );
    expect(msg).toBe(
      'ValidationException: 4 validation errors detected: ' +
        "Value 'App_1' at 'applicationId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-z]+; " +
        `Value '${'x'.repeat(65)}' at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64; ` +
        "Value 'arn:aws:iam::123:role/x' at 'executionRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
        'arn:(aws[a-zA-Z0-9-]*):iam::([0-9]{12}):(role((\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F))[\\w+=,.@-]+); ' +
        "Value ' ' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: .*\\S.*",
    );
  });

  it('reports missing required members as null', () => {
    expect(validationMessage(() => validateInput('CreateApplication', { clientToken: 't' }))).toBe(
      'ValidationException: 2 validation errors detected: ' +
        "Value null at 'releaseLabel' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'type' failed to satisfy constraint: Member must not be null",
    );
  });

  it('redacts sensitive members, checks nested ones, enums, ranges and tags', () => {
    const msg = validationMessage(() =>
      validateInput('StartJobRun', {
        applicationId: 'a1',
        clientToken: 't',
        executionRoleArn: 'arn:aws:iam::123456789012:role/r',
        jobDriver: { sparkSubmit: { entryPoint: 's3://b/j.jar', sparkSubmitParameters: '' } },
        mode: 'LOOP',
        executionTimeoutMinutes: -1,
        tags: { 'bad!key': 'v' },
      }),
    );
    expect(msg).toContain(
      "Value '*** Sensitive Data Redacted ***' at 'jobDriver.sparkSubmit.sparkSubmitParameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(msg).toContain(
      "at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [BATCH, STREAMING]",
    );
    expect(msg).toContain(
      "Value '-1' at 'executionTimeoutMinutes' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
    expect(msg).toContain("Value 'bad!key' at 'tags.bad!key.key' failed to satisfy constraint");
    expect(msg).toMatch(/^ValidationException: 5 validation errors detected/);
  });

  it('answers a JSON type mismatch or two union members with a SerializationException', () => {
    expect(validationMessage(() => validateInput('GetApplication', { applicationId: 5 }))).toMatch(
      /^SerializationException/,
    );
    expect(
      validationMessage(() =>
        validateInput('StartJobRun', {
          applicationId: 'a',
          clientToken: 't',
          executionRoleArn: 'arn:aws:iam::123456789012:role/r',
          jobDriver: { sparkSubmit: { entryPoint: 'x' }, hive: { query: 'q' } },
        }),
      ),
    ).toMatch(/^SerializationException: Only one member of the union 'jobDriver'/);
  });
});

describe('protocol details', () => {
  it('routes by method and path template, decoding labels per segment', () => {
    const arn = 'arn:aws:emr-serverless:us-east-1:123456789012:/applications/00fabc';
    const r = route('GET', `/tags/${encodeURIComponent(arn)}`);
    expect(r).toMatchObject({ route: { operation: 'ListTagsForResource' }, params: { resourceArn: arn } });
    expect(route('DELETE', '/applications/a1/jobruns/j1')).toMatchObject({
      route: { operation: 'CancelJobRun' },
    });
    expect(route('PUT', '/applications/a1')).toEqual({ allowed: false });
    expect(route('GET', '/sessions')).toBeUndefined();
  });

  it('writes timestamps as epoch seconds', () => {
    expect(
      toWire({ jobRun: { createdAt: 1_700_000_000_123, name: 'n', list: [{ endedAt: 1000 }] } }),
    ).toEqual({
      jobRun: { createdAt: 1_700_000_000.123, name: 'n', list: [{ endedAt: 1 }] },
    });
  });

  it("reads the caller's access key and region from the SigV4 scope", () => {
    expect(
      credentialScope(
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/emr-serverless/aws4_request, SignedHeaders=host, Signature=abc',
      ),
    ).toEqual({ accessKeyId: 'AKIDEXAMPLE', region: 'eu-west-1', service: 'emr-serverless' });
    expect(credentialScope(undefined)).toBeUndefined();
  });
});
