import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDynamoDbClient, type DynamoDbClient } from '../../../src/aws/dynamodb.js';
import { DEFAULT_TTL_SECONDS } from '../../../src/domain/contract.js';
import { compareKeys, type ManifestItem } from '../../../src/domain/enriched.js';
import { UserError } from '../../../src/domain/errors.js';
import { createRandom } from '../../../src/domain/random.js';
import { startDynalite, type DynaliteHandle } from '../../../src/services/dynalite.js';
import { manifestWriter } from '../../helpers/manifest-fill.js';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

let dynalite: DynaliteHandle;
let client: DynamoDbClient;
let raw: DynamoDBClient;
let writer: ReturnType<typeof manifestWriter>;

beforeAll(async () => {
  dynalite = await startDynalite({ createTableMs: 200 });
  client = createDynamoDbClient({ region: REGION, endpoint: dynalite.endpoint, credentials: CREDENTIALS });
  raw = new DynamoDBClient({ region: REGION, endpoint: dynalite.endpoint, credentials: CREDENTIALS });
  writer = manifestWriter(dynalite.endpoint, REGION, CREDENTIALS);
});

afterAll(async () => {
  client?.destroy();
  raw?.destroy();
  writer?.destroy();
  await dynalite?.stop();
});

function makeItems(n: number, seed: number): ManifestItem[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const etlTime = 1_767_204_600 + i;
    return {
      eventId: random.uuidV4(),
      fingerprint: random.hex(32),
      etlTime,
      ttl: etlTime + DEFAULT_TTL_SECONDS,
    };
  });
}

const sorted = <T extends { eventId: string; fingerprint: string }>(items: T[]): T[] =>
  [...items].sort(compareKeys);

describe('DynamoDB adapter against dynalite', () => {
  it('creates a manifest table, waits until ACTIVE and describes it', async () => {
    const created = await client.createManifestTable('manifest-ondemand', { billingMode: 'PAY_PER_REQUEST' });
    expect(created).toMatchObject({
      exists: true,
      status: 'ACTIVE',
      keySchemaOk: true,
      billingMode: 'PAY_PER_REQUEST',
    });
    expect(created.provisionedWcu).toBeUndefined();

    const described = await client.describeManifestTable('manifest-ondemand');
    expect(described).toEqual({
      exists: true,
      keySchemaOk: true,
      billingMode: 'PAY_PER_REQUEST',
      provisionedWcu: undefined,
      onDemandMaxWriteRequestUnits: undefined,
      itemCount: 0,
      // dynalite 4 answers DescribeTimeToLive with DISABLED (it cannot enable TTL at all).
      ttl: 'DISABLED',
      ttlAttribute: undefined,
      status: 'ACTIVE',
    });
  });

  it('describes a provisioned table with its WCU', async () => {
    await client.createManifestTable('manifest-provisioned', {
      billingMode: 'PROVISIONED',
      readCapacityUnits: 5,
      writeCapacityUnits: 40,
    });
    expect(await client.describeManifestTable('manifest-provisioned')).toMatchObject({
      exists: true,
      keySchemaOk: true,
      billingMode: 'PROVISIONED',
      provisionedWcu: 40,
    });
  });

  it('says when a table does not exist, or has another key schema', async () => {
    expect(await client.describeManifestTable('no-such-table')).toMatchObject({
      exists: false,
      keySchemaOk: false,
    });
    const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
    await raw.send(
      new CreateTableCommand({
        TableName: 'not-a-manifest',
        AttributeDefinitions: [{ AttributeName: 'eventId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(await client.describeManifestTable('not-a-manifest')).toMatchObject({
      exists: true,
      keySchemaOk: false,
    });
  });

  it('refuses to create a table that exists, with a hint', async () => {
    const error = await client
      .createManifestTable('manifest-ondemand', { billingMode: 'PAY_PER_REQUEST' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'TABLE_EXISTS' });
  });

  it('counts and scans every item over several pages, as plain numbers', async () => {
    // About 2,500 items of ~1.1 KB exceed Scan's 1 MB page: the adapter must follow LastEvaluatedKey.
    const table = 'manifest-scan';
    await client.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const items = makeItems(1200, 1);
    await writer.put(table, items, { padding: { S: 'x'.repeat(1000) } });
    expect(await client.countItems(table)).toBe(items.length);
    const scanned = await client.scanItems(table);
    expect(sorted(scanned)).toEqual(sorted(items));
  });

  it('looks up more than 100 keys, found and missing, in batches of 100', async () => {
    const table = 'manifest-batchget';
    await client.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const present = makeItems(250, 2);
    const missing = makeItems(70, 3).map(({ eventId, fingerprint }) => ({ eventId, fingerprint }));
    await writer.put(table, present);
    const keys = [...present, ...missing].map(({ eventId, fingerprint }) => ({ eventId, fingerprint }));
    const first = keys[0];
    if (first === undefined) throw new Error('no keys');
    const result = await client.batchGetKeys(table, [...keys, first]);
    expect(sorted(result.items)).toEqual(sorted(present));
    expect(result.requests).toBe(4);
    expect(await client.batchGetKeys(table, [])).toMatchObject({
      items: [],
      requests: 0,
      throttledRetries: 0,
    });
  });

  it('retries the keys DynamoDB leaves unprocessed', async () => {
    // dynalite answers about 1 MB of (projected) items per call and leaves the rest unprocessed.
    // Items whose `ttl` some other writer stored as a 300 KB string make 40 keys ~12 MB; they also
    // show that a non-number attribute comes back as undefined rather than NaN.
    const table = 'manifest-unprocessed';
    await client.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const items = makeItems(40, 4);
    await writer.put(table, items, { ttl: { S: 'y'.repeat(300_000) } });
    const result = await client.batchGetKeys(table, items);
    expect(sorted(result.items)).toEqual(sorted(items.map((it) => ({ ...it, ttl: undefined }))));
    expect(result.requests).toBeGreaterThan(5);
  });

  it('maps a missing table to a user error naming the table and region', async () => {
    for (const call of [
      () => client.countItems('no-such-table'),
      () => client.scanItems('no-such-table'),
      () => client.batchGetKeys('no-such-table', [{ eventId: 'a', fingerprint: 'b' }]),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect(error).toMatchObject({
        message: `DynamoDB table no-such-table not found in region ${REGION}`,
        code: 'TABLE_NOT_FOUND',
      });
      expect((error as UserError).hint).toMatch(/region/);
    }
  });

  it('maps a refused connection to a user error about the endpoint', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const offline = createDynamoDbClient({ region: REGION, endpoint, credentials: CREDENTIALS });
    try {
      const error = await offline.countItems('manifest').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect(error).toMatchObject({ code: 'DYNAMODB_UNREACHABLE' });
      expect((error as UserError).message).toContain(endpoint);
      expect((error as UserError).hint).toMatch(/endpoint/);
    } finally {
      offline.destroy();
    }
  });

  it('maps a missing credential to a user error about credentials', async () => {
    // dynalite only checks that a request is signed; an unsigned one is refused as AWS would.
    const unsigned = createDynamoDbClient({
      region: REGION,
      endpoint: dynalite.endpoint,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
    });
    try {
      const error = await unsigned.countItems('manifest-ondemand').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect(error).toMatchObject({ code: 'AWS_CREDENTIALS' });
      expect((error as UserError).hint).toMatch(/credentials/);
    } finally {
      unsigned.destroy();
    }
  });
});

describe('startDynalite', () => {
  it('runs in-process too, on its own free port', async () => {
    const inProcess = await startDynalite({ mode: 'in-process' });
    const c = createDynamoDbClient({
      region: REGION,
      endpoint: inProcess.endpoint,
      credentials: CREDENTIALS,
    });
    try {
      expect(inProcess.endpoint).not.toBe(dynalite.endpoint);
      expect(await c.describeManifestTable('manifest-ondemand')).toMatchObject({ exists: false });
    } finally {
      c.destroy();
      await inProcess.stop();
      await inProcess.stop();
    }
  });

  it('takes the child process down when the parent is interrupted', async () => {
    // A parent that starts dynalite and then waits forever; SIGINT must end both.
    const script = [
      `const { startDynalite } = await import(${JSON.stringify(new URL('../../../src/services/dynalite.ts', import.meta.url).href)});`,
      'const d = await startDynalite();',
      'console.log(JSON.stringify({ pid: d.pid, endpoint: d.endpoint }));',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
    const { pid, endpoint } = JSON.parse(chunk.toString('utf8')) as { pid: number; endpoint: string };
    expect(isRunning(pid)).toBe(true);
    const exited = once(parent, 'exit');
    parent.kill('SIGINT');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    await expect
      .poll(
        () =>
          fetch(endpoint).then(
            () => 'listening',
            () => 'closed',
          ),
        { timeout: 5000 },
      )
      .toBe('closed');
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
