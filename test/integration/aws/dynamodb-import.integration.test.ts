/**
 * The import adapter and followImport against moto's server (`python3 -m moto.server`, the tests'
 * S3 stand-in, which also implements ImportTable, DescribeImport and UpdateTimeToLive): gzip
 * DYNAMODB_JSON objects in moto's S3 become a new manifest table, TTL goes on for `ttl`, and the
 * failures a user meets (a missing bucket, an unknown import) end clearly.
 *
 * moto (5.2.x; 5.2.1 is what is installed here) is not AWS here, and the tests only rely on what both do. Observed:
 * - ClientToken is ignored: the same token twice starts two imports (AWS returns the first one).
 * - An existing table name is accepted by ImportTable; the import then ends FAILED with code
 *   UNKNOWN and the ResourceInUseException's message, the table untouched (AWS refuses the call:
 *   TABLE_EXISTS).
 * - ProcessedSizeBytes counts top-level JSON attributes (1 per line, `Item`), not bytes: the
 *   report must take the byte count from the job's own files.
 * - DescribeImport of an unknown ARN is an HTTP 500 HTML page (a KeyError), not
 *   ImportNotFoundException: the adapter calls it "not DynamoDB" (DYNAMODB_ENDPOINT), and
 *   followImport gives up after MAX_UNREADABLE_ANSWERS instead of retrying it as a transient 5xx
 *   for the 30-minute outage window.
 * - No StartTime/EndTime, no CloudWatch log group; the import runs in a background thread (poll).
 */
import { gzipSync } from 'node:zlib';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../src/aws/dynamodb.js';
import { createDynamoDbImportClient, type DynamoDbImportClient } from '../../../src/aws/dynamodb-import.js';
import { UserError } from '../../../src/domain/errors.js';
import { importClientToken, importItemLine, type ImportItem } from '../../../src/domain/import-plan.js';
import { followImport, MAX_UNREADABLE_ANSWERS } from '../../../src/runners/follow-import.js';
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';

const REGION = 'us-east-1';
const KEYS = { accessKeyId: 'AKIDIMPORT', secretAccessKey: 'import-test-secret' };
const BUCKET = 'acme-ops';
const PREFIX = 'populator/runs/r1/import/';

let moto: S3Emulator;
let imports: DynamoDbImportClient;

function items(from: number, count: number): ImportItem[] {
  return Array.from({ length: count }, (_, i) => {
    const k = from + i;
    const etlTime = 1485388885 + k;
    return {
      eventId: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
      fingerprint: k.toString(16).padStart(32, '0'),
      etlTime,
      ttl: etlTime + 15_552_000,
    };
  });
}

const gzipLines = (xs: readonly ImportItem[]): Buffer => gzipSync(xs.map(importItemLine).join(''));
const sortKeys = <T extends { eventId: string; fingerprint: string }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => `${a.eventId}/${a.fingerprint}`.localeCompare(`${b.eventId}/${b.fingerprint}`));

const token = (table: string): string =>
  importClientToken({
    archive: 's3://acme/enriched/',
    selection: { since: null, until: null },
    table,
    region: REGION,
    billing: { mode: 'on-demand' },
  });

const follow = (arn: string) =>
  followImport(imports, arn, { intervalMs: 50, startedHere: true, timeoutMs: 20_000 });

beforeAll(async () => {
  moto = await startS3Emulator({ region: REGION, credentials: KEYS });
  await moto.createBucket(BUCKET);
  imports = createDynamoDbImportClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS });
}, 60_000);

afterAll(async () => {
  imports?.destroy();
  await moto?.stop();
});

describe('import from S3 into a new manifest table (moto)', () => {
  const first = items(0, 30);
  const second = items(30, 25);

  beforeAll(async () => {
    await moto.putObject(BUCKET, `${PREFIX}part-00000.json.gz`, gzipLines(first));
    await moto.putObject(BUCKET, `${PREFIX}part-00001.json.gz`, gzipLines(second));
    // Beside the prefix, never read.
    await moto.putObject(BUCKET, 'populator/runs/r1/summary.json', '{}');
  });

  it('creates the table from every object under the prefix, its items equal to the input, then TTL goes on for ttl', async () => {
    const started = await imports.startImport({
      table: 'manifest-imported',
      bucket: BUCKET,
      keyPrefix: PREFIX,
      billing: { mode: 'on-demand' },
      clientToken: token('manifest-imported'),
    });
    expect(started.importArn).toMatch(/:table\/manifest-imported\/import\//);
    const seen: string[] = [];
    const last = await followImport(imports, started.importArn, {
      intervalMs: 50,
      startedHere: true,
      timeoutMs: 20_000,
      onUpdate: (v) => seen.push(v.status),
    });
    expect(last).toMatchObject({ status: 'COMPLETED', final: true, errorCount: 0, failureCode: null });
    expect(last.importedItemCount).toBe(first.length + second.length);
    expect(last.processedItemCount).toBe(first.length + second.length);
    expect(seen.at(-1)).toBe('COMPLETED');

    const ddb = createDynamoDbClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS });
    try {
      expect(sortKeys(await ddb.scanItems('manifest-imported'))).toEqual(sortKeys([...first, ...second]));
      const table = await ddb.describeManifestTable('manifest-imported');
      expect(table).toMatchObject({ exists: true, keySchemaOk: true, billingMode: 'PAY_PER_REQUEST' });
    } finally {
      ddb.destroy();
    }

    expect(await imports.enableTtl('manifest-imported')).toBe('ENABLED');
    const sdk = new DynamoDBClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS });
    try {
      const ttl = await sdk.send(new DescribeTimeToLiveCommand({ TableName: 'manifest-imported' }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    } finally {
      sdk.destroy();
    }
    expect(await imports.enableTtl('manifest-imported')).toBe('ALREADY_ENABLED');
  });

  it('creates a provisioned table with the capacity asked for', async () => {
    const started = await imports.startImport({
      table: 'manifest-provisioned',
      bucket: BUCKET,
      keyPrefix: PREFIX,
      billing: { mode: 'provisioned', readCapacity: 5, writeCapacity: 25 },
      clientToken: token('manifest-provisioned'),
    });
    expect((await follow(started.importArn)).status).toBe('COMPLETED');
    const ddb = createDynamoDbClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS });
    try {
      expect(await ddb.describeManifestTable('manifest-provisioned')).toMatchObject({
        billingMode: 'PROVISIONED',
        provisionedWcu: 25,
      });
    } finally {
      ddb.destroy();
    }
  });

  it('never imports into a table that exists: refused (AWS) or FAILED (moto), the table left as it was', async () => {
    const outcome = await imports
      .startImport({
        table: 'manifest-imported',
        bucket: BUCKET,
        keyPrefix: PREFIX,
        billing: { mode: 'on-demand' },
        clientToken: token('manifest-imported-again'),
      })
      .then(
        (v) => follow(v.importArn),
        (e: unknown) => e,
      );
    if (outcome instanceof UserError) expect(outcome.code).toBe('TABLE_EXISTS');
    else {
      expect(outcome).toMatchObject({ status: 'FAILED', final: true });
      expect(outcome).toHaveProperty('failureMessage', expect.stringMatching(/already exists/));
    }
    const ddb = createDynamoDbClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS });
    try {
      expect(await ddb.countItems('manifest-imported')).toBe(first.length + second.length);
    } finally {
      ddb.destroy();
    }
  });
});

describe('imports that cannot succeed (moto)', () => {
  it('ends FAILED with the failure code when the bucket does not exist, and creates no table', async () => {
    const started = await imports.startImport({
      table: 'manifest-no-bucket',
      bucket: 'no-such-bucket',
      keyPrefix: PREFIX,
      billing: { mode: 'on-demand' },
      clientToken: token('manifest-no-bucket'),
    });
    const last = await follow(started.importArn);
    expect(last).toMatchObject({ status: 'FAILED', final: true, failureCode: 'S3NoSuchBucket' });
    expect(last.failureMessage).toMatch(/bucket does not exist/);
    const ddb = createDynamoDbClient({ region: REGION, endpoint: moto.endpoint, credentials: KEYS });
    try {
      expect((await ddb.describeManifestTable('manifest-no-bucket')).exists).toBe(false);
    } finally {
      ddb.destroy();
    }
  });

  it('says clearly that an unknown import cannot be described, and following it stops after a few looks', async () => {
    const arn = `arn:aws:dynamodb:${REGION}:123456789012:table/manifest/import/0123456789abcdef0123456789abcdef`;
    const e = await imports.describeImport(arn).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(UserError);
    // AWS: IMPORT_NOT_FOUND; moto: HTTP 500, "not DynamoDB".
    expect(['IMPORT_NOT_FOUND', 'DYNAMODB_ENDPOINT']).toContain((e as UserError).code);
    expect((e as UserError).hint).not.toBe('');

    let looks = 0;
    const counting = {
      describeImport: (a: string) => {
        looks++;
        return imports.describeImport(a);
      },
    };
    const t0 = Date.now();
    await expect(followImport(counting, arn, { intervalMs: 20 })).rejects.toBeInstanceOf(UserError);
    expect(looks).toBeLessThanOrEqual(MAX_UNREADABLE_ANSWERS + 1);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
