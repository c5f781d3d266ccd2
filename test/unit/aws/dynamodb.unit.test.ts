import {
  BatchGetItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type BatchGetItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDynamoDbClient, MANIFEST_KEYS } from '../../../src/aws/dynamodb.js';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());

const KEYS = MANIFEST_KEYS;

describe('describeManifestTable (SDK mocked: dynalite knows no OnDemandThroughput)', () => {
  it("reads an on-demand table's maximum write throughput, and treats -1 as none", async () => {
    ddb.on(DescribeTimeToLiveCommand).resolves({
      TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' },
    });
    ddb
      .on(DescribeTableCommand)
      .resolvesOnce({
        Table: {
          ...KEYS,
          TableStatus: 'ACTIVE',
          BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
          OnDemandThroughput: { MaxWriteRequestUnits: 500, MaxReadRequestUnits: -1 },
        },
      })
      .resolvesOnce({
        Table: {
          ...KEYS,
          TableStatus: 'ACTIVE',
          BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
          OnDemandThroughput: { MaxWriteRequestUnits: -1 },
        },
      });
    const client = createDynamoDbClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    expect(await client.describeManifestTable('t1')).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      onDemandMaxWriteRequestUnits: 500,
      ttl: 'ENABLED',
      ttlAttribute: 'ttl',
    });
    expect(await client.describeManifestTable('t1')).toMatchObject({
      onDemandMaxWriteRequestUnits: undefined,
    });
    client.destroy();
  });
});

describe('batchGetKeys (SDK mocked: dynalite never throttles)', () => {
  const keys = Array.from({ length: 250 }, (_, i) => ({ eventId: `e${i}`, fingerprint: `f${i}` }));
  const item = (k: { eventId: string; fingerprint: string }) => ({
    eventId: { S: k.eventId },
    fingerprint: { S: k.fingerprint },
    etlTime: { N: '1485388885' },
    ttl: { N: '1500940885' },
  });

  it('asks for the four attributes only (#ttl aliased), eventually consistent by default, and sums the read units', async () => {
    ddb.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => {
      const req = input.RequestItems?.t;
      return {
        Responses: {
          t: (req?.Keys ?? []).map((k) => item({ eventId: k.eventId!.S!, fingerprint: k.fingerprint!.S! })),
        },
        ConsumedCapacity: [{ TableName: 't', CapacityUnits: (req?.Keys?.length ?? 0) / 2 }],
      };
    });
    const client = createDynamoDbClient({ region: 'us-east-1' });
    const r = await client.batchGetKeys('t', keys);
    expect(r.items).toHaveLength(250);
    expect(r.requests).toBe(3);
    expect(r.consumedReadUnits).toBe(125);
    const calls = ddb.commandCalls(BatchGetItemCommand);
    expect(calls.map((c) => c.args[0].input.RequestItems?.t?.Keys?.length)).toEqual([100, 100, 50]);
    const first = calls[0]!.args[0].input;
    expect(first.RequestItems?.t).toMatchObject({
      ProjectionExpression: '#eventId, #fingerprint, #etlTime, #ttl',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#etlTime': 'etlTime' },
      ConsistentRead: false,
    });
    expect(first.ReturnConsumedCapacity).toBe('TOTAL');
    await client.batchGetKeys('t', keys.slice(0, 1), { consistentRead: true });
    expect(ddb.commandCalls(BatchGetItemCommand)[3]!.args[0].input.RequestItems?.t?.ConsistentRead).toBe(
      true,
    );
  });

  it('keeps at most `concurrency` calls in flight and reports progress', async () => {
    let inFlight = 0;
    let most = 0;
    ddb.on(BatchGetItemCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { Responses: { t: [] } };
    });
    const client = createDynamoDbClient({ region: 'us-east-1' });
    const many = Array.from({ length: 1000 }, (_, i) => ({ eventId: `e${i}`, fingerprint: 'f' }));
    const progress: number[] = [];
    const r = await client.batchGetKeys('t', many, {
      concurrency: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(r.requests).toBe(10);
    expect(most).toBe(3);
    expect(progress.at(-1)).toBe(1000);
    expect(progress).toHaveLength(10);
  });

  it('backs off and retries when throttled past the SDK retries, and counts it', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    ddb
      .on(BatchGetItemCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ Responses: { t: [item(keys[0]!)] } });
    const client = createDynamoDbClient({ region: 'us-east-1' });
    const r = await client.batchGetKeys('t', keys.slice(0, 1));
    expect(r.items).toHaveLength(1);
    expect(r.throttledRetries).toBe(2);
    expect(r.requests).toBe(3);
  });

  it('gives up with a user error when throttling never ends', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    ddb.on(BatchGetItemCommand).rejects(throttled);
    const client = createDynamoDbClient({ region: 'us-east-1' });
    vi.useFakeTimers();
    try {
      const pending = client.batchGetKeys('t', keys.slice(0, 1)).catch((e: unknown) => e);
      await vi.runAllTimersAsync();
      expect(await pending).toMatchObject({ code: 'DYNAMODB_UNPROCESSED_KEYS' });
    } finally {
      vi.useRealTimers();
    }
  });
});
