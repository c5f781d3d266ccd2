/**
 * The fault proxy (test/helpers/fault-proxy.ts) with the real JS SDK against dynalite: each fault
 * surfaces as the SDK error DynamoDB would cause, and the counters match what happened.
 */
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createDynamoDbClient } from '../../src/aws/dynamodb.js';
import { createRandom } from '../../src/domain/random.js';
import { startDynalite, type DynaliteHandle } from '../../src/services/dynalite.js';
import { startFaultProxy, sustainedRate, writeUnits, type FaultProxy } from '../helpers/fault-proxy.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const TABLE = 'proxied-manifest';

let dynalite: DynaliteHandle;
let proxy: FaultProxy;
let client: DynamoDBClient;
const random = createRandom(42);

function put(i: number): PutItemCommandInput {
  return {
    TableName: TABLE,
    Item: {
      eventId: { S: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
      fingerprint: { S: `fp-${i}` },
      etlTime: { N: '1485388885' },
      ttl: { N: '1500940885' },
    },
  };
}

async function settle<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: Error & Record<string, unknown> }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as Error & Record<string, unknown> };
  }
}

beforeAll(async () => {
  dynalite = await startDynalite({ createTableMs: 0 });
  const setup = createDynamoDbClient({
    region: REGION,
    endpoint: dynalite.endpoint,
    credentials: CREDENTIALS,
  });
  await setup.createManifestTable(TABLE, { billingMode: 'PAY_PER_REQUEST' });
  setup.destroy();
  proxy = await startFaultProxy({ upstream: dynalite.endpoint, random: () => random.next() });
  // No SDK retries: every answer of the proxy reaches the test as it is.
  client = new DynamoDBClient({
    region: REGION,
    endpoint: proxy.endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await proxy?.stop();
  await dynalite?.stop();
});

beforeEach(() => {
  proxy.configure({
    latencyMs: 0,
    wcuPerSecond: 0,
    burstSeconds: 1,
    errorRate: 0,
    dropRate: 0,
    faultPhase: 'before',
  });
  proxy.resetCounts();
});

describe('fault proxy in front of dynalite', () => {
  it('forwards requests unchanged when no fault is set', async () => {
    await client.send(new PutItemCommand(put(1)));
    const got = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { eventId: put(1).Item!.eventId!, fingerprint: { S: 'fp-1' } },
      }),
    );
    expect(got.Item?.etlTime).toEqual({ N: '1485388885' });
    const s = proxy.stats();
    expect(s.total).toMatchObject({ received: 2, forwarded: 2, throttled: 0, failed: 0, dropped: 0 });
    expect(s.byOperation.PutItem?.forwarded).toBe(1);
    expect(s.byOperation.GetItem?.forwarded).toBe(1);
    expect(s.acceptedPuts).toBe(1);
  });

  it('throttles writes over the WCU/s cap with ProvisionedThroughputExceededException, as DynamoDB does', async () => {
    proxy.configure({ wcuPerSecond: 10, burstSeconds: 1 });
    proxy.resetCounts();
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => settle(client.send(new PutItemCommand(put(100 + i))))),
    );
    const failures = results.filter((r) => !r.ok).map((r) => (r.ok ? undefined : r.error));
    // The bucket holds one second of capacity: 10 pass, 15 are throttled (a few ms may refill one).
    expect(failures.length).toBeGreaterThanOrEqual(14);
    expect(failures.length).toBeLessThanOrEqual(15);
    for (const e of failures) {
      expect(e?.name).toBe('ProvisionedThroughputExceededException');
      expect(e?.message).toBe('The level of configured provisioned throughput for the table was exceeded.');
      expect((e?.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
      expect(e).toBeInstanceOf(ProvisionedThroughputExceededException);
    }
    const s = proxy.stats();
    expect(s.total.throttled).toBe(failures.length);
    expect(s.total.forwarded).toBe(25 - failures.length);
    expect(s.acceptedPuts).toBe(25 - failures.length);
    expect(s.series.reduce((n, x) => n + x.throttled, 0)).toBe(failures.length);
    expect(s.series.reduce((n, x) => n + x.acceptedPuts, 0)).toBe(25 - failures.length);

    // Reads are never throttled.
    await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { eventId: put(1).Item!.eventId!, fingerprint: { S: 'fp-1' } },
      }),
    );
    // The bucket refills at the cap.
    await new Promise((r) => setTimeout(r, 350));
    const later = await Promise.all(
      Array.from({ length: 3 }, (_, i) => settle(client.send(new PutItemCommand(put(200 + i))))),
    );
    expect(later.filter((r) => r.ok).length).toBe(3);

    // On the wire, byte for byte what DynamoDB sends: a bucket of one token, two puts.
    proxy.configure({ wcuPerSecond: 0.1 });
    proxy.resetCounts();
    const raw = () =>
      fetch(proxy.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.PutItem',
        },
        body: JSON.stringify(put(150)),
      });
    await raw(); // forwarded (dynalite refuses the unsigned request, but it got there)
    expect(proxy.stats().total.forwarded).toBe(1);
    const wire = await raw();
    expect(wire.status).toBe(400);
    expect(wire.headers.get('x-amzn-errortype')).toBe('ProvisionedThroughputExceededException');
    expect(wire.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await wire.text()).toBe(
      '{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}',
    );
  });

  it('charges a BatchWriteItem one unit per write request', async () => {
    expect(
      writeUnits(
        'BatchWriteItem',
        Buffer.from(JSON.stringify({ RequestItems: { t: [{}, {}, {}], u: [{}] } })),
      ),
    ).toBe(4);
    expect(writeUnits('GetItem', Buffer.from('{}'))).toBe(0);
    proxy.configure({ wcuPerSecond: 5, burstSeconds: 1 });
    proxy.resetCounts();
    const batch = (from: number) =>
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: Array.from({ length: 4 }, (_, i) => ({ PutRequest: { Item: put(from + i).Item! } })),
        },
      });
    expect((await settle(client.send(batch(300)))).ok).toBe(true);
    const second = await settle(client.send(batch(310)));
    expect(second.ok ? undefined : second.error.name).toBe('ProvisionedThroughputExceededException');
    expect(proxy.stats().series.reduce((n, x) => n + x.acceptedWcu, 0)).toBe(4);
  });

  it('answers a share of requests with 500 / 503 and counts them', async () => {
    proxy.configure({ errorRate: 1 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => settle(client.send(new PutItemCommand(put(400 + i))))),
    );
    const statuses = results.map((r) =>
      r.ok ? 200 : (r.error.$metadata as { httpStatusCode?: number }).httpStatusCode,
    );
    expect(statuses.every((s) => s === 500 || s === 503)).toBe(true);
    expect(statuses).toContain(500);
    const e500 = results.find(
      (r) => !r.ok && (r.error.$metadata as { httpStatusCode?: number }).httpStatusCode === 500,
    );
    expect(e500 && !e500.ok ? e500.error.name : '').toBe('InternalServerError');
    expect(proxy.stats().total).toMatchObject({ received: 12, failed: 12, forwarded: 0 });

    // A share: about 30% of 200 requests.
    proxy.configure({ errorRate: 0.3 });
    proxy.resetCounts();
    const mixed = await Promise.all(
      Array.from({ length: 200 }, (_, i) => settle(client.send(new PutItemCommand(put(500 + i))))),
    );
    const failed = mixed.filter((r) => !r.ok).length;
    const s = proxy.stats();
    expect(s.total.failed).toBe(failed);
    expect(s.total.forwarded).toBe(200 - failed);
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(90);
  });

  it('drops connections, which the SDK sees as a network error, and counts them', async () => {
    proxy.configure({ dropRate: 1 });
    const r = await settle(client.send(new PutItemCommand(put(800))));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(String(r.error.code ?? r.error.name ?? r.error.message)).toMatch(
        /ECONNRESET|socket hang up|TimeoutError|EPIPE/i,
      );
    expect(proxy.stats().total).toMatchObject({ received: 1, dropped: 1, forwarded: 0 });

    // After forwarding: the item is written but the answer is lost.
    proxy.configure({ dropRate: 1, faultPhase: 'after' });
    proxy.resetCounts();
    expect((await settle(client.send(new PutItemCommand(put(801))))).ok).toBe(false);
    proxy.configure({ dropRate: 0 });
    const got = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { eventId: put(801).Item!.eventId!, fingerprint: { S: 'fp-801' } },
      }),
    );
    expect(got.Item).toBeDefined();
    expect(proxy.stats().total).toMatchObject({ dropped: 1, lostAnswers: 1, forwarded: 2 });
  });

  it('adds latency, fixed or random within bounds', async () => {
    proxy.configure({ latencyMs: 60 });
    await client.send(new PutItemCommand(put(900))); // warm the connection
    const t0 = performance.now();
    await client.send(new PutItemCommand(put(901)));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(59);

    proxy.configure({ latencyMs: { min: 30, max: 50 } });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await client.send(new PutItemCommand(put(910 + i)));
      times.push(performance.now() - t);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(29);
  });

  it('keeps a per-second series of accepted puts', async () => {
    proxy.configure({ wcuPerSecond: 40, burstSeconds: 0.1 });
    proxy.resetCounts();
    const until = performance.now() + 2600;
    let i = 0;
    // A closed loop of 8 writers pushing as fast as they can, well over the cap.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < until) await settle(client.send(new PutItemCommand(put(1000 + i++))));
      }),
    );
    const s = proxy.stats();
    expect(s.total.throttled).toBeGreaterThan(0);
    const rate = sustainedRate(s.series);
    expect(rate).toBeDefined();
    expect(rate!.perSecond).toBeGreaterThan(30);
    expect(rate!.perSecond).toBeLessThanOrEqual(44);
  });
});
