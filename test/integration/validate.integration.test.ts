/**
 * The validator against stand-ins on 127.0.0.1: dynalite for DynamoDB, moto's server for S3, STS,
 * IAM and EMR Serverless, and aws-sdk-client-mock where a stand-in lacks the call (IAM's
 * SimulatePrincipalPolicy, Service Quotas, DescribeTimeToLive turned on). Every check's pass and
 * fail path, and the first problems of several groups reported together.
 */
import { fakeJobJar } from '../helpers/zip.js';
import type { SparkFamily } from '../../src/domain/spark-family.js';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateApplicationCommand, EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MANIFEST_KEYS } from '../../src/aws/dynamodb.js';
import { createIamClient } from '../../src/aws/iam.js';
import type { Check } from '../../src/domain/checks.js';
import { UserError } from '../../src/domain/errors.js';
import { executionRolePolicy, executionRoleTrustPolicy } from '../../src/domain/iam-policy.js';
import { requireValid, validateInputs, type ValidateOptions } from '../../src/services/validate.js';
import { writeDemoArchive } from '../../src/services/demo-archive.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
import { startAll } from '../helpers/start-all.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';

const NOW = DateTime.fromISO('2026-11-27T12:00:00Z', { zone: 'utc' });
const MOTO_ACCOUNT = '123456789012';
const BUCKET = 'validate-archive';
const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/populator-job`;

let stack: LocalStack;
let moto: S3Emulator;
let localArchive: string;
let runIds: string[];
let applicationId: string;
let notDynamo: Server;
let notDynamoUrl: string;
let emptyAnswers: Server;
let emptyAnswersUrl: string;

/**
 * The caller's own identity (instead of a default chain, which would read this process's
 * environment): S3, STS on EMR, IAM and EMR Serverless are asked with it; the storage config's
 * keys are DynamoDB's only.
 */
const CALLER = { accessKeyId: 'AKIDCALLERTEST', secretAccessKey: 'caller-secret-test' };

/** The caller's environment without anything AWS: the tests say what the SDK may find. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: path.join(stack.dir, 'no-credentials'),
    AWS_CONFIG_FILE: path.join(stack.dir, 'no-config'),
    ...extra,
  };
}

function options(overrides: Partial<ValidateOptions> = {}): ValidateOptions {
  return {
    archive: localArchive,
    storageConfigPath: stack.storageConfig('manifest-ok'),
    resolverPath: stack.resolver,
    runner: 'local',
    dynamodbEndpoint: stack.dynalite.endpoint,
    sizing: {},
    offline: false,
    projectRoot: path.resolve('.'),
    cacheDir: path.join(process.env.HOME ?? '/tmp', '.cache', 'populator'),
    cwd: stack.dir,
    env: cleanEnv(),
    credentials: CALLER,
    home: stack.dir,
    now: NOW,
    ...overrides,
  };
}

/** Options for the emr-serverless runner against moto (S3, STS, IAM, EMR Serverless) and dynalite. */
function emrOptions(overrides: Partial<ValidateOptions> = {}): ValidateOptions {
  return options({
    runner: 'emr-serverless',
    archive: `s3://${BUCKET}/enriched/archive/`,
    staging: `s3://${BUCKET}/populator/`,
    applicationId,
    executionRoleArn: ROLE_ARN,
    env: cleanEnv({ AWS_ENDPOINT_URL: moto.endpoint }),
    jar: writeJar(),
    ...overrides,
  });
}

function writeJar(family: SparkFamily = '3.5'): string {
  const jar = path.join(stack.dir, `job-${family}.jar`);
  writeFileSync(jar, fakeJobJar(family));
  return jar;
}

const byId = (checks: Check[], id: string): Check[] => checks.filter((c) => c.id === id);
const one = (checks: Check[], id: string): Check => {
  const found = byId(checks, id);
  expect(found, `${id} in ${checks.map((c) => c.id).join(', ')}`).toHaveLength(1);
  return found[0] as Check;
};
const failed = (checks: Check[]) => checks.filter((c) => c.status === 'fail').map((c) => c.id);

beforeAll(async () => {
  [stack, moto] = await startAll(
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  );
  const archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 3,
    events: 200,
    firstRun: NOW.minus({ days: 3 }),
  });
  localArchive = archive.dir;
  runIds = archive.runs.map((r) => r.runId);
  await moto.createBucket(BUCKET);
  await moto.uploadDir(BUCKET, 'enriched/archive', archive.dir);
  await stack.dynamo.createManifestTable('manifest-ok', {
    billingMode: 'PROVISIONED',
    readCapacityUnits: 5,
    writeCapacityUnits: 100,
  });
  const raw = new DynamoDBClient({
    region: TEST_REGION,
    endpoint: stack.dynalite.endpoint,
    credentials: TEST_KEYS,
  });
  await raw.send(
    new CreateTableCommand({
      TableName: 'manifest-wrong-keys',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  raw.destroy();
  const emr = new EMRServerlessClient({
    region: TEST_REGION,
    endpoint: moto.endpoint,
    credentials: TEST_KEYS,
  });
  const app = await emr.send(
    new CreateApplicationCommand({
      name: 'populator',
      releaseLabel: 'emr-7.5.0',
      type: 'SPARK',
      clientToken: 'x',
    }),
  );
  emr.destroy();
  applicationId = app.applicationId ?? '';
  notDynamo = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<html>not here</html>');
  });
  await new Promise<void>((resolve) => notDynamo.listen(0, '127.0.0.1', resolve));
  const address = notDynamo.address();
  notDynamoUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  // A server that answers 404 with no body at all.
  emptyAnswers = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => emptyAnswers.listen(0, '127.0.0.1', resolve));
  const emptyAddress = emptyAnswers.address();
  emptyAnswersUrl = `http://127.0.0.1:${typeof emptyAddress === 'object' && emptyAddress !== null ? emptyAddress.port : 0}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (notDynamo ? notDynamo.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (emptyAnswers ? emptyAnswers.close(() => resolve()) : resolve()));
  await Promise.all([stack?.stop(), moto?.stop()]);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('validate, local runner', () => {
  it('passes a correct setup, and describes what it found', async () => {
    const r = await validateInputs(options());
    expect(failed(r.checks), JSON.stringify(r.checks.filter((c) => c.status === 'fail'))).toEqual([]);
    expect(r.inputs?.table?.provisionedWcu).toBe(100);
    expect(one(r.checks, 'archive.runs').message).toContain(`${runIds.length} run folders`);
    expect(one(r.checks, 'archive.objects').status).toBe('pass');
    expect(one(r.checks, 'table.capacity').message).toContain('80 WCU/s');
    // Every service is a local stand-in: STS at AWS has nothing to say about that identity.
    expect(one(r.checks, 'credentials.identity').status).toBe('skipped');
    expect(one(r.checks, 'credentials.identity').message).toContain(TEST_KEYS.accessKeyId);
    expect(JSON.stringify(r.checks)).not.toContain(TEST_KEYS.secretAccessKey);
    expect(() => requireValid(r)).not.toThrow();
  });

  it('reports problems of every group in one run, and submit refuses all of them at once', async () => {
    const r = await validateInputs(
      options({
        storageConfigPath: stack.storageConfig('no-such-table'),
        since: '2030-01-01',
        staging: stack.resolver,
        sizing: { driverMemory: 'lots' },
      }),
    );
    expect(failed(r.checks)).toEqual([
      'flags.driver-memory',
      'archive.selection',
      'table.exists',
      'staging.writable',
    ]);
    expect(one(r.checks, 'archive.selection').message).toContain(runIds[0]);
    expect(one(r.checks, 'staging.writable').message).toContain('is a file, not a folder');
    const e = (() => {
      try {
        requireValid(r);
      } catch (error) {
        return error as UserError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(UserError);
    expect(e?.issues).toHaveLength(4);
    expect(e?.hint).not.toMatch(/listed above/);
  });

  it('fails a missing table, a wrong key schema, and an endpoint that is not DynamoDB', async () => {
    const missing = await validateInputs(
      options({ storageConfigPath: stack.storageConfig('no-such-table') }),
    );
    expect(one(missing.checks, 'table.exists')).toMatchObject({ status: 'fail', code: 'TABLE_NOT_FOUND' });
    // A new table could be imported: the hint says so, with a rough cost for the listed selection.
    expect(one(missing.checks, 'table.exists').hint).toMatch(/--import would cost about \$\d+\.\d\d/);
    expect(one(missing.checks, 'table.key-schema').status).toBe('skipped');
    const wrong = await validateInputs(
      options({ storageConfigPath: stack.storageConfig('manifest-wrong-keys') }),
    );
    expect(one(wrong.checks, 'table.key-schema')).toMatchObject({ status: 'fail', code: 'TABLE_KEY_SCHEMA' });
    const other = await validateInputs(options({ dynamodbEndpoint: notDynamoUrl }));
    expect(one(other.checks, 'table.exists')).toMatchObject({ status: 'fail', code: 'DYNAMODB_ENDPOINT' });
    expect(one(other.checks, 'table.exists').message).toContain('does not answer like DynamoDB (HTTP 404');
    // A 404 with an empty body was an internal error ("UnknownError"): now the same answer.
    const empty = await validateInputs(options({ dynamodbEndpoint: emptyAnswersUrl }));
    expect(one(empty.checks, 'table.exists')).toMatchObject({ status: 'fail', code: 'DYNAMODB_ENDPOINT' });
    expect(one(empty.checks, 'table.exists').message).toContain(
      `${emptyAnswersUrl} does not answer like DynamoDB (HTTP 404`,
    );
    const down = await validateInputs(options({ dynamodbEndpoint: 'http://127.0.0.1:9' }));
    expect(one(down.checks, 'table.exists')).toMatchObject({ status: 'fail', code: 'DYNAMODB_UNREACHABLE' });
  });

  it('reads TTL and on-demand limits as DynamoDB reports them', async () => {
    const ddb = mockClient(DynamoDBClient);
    try {
      ddb.on(DescribeTableCommand).resolves({
        Table: {
          TableName: 'manifest-ok',
          TableStatus: 'ACTIVE',
          ...MANIFEST_KEYS,
          BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
          OnDemandThroughput: { MaxWriteRequestUnits: 500 },
        },
      });
      ddb.on(DescribeTimeToLiveCommand).resolves({
        TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' },
      });
      const r = await validateInputs(options({ writeRate: 800 }));
      expect(one(r.checks, 'table.ttl')).toMatchObject({ status: 'pass' });
      expect(one(r.checks, 'table.capacity')).toMatchObject({ status: 'warn' });
      expect(one(r.checks, 'table.capacity').message).toContain('at most 500 write units/s');
    } finally {
      ddb.restore();
    }
  });

  it('says which runs exist when the selection matches none, and refuses an archive without runs', async () => {
    const none = await validateInputs(options({ until: '2001-01-01' }));
    expect(one(none.checks, 'archive.selection')).toMatchObject({ status: 'fail', code: 'NO_RUN_SELECTED' });
    const empty = path.join(stack.dir, 'not-an-archive');
    mkdirSync(path.join(empty, 'logs'), { recursive: true });
    const r = await validateInputs(options({ archive: empty }));
    expect(one(r.checks, 'archive.runs')).toMatchObject({ status: 'fail', code: 'ARCHIVE_NO_RUNS' });
    expect(one(r.checks, 'archive.runs').message).toContain('found: logs/');
    const gone = await validateInputs(options({ archive: path.join(stack.dir, 'nowhere') }));
    expect(one(gone.checks, 'archive.runs')).toMatchObject({ status: 'fail', code: 'ARCHIVE_NOT_FOUND' });
  });

  it('with offline, checks files, flags, toolchain and a local archive, and skips everything that needs AWS', async () => {
    const r = await validateInputs(options({ offline: true, dynamodbEndpoint: 'http://127.0.0.1:9' }));
    expect(failed(r.checks), JSON.stringify(r.checks.filter((c) => c.status === 'fail'))).toEqual([]);
    expect(one(r.checks, 'archive.runs').status).toBe('pass');
    for (const id of ['credentials.identity', 'table.exists', 'table.ttl'])
      expect(one(r.checks, id)).toMatchObject({ status: 'skipped', message: 'skipped: --offline' });
  });

  it('--executors with the local runner: a local cluster, its Spark home checked; bad cluster flags named', async () => {
    const maven = await validateInputs(
      options({ offline: true, sizing: { executors: 2 }, env: cleanEnv({ SPARK_HOME: undefined }) }),
    );
    expect(one(maven.checks, 'flags.sizing')).toMatchObject({ status: 'pass' });
    expect(one(maven.checks, 'flags.sizing').message).toContain('local-cluster[2,1,1024]');
    expect(one(maven.checks, 'toolchain.spark-home').message).toContain('Maven-resolved classpath');

    const bad = await validateInputs(
      options({
        offline: true,
        sizing: { executors: 2 },
        env: cleanEnv({ SPARK_HOME: path.join(stack.dir, 'no-spark-here') }),
      }),
    );
    expect(one(bad.checks, 'toolchain.spark-home')).toMatchObject({
      status: 'fail',
      code: 'SPARK_HOME_INVALID',
    });
    expect(one(bad.checks, 'toolchain.spark-home').message).toContain('no-spark-here');

    const tiny = await validateInputs(
      options({
        offline: true,
        sizing: { executors: 2, executorMemory: '128m' },
        env: cleanEnv({ SPARK_HOME: undefined }),
      }),
    );
    expect(one(tiny.checks, 'flags.sizing')).toMatchObject({ status: 'fail', source: '--executor-memory' });
    // Without --executors, one JVM: the cluster flags are ignored, and said to be.
    const ignored = await validateInputs(options({ offline: true, sizing: { executorCpu: 2 } }));
    expect(ignored.checks.find((c) => c.id === 'toolchain.spark-home')).toBeUndefined();
    expect(one(ignored.checks, 'flags.runner').message).toContain('--executor-cpu');
  });

  it('--spark with the local runner: the family run, a --jar of the other family refused, an unknown family named', async () => {
    const four = await validateInputs(options({ offline: true, spark: '4.0' }));
    expect(one(four.checks, 'flags.spark')).toMatchObject({ status: 'pass' });
    expect(one(four.checks, 'flags.spark').message).toContain('Spark 4.0 / Scala 2.13');
    expect(four.inputs?.family).toBe('4.0');
    // An archive on S3 runs on Spark 4.0 too (its own S3A profile): no refusal.
    const onS3 = await validateInputs(
      options({ offline: true, spark: '4.0', archive: 's3://bucket/archive/' }),
    );
    expect(one(onS3.checks, 'flags.spark')).toMatchObject({ status: 'pass' });
    expect(onS3.checks.filter((c) => c.status === 'fail').map((c) => c.code)).not.toContain(
      'LOCAL_S3_UNSUPPORTED',
    );
    // Without --spark, a --jar runs on its own family.
    const byJar = await validateInputs(options({ offline: true, jar: writeJar('4.0') }));
    expect(byJar.inputs?.family).toBe('4.0');
    expect(one(byJar.checks, 'flags.spark').message).toContain('the --jar is built for it');
    const mixed = await validateInputs(options({ offline: true, spark: '4.0', jar: writeJar('3.5') }));
    expect(one(mixed.checks, 'flags.spark')).toMatchObject({ status: 'fail', code: 'SPARK_FAMILY_MISMATCH' });
    const unknown = await validateInputs(options({ offline: true, spark: '3.4' }));
    expect(one(unknown.checks, 'flags.spark')).toMatchObject({ status: 'fail', code: 'INVALID_FLAGS' });
    // A file that is no job jar at all.
    const junk = path.join(stack.dir, 'junk.jar');
    writeFileSync(junk, 'not a zip');
    const bad = await validateInputs(options({ offline: true, jar: junk }));
    expect(one(bad.checks, 'flags.jar')).toMatchObject({ status: 'fail', code: 'JAR_INVALID' });
    // The default: 3.5.
    expect((await validateInputs(options({ offline: true }))).inputs?.family).toBe('3.5');
  });

  it('with offline, asks no HTTP repository: the bundled schema stands in, without a warning', async () => {
    const r = await validateInputs(
      options({
        offline: true,
        resolverPath: path.resolve('test/fixtures/configs/resolver-iglucentral.json'),
        fetch: () => Promise.reject(new Error('--offline must not fetch')),
      }),
    );
    expect(failed(r.checks), JSON.stringify(r.checks.filter((c) => c.status === 'fail'))).toEqual([]);
    expect(r.checks.filter((c) => c.id === 'inputs.resolver' && c.status === 'warn')).toEqual([]);
    expect(one(r.checks, 'inputs.schema').message).toContain('bundled copy');
  });

  it('skips the AWS checks when what they need is broken, and says why', async () => {
    const r = await validateInputs(options({ region: 'not a region', dynamodbEndpoint: 'localhost:8000' }));
    expect(failed(r.checks)).toEqual(['flags.region', 'flags.endpoint.dynamodb']);
    expect(one(r.checks, 'table.exists')).toMatchObject({ status: 'skipped' });
    expect(one(r.checks, 'table.exists').message).toContain('the region is not valid');
  });
});

describe('validate, credentials', () => {
  const defaultChain = (): string => {
    const file = path.join(stack.dir, 'default-chain.json');
    const doc = JSON.parse(readFileSync(stack.storageConfig('manifest-ok'), 'utf8')) as {
      data: { auth: unknown };
    };
    doc.data.auth = null;
    writeFileSync(file, JSON.stringify(doc));
    return file;
  };

  it('names the caller through STS when STS has an endpoint', async () => {
    const r = await validateInputs(options({ env: cleanEnv({ AWS_ENDPOINT_URL_STS: moto.endpoint }) }));
    expect(one(r.checks, 'credentials.identity')).toMatchObject({ status: 'pass' });
    expect(one(r.checks, 'credentials.identity').message).toContain(`account ${MOTO_ACCOUNT}`);
  });

  it('says there are none, and skips what needs them', async () => {
    const env = cleanEnv();
    for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_') && v !== undefined) vi.stubEnv(k, v);
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    const r = await validateInputs(
      options({ storageConfigPath: defaultChain(), env, credentials: undefined }),
    );
    expect(one(r.checks, 'credentials.identity')).toMatchObject({
      status: 'fail',
      code: 'AWS_NO_CREDENTIALS',
    });
    expect(one(r.checks, 'credentials.identity').hint).toMatch(/--profile/);
    expect(one(r.checks, 'table.exists').message).toBe('skipped: no usable AWS credentials');
  });

  it('names a --profile that does not exist, and the variable when it came from AWS_PROFILE', async () => {
    const credentials = path.join(stack.dir, 'aws-credentials');
    writeFileSync(credentials, '[analytics]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n');
    const env = cleanEnv({ AWS_SHARED_CREDENTIALS_FILE: credentials });
    const r = await validateInputs(
      options({ storageConfigPath: defaultChain(), env, profile: 'analytcs', credentials: undefined }),
    );
    const check = one(r.checks, 'credentials.profile');
    expect(check).toMatchObject({ status: 'fail', code: 'AWS_PROFILE_UNKNOWN' });
    expect(check.message).toContain('"analytcs"');
    expect(check.hint).toContain('analytics');
    const fromEnv = await validateInputs(
      options({
        storageConfigPath: defaultChain(),
        env,
        profile: 'analytcs',
        credentials: undefined,
        fromEnv: { '--profile': 'AWS_PROFILE' },
      }),
    );
    expect(one(fromEnv.checks, 'credentials.profile').message).toContain('AWS_PROFILE');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', credentials);
    vi.stubEnv('AWS_CONFIG_FILE', path.join(stack.dir, 'no-config'));
    const ok = await validateInputs(
      options({ storageConfigPath: defaultChain(), env, profile: 'analytics', credentials: undefined }),
    );
    expect(one(ok.checks, 'credentials.profile').status).toBe('pass');
    expect(failed(ok.checks)).toEqual([]);
  });

  it('says when the credentials have expired', async () => {
    const sts = mockClient(STSClient);
    try {
      sts.on(GetCallerIdentityCommand).rejects(
        Object.assign(new Error('The security token included in the request is expired'), {
          name: 'ExpiredToken',
        }),
      );
      const r = await validateInputs(options({ env: cleanEnv({ AWS_ENDPOINT_URL_STS: moto.endpoint }) }));
      expect(one(r.checks, 'credentials.identity')).toMatchObject({
        status: 'fail',
        code: 'AWS_CREDENTIALS_EXPIRED',
      });
    } finally {
      sts.restore();
    }
  });
});

describe('validate, S3 archive and staging (moto)', () => {
  it('lists the runs, the selection and the files and bytes of the selected runs, on S3', async () => {
    const r = await validateInputs(
      options({ archive: `s3://${BUCKET}/enriched/archive/`, since: runIds[1], s3Endpoint: moto.endpoint }),
    );
    expect(failed(r.checks), JSON.stringify(r.checks.filter((c) => c.status === 'fail'))).toEqual([]);
    expect(one(r.checks, 'archive.selection').message).toContain(
      `${runIds.length - 1} of ${runIds.length} runs selected`,
    );
    const local = await validateInputs(options({ since: runIds[1] }));
    // The same archive, on disk and on S3: the same files and bytes.
    expect(r.inputs?.archiveObjects).toEqual(local.inputs?.archiveObjects);
    expect(r.inputs?.archiveObjects?.objects).toBeGreaterThan(0);
  });

  it('refuses a prefix without runs and a bucket that does not exist', async () => {
    const r = await validateInputs(
      options({ archive: `s3://${BUCKET}/enriched/`, s3Endpoint: moto.endpoint }),
    );
    expect(one(r.checks, 'archive.runs')).toMatchObject({ status: 'fail', code: 'ARCHIVE_NO_RUNS' });
    const missing = await validateInputs(
      options({ archive: 's3://no-such-bucket/x/', s3Endpoint: moto.endpoint }),
    );
    expect(one(missing.checks, 'archive.runs')).toMatchObject({
      status: 'fail',
      code: 'S3_BUCKET_NOT_FOUND',
    });
  });

  it('writes the staging marker and reads it back; a staging bucket that does not exist fails', async () => {
    const r = await validateInputs(emrOptions());
    expect(one(r.checks, 'staging.writable')).toMatchObject({ status: 'pass' });
    const marker = await moto.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'populator/.populator-write-check' }),
    );
    expect(await marker.Body?.transformToString()).toContain('populator validate');
    const bad = await validateInputs(emrOptions({ staging: 's3://no-such-staging/p/' }));
    expect(one(bad.checks, 'staging.writable')).toMatchObject({
      status: 'fail',
      code: 'S3_BUCKET_NOT_FOUND',
    });
  });
});

describe('validate, emr-serverless runner', () => {
  /** IAM mocked (moto has no SimulatePrincipalPolicy), Service Quotas too. */
  function mockIamAndQuotas(
    o: { trust?: object; denied?: string[]; quota?: number; getRoleDenied?: boolean } = {},
  ) {
    const iam = mockClient(IAMClient);
    const trust =
      o.trust ??
      executionRoleTrustPolicy({
        partition: 'aws',
        region: TEST_REGION,
        account: MOTO_ACCOUNT,
        archive: { bucket: BUCKET, prefix: 'enriched/archive' },
        staging: { bucket: BUCKET, prefix: 'populator' },
        logs: { bucket: BUCKET, prefix: 'populator/logs' },
        table: 'manifest-ok',
        applicationId,
        roleArn: ROLE_ARN,
      });
    if (o.getRoleDenied) {
      iam
        .on(GetRoleCommand)
        .rejects(Object.assign(new Error('not authorized to perform iam:GetRole'), { name: 'AccessDenied' }));
    } else {
      iam.on(GetRoleCommand).resolves({
        Role: {
          Arn: ROLE_ARN,
          RoleName: 'populator-job',
          Path: '/',
          RoleId: 'AROA',
          CreateDate: new Date(),
          AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)),
        },
      });
    }
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[] }) => ({
      EvaluationResults: input.ActionNames.map((a) => ({
        EvalActionName: a,
        EvalDecision: (o.denied ?? []).includes(a) ? 'implicitDeny' : 'allowed',
      })),
      IsTruncated: false,
    }));
    const quotas = mockClient(ServiceQuotasClient);
    quotas
      .on(GetServiceQuotaCommand)
      .rejects(Object.assign(new Error('no applied quota'), { name: 'NoSuchResourceException' }));
    quotas.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { Value: o.quota ?? 16 } });
    return {
      iam,
      quotas,
      restore() {
        iam.restore();
        quotas.restore();
      },
    };
  }

  it('passes a correct EMR Serverless setup: application, release, capacity, quota, role', async () => {
    const mocks = mockIamAndQuotas();
    try {
      const r = await validateInputs(emrOptions());
      expect(failed(r.checks), JSON.stringify(r.checks.filter((c) => c.status === 'fail'))).toEqual([]);
      // The storage config's static keys: one warning, saying what really happens on EMR Serverless.
      expect(one(r.checks, 'inputs.credentials')).toMatchObject({ status: 'warn' });
      expect(one(r.checks, 'inputs.credentials').message).toContain(
        'not used with EMR Serverless: the job writes as its execution role, and populator reads the table and the archive with your own AWS credentials',
      );
      for (const id of [
        'emr.application',
        'emr.state',
        'emr.release',
        'emr.capacity',
        'emr.quota',
        'role.exists',
        'role.trust',
        'role.permissions',
      ])
        expect(one(r.checks, id).status, id).toBe('pass');
      expect(one(r.checks, 'credentials.identity').message).toContain(MOTO_ACCOUNT);
      // The simulation asked about the job's own requests, on this archive, staging and table.
      const simulated = mocks.iam
        .commandCalls(SimulatePrincipalPolicyCommand)
        .flatMap((c) => c.args[0].input.ResourceArns ?? []);
      expect(simulated).toContain(`arn:aws:s3:::${BUCKET}`);
      expect(simulated.some((a) => a.startsWith(`arn:aws:s3:::${BUCKET}/populator/runs/populator-`))).toBe(
        true,
      );
      expect(simulated).toContain(`arn:aws:dynamodb:${TEST_REGION}:${MOTO_ACCOUNT}:table/manifest-ok`);
    } finally {
      mocks.restore();
    }
  });

  it('picks the Spark family by the release: a --jar or --spark of the other family is refused, --create-application --spark 4.0 makes an emr-spark-8 application', async () => {
    // A trust policy for any application of the account: the one --create-application makes too.
    const anyApplication = executionRoleTrustPolicy({
      partition: 'aws',
      region: TEST_REGION,
      account: MOTO_ACCOUNT,
      archive: { bucket: BUCKET, prefix: 'enriched/archive' },
      staging: { bucket: BUCKET, prefix: 'populator' },
      logs: { bucket: BUCKET, prefix: 'populator/logs' },
      table: 'manifest-ok',
      applicationId: '*',
      roleArn: ROLE_ARN,
    });
    const mocks = mockIamAndQuotas({ trust: anyApplication });
    try {
      // The application is emr-7.x (Spark 3.5): a Spark 4.0 jar cannot run there.
      const jar4 = await validateInputs(emrOptions({ jar: writeJar('4.0') }));
      expect(one(jar4.checks, 'flags.jar').message).toContain('Spark 4.0 / Scala 2.13');
      expect(one(jar4.checks, 'emr.release')).toMatchObject({ status: 'fail', code: 'RELEASE_LABEL' });
      expect(one(jar4.checks, 'emr.release').message).toMatch(
        /built for Spark 4\.0\.2 \/ Scala 2\.13, but emr-7/,
      );
      const spark4 = await validateInputs(emrOptions({ spark: '4.0' }));
      expect(one(spark4.checks, 'emr.release')).toMatchObject({
        status: 'fail',
        code: 'SPARK_FAMILY_MISMATCH',
      });
      // No application yet: --spark 4.0 picks the newest emr-spark-8 release for it.
      const created = await validateInputs(
        emrOptions({ applicationId: undefined, createApplication: {}, spark: '4.0', jar: writeJar('4.0') }),
      );
      expect(one(created.checks, 'emr.release')).toMatchObject({ status: 'pass' });
      expect(one(created.checks, 'emr.release').message).toContain('emr-spark-8.0.0: Spark 4.0 / Scala 2.13');
      expect(
        failed(created.checks),
        JSON.stringify(created.checks.filter((c) => c.status === 'fail')),
      ).toEqual([]);
      expect(created.inputs?.family).toBe('4.0');
      expect(created.inputs?.createReleaseLabel).toBe('emr-spark-8.0.0');
      // A label of neither family is named with the two that work.
      const old = await validateInputs(
        emrOptions({ applicationId: undefined, createApplication: { releaseLabel: 'emr-6.15.0' } }),
      );
      expect(one(old.checks, 'emr.release')).toMatchObject({ status: 'fail', code: 'RELEASE_LABEL' });
    } finally {
      mocks.restore();
    }
  });

  it('fails a missing application, a vCPU quota too small, a role the policy does not allow', async () => {
    const mocks = mockIamAndQuotas({ quota: 12, denied: ['dynamodb:PutItem'] });
    try {
      const r = await validateInputs(emrOptions({ applicationId: '00nosuchapp00000' }));
      expect(one(r.checks, 'emr.application')).toMatchObject({
        status: 'fail',
        code: 'APPLICATION_NOT_FOUND',
      });
      expect(one(r.checks, 'emr.quota')).toMatchObject({ status: 'fail', code: 'VCPU_QUOTA' });
      expect(one(r.checks, 'role.permissions')).toMatchObject({ status: 'fail', code: 'ROLE_PERMISSIONS' });
      expect(one(r.checks, 'role.permissions').message).toContain('dynamodb:PutItem');
      const small = await validateInputs(emrOptions({ sizing: { executors: 2 } }));
      expect(one(small.checks, 'emr.quota').status).toBe('pass');
    } finally {
      mocks.restore();
    }
  });

  it('refuses a trust policy without EMR Serverless, and skips what the caller may not read', async () => {
    const mocks = mockIamAndQuotas({
      trust: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
    });
    try {
      const r = await validateInputs(emrOptions());
      expect(one(r.checks, 'role.trust')).toMatchObject({ status: 'fail', code: 'ROLE_TRUST' });
    } finally {
      mocks.restore();
    }
    const denied = mockIamAndQuotas({ getRoleDenied: true });
    denied.quotas
      .on(GetAWSDefaultServiceQuotaCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    try {
      const r = await validateInputs(emrOptions());
      expect(one(r.checks, 'role.exists')).toMatchObject({
        status: 'skipped',
        message: 'skipped: not allowed to call iam:GetRole',
      });
      expect(one(r.checks, 'emr.quota').status).toBe('skipped');
      expect(one(r.checks, 'role.permissions').status).toBe('pass');
      expect(failed(r.checks), JSON.stringify(r.checks.filter((c) => c.status === 'fail'))).toEqual([]);
    } finally {
      denied.restore();
    }
  });

  it('refuses a role of another account before asking IAM about it', async () => {
    const mocks = mockIamAndQuotas();
    try {
      const r = await validateInputs(
        emrOptions({ executionRoleArn: 'arn:aws:iam::999999999999:role/elsewhere' }),
      );
      expect(one(r.checks, 'role.exists')).toMatchObject({ status: 'fail', code: 'ROLE_OTHER_ACCOUNT' });
      expect(mocks.iam.commandCalls(GetRoleCommand)).toHaveLength(0);
    } finally {
      mocks.restore();
    }
  });
});

function ctxFor(bucket: string) {
  return {
    partition: 'aws',
    region: TEST_REGION,
    account: MOTO_ACCOUNT,
    archive: { bucket, prefix: '' },
    staging: { bucket, prefix: '' },
    logs: { bucket, prefix: 'logs' },
    table: 't',
    applicationId: '*',
    roleArn: ROLE_ARN,
  };
}

describe('createIamClient against moto', () => {
  it('reads a role and its trust policy, and says null for a role that is not there', async () => {
    const access = { region: TEST_REGION, endpoint: moto.endpoint, credentials: TEST_KEYS };
    const setup = new IAMClient(access);
    const trust = executionRoleTrustPolicy(ctxFor('a'));
    await setup.send(
      new CreateRoleCommand({ RoleName: 'moto-role', AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    // IAM takes the generated permissions policy as it is (moto checks the document's grammar).
    await setup.send(
      new PutRolePolicyCommand({
        RoleName: 'moto-role',
        PolicyName: 'populator',
        PolicyDocument: JSON.stringify(
          executionRolePolicy({ ...ctxFor('a'), archive: { bucket: 'a', prefix: 'enriched' } }),
        ),
      }),
    );
    setup.destroy();
    const iam = createIamClient(access);
    try {
      const role = await iam.getRole('moto-role');
      expect(role?.arn).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:role/moto-role`);
      expect(role?.trustPolicy).toEqual(trust);
      expect(await iam.getRole('no-such-role')).toBeNull();
    } finally {
      iam.destroy();
    }
  });
});
