/**
 * The DynamoDB calls the CLI makes on an event-manifest table, behind a narrow interface built by
 * one factory (aws-cdk-cli style). SDK errors a user can fix become `UserError`s with a hint here;
 * anything else is rethrown as it came.
 */
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeDefinition,
  type AttributeValue,
  type DynamoDBClientConfig,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

import { ATTR_ETL_TIME, ATTR_EVENT_ID, ATTR_FINGERPRINT, ATTR_TTL } from '../domain/contract.js';
import type { ManifestKey } from '../domain/enriched.js';
import { UserError } from '../domain/errors.js';
import { errorName, connectionCode, httpStatus, isCredentialErrorName } from './sdk-errors.js';

/** How to reach DynamoDB. Without `credentials`, the default chain (or `profile`) is used. */
export interface DynamoDbClientOptions {
  region: string;
  /** An endpoint override (a local stand-in); otherwise the SDK's own resolution, `AWS_ENDPOINT_URL_DYNAMODB` included. */
  endpoint?: string;
  credentials?: DynamoDBClientConfig['credentials'];
  profile?: string;
}

/** TTL as DescribeTimeToLive reports it; `UNKNOWN` when the endpoint cannot or may not say. */
export type TtlStatus = 'ENABLED' | 'DISABLED' | 'UNKNOWN';

/** What the CLI needs to know about an existing manifest table. */
export interface ExistingManifestTable {
  exists: true;
  /** Exactly `eventId` HASH (S) + `fingerprint` RANGE (S), as the shredder expects. */
  keySchemaOk: boolean;
  /** `PROVISIONED` also for old tables that carry no billing mode summary. */
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  /** Provisioned write capacity; undefined for on-demand tables. */
  provisionedWcu: number | undefined;
  /** An on-demand table's maximum write request units per second (`OnDemandThroughput`); undefined when none is set. */
  onDemandMaxWriteRequestUnits: number | undefined;
  /** DynamoDB's approximate item count (refreshed about every six hours on AWS). */
  itemCount: number | undefined;
  ttl: TtlStatus;
  /** The attribute TTL is enabled on, when it is (the shredder's is `ttl`). */
  ttlAttribute: string | undefined;
  /** CREATING, ACTIVE, UPDATING, ... */
  status: string | undefined;
}

/** A table that is not there: every other field is empty. */
export interface MissingManifestTable {
  exists: false;
  keySchemaOk: false;
  billingMode: undefined;
  provisionedWcu: undefined;
  onDemandMaxWriteRequestUnits: undefined;
  itemCount: undefined;
  ttl: 'UNKNOWN';
  ttlAttribute: undefined;
  status: undefined;
}

/** The answer of `describeManifestTable`; narrow on `exists`. */
export type ManifestTableDescription = ExistingManifestTable | MissingManifestTable;

/** Billing of a table the CLI creates. */
export type CreateManifestTableOptions =
  | { billingMode: 'PAY_PER_REQUEST' }
  | { billingMode: 'PROVISIONED'; readCapacityUnits: number; writeCapacityUnits: number };

/**
 * A manifest item as stored. `etlTime`/`ttl` are undefined only on items some other writer left
 * without them (DynamoDB enforces nothing but the key).
 */
export interface StoredManifestItem extends ManifestKey {
  etlTime: number | undefined;
  ttl: number | undefined;
}

/** The result of `batchGetKeys`. */
export interface BatchGetKeysResult {
  /** The items found (keys that are absent are simply not listed), in no particular order. */
  items: StoredManifestItem[];
  /** BatchGetItem requests sent, retries of unprocessed keys included. */
  requests: number;
  /** Requests throttled (after the SDK's own retries) or answered without any progress, then retried. */
  throttledRetries: number;
  /** Read capacity units the table reports as consumed (0 where it reports none). */
  consumedReadUnits: number;
}

/** How `batchGetKeys` reads. */
export interface BatchGetKeysOptions {
  /** Strongly consistent reads (twice the cost); default eventually consistent. */
  consistentRead?: boolean;
  /** BatchGetItem calls in flight at once; default 1. */
  concurrency?: number;
  /** Called after each batch with the keys looked up so far and in all. */
  onProgress?: (done: number, total: number) => void;
}

/** The DynamoDB operations the CLI uses on a manifest table. */
export interface DynamoDbClient {
  /** Never throws for a missing table: `exists: false`. */
  describeManifestTable(table: string): Promise<ManifestTableDescription>;
  /** Creates the table with the manifest's key schema and resolves once it is ACTIVE. */
  createManifestTable(table: string, opts: CreateManifestTableOptions): Promise<ExistingManifestTable>;
  /** Exact item count (a paginated COUNT scan: reads the whole table). */
  countItems(table: string): Promise<number>;
  /** Every item of the table (a paginated scan: for tests, the demo and small tables). */
  scanItems(table: string): Promise<StoredManifestItem[]>;
  /**
   * Looks keys up, 100 per BatchGetItem (eventId, fingerprint, etlTime and ttl only), a few calls
   * in flight; unprocessed keys and throttled calls are retried with backoff.
   */
  batchGetKeys(
    table: string,
    keys: readonly ManifestKey[],
    options?: BatchGetKeysOptions,
  ): Promise<BatchGetKeysResult>;
  /** Closes the connections. */
  destroy(): void;
}

/** BatchGetItem's limit of keys per request. */
export const BATCH_GET_MAX_KEYS = 100;
const MAX_ROUNDS_WITHOUT_PROGRESS = 10;
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const TABLE_ACTIVE_TIMEOUT_MS = 5 * 60_000;

const PROJECTION = '#eventId, #fingerprint, #etlTime, #ttl';
// `ttl` is a reserved word: every attribute goes through a name placeholder.
const PROJECTION_NAMES = {
  '#eventId': ATTR_EVENT_ID,
  '#fingerprint': ATTR_FINGERPRINT,
  '#etlTime': ATTR_ETL_TIME,
  '#ttl': ATTR_TTL,
};

/** The manifest table's key (DESIGN 3.2): eventId (HASH, S), fingerprint (RANGE, S). */
export const MANIFEST_KEYS: {
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
} = {
  AttributeDefinitions: [
    { AttributeName: ATTR_EVENT_ID, AttributeType: 'S' },
    { AttributeName: ATTR_FINGERPRINT, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: ATTR_EVENT_ID, KeyType: 'HASH' },
    { AttributeName: ATTR_FINGERPRINT, KeyType: 'RANGE' },
  ],
};

/**
 * The SDK client every DynamoDB adapter sends through (this one and the import's): the region, an
 * endpoint override when given (else the SDK's own resolution), the credentials or profile.
 */
export function newDynamoDbSdkClient(opts: DynamoDbClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    region: opts.region,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
  });
}

/** Builds the DynamoDB adapter. Each call makes its own SDK client: nothing is cached at module level. */
export function createDynamoDbClient(opts: DynamoDbClientOptions): DynamoDbClient {
  const sdk = newDynamoDbSdkClient(opts);
  const where = { region: opts.region, endpoint: opts.endpoint };
  const call = async <T>(operation: string, table: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw mapDynamoDbError(error, { ...where, operation, table });
    }
  };

  const describe = async (table: string): Promise<ManifestTableDescription> => {
    let description: TableDescription | undefined;
    try {
      description = (await sdk.send(new DescribeTableCommand({ TableName: table }))).Table;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return missingTable();
      throw mapDynamoDbError(error, { ...where, operation: 'DescribeTable', table });
    }
    // DynamoDB always describes the table it found: an empty answer is some other service's.
    if (description === undefined) throw notDynamoDb(opts.endpoint, undefined);
    let ttl: TtlStatus = 'UNKNOWN';
    let ttlAttribute: string | undefined;
    try {
      const out = await sdk.send(new DescribeTimeToLiveCommand({ TableName: table }));
      const status = out.TimeToLiveDescription?.TimeToLiveStatus;
      ttl =
        status === 'ENABLED' || status === 'ENABLING'
          ? 'ENABLED'
          : status === undefined
            ? 'UNKNOWN'
            : 'DISABLED';
      ttlAttribute = ttl === 'ENABLED' ? out.TimeToLiveDescription?.AttributeName : undefined;
    } catch (error) {
      // Stand-ins may not implement the call, and a policy may not grant it; neither is fatal:
      // the table works, only the expiry default cannot be decided from it.
      const name = errorName(error);
      if (name !== 'UnknownOperationException' && name !== 'AccessDeniedException') {
        throw mapDynamoDbError(error, { ...where, operation: 'DescribeTimeToLive', table });
      }
    }
    const billingMode: ExistingManifestTable['billingMode'] =
      description.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
    return {
      exists: true,
      keySchemaOk: keySchemaOk(description),
      billingMode,
      provisionedWcu:
        billingMode === 'PROVISIONED' ? description.ProvisionedThroughput?.WriteCapacityUnits : undefined,
      onDemandMaxWriteRequestUnits: onDemandMax(description),
      itemCount: description.ItemCount,
      ttl,
      ttlAttribute,
      status: description.TableStatus,
    };
  };

  return {
    describeManifestTable: describe,

    async createManifestTable(table, createOpts) {
      await call('CreateTable', table, () =>
        sdk.send(
          new CreateTableCommand({
            TableName: table,
            ...MANIFEST_KEYS,
            BillingMode: createOpts.billingMode,
            ...(createOpts.billingMode === 'PROVISIONED'
              ? {
                  ProvisionedThroughput: {
                    ReadCapacityUnits: createOpts.readCapacityUnits,
                    WriteCapacityUnits: createOpts.writeCapacityUnits,
                  },
                }
              : {}),
          }),
        ),
      );
      const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
      for (let attempt = 0; ; attempt++) {
        const d = await describe(table);
        if (d.exists && d.status === 'ACTIVE') return d;
        if (Date.now() > deadline) {
          throw new UserError(
            `DynamoDB table ${table} is still ${d.status ?? 'not visible'} after 5 minutes`,
            {
              hint: 'Check the table in the DynamoDB console, then run the command again.',
              code: 'TABLE_NOT_ACTIVE',
            },
          );
        }
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    },

    async countItems(table) {
      let count = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await call('Scan', table, () =>
          sdk.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: startKey })),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return count;
    },

    async scanItems(table) {
      const items: StoredManifestItem[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await call('Scan', table, () =>
          sdk.send(
            new ScanCommand({
              TableName: table,
              ProjectionExpression: PROJECTION,
              ExpressionAttributeNames: PROJECTION_NAMES,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of page.Items ?? []) items.push(fromAttributes(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return items;
    },

    async batchGetKeys(table, keys, options = {}) {
      // BatchGetItem rejects a request that names one key twice.
      const unique = new Map<string, ManifestKey>();
      for (const k of keys) unique.set(`${k.eventId}\t${k.fingerprint}`, k);
      const all = [...unique.values()];
      const batches: ManifestKey[][] = [];
      for (let offset = 0; offset < all.length; offset += BATCH_GET_MAX_KEYS) {
        batches.push(all.slice(offset, offset + BATCH_GET_MAX_KEYS));
      }
      const result: BatchGetKeysResult = {
        items: [],
        requests: 0,
        throttledRetries: 0,
        consumedReadUnits: 0,
      };
      let done = 0;

      const lookUp = async (batch: ManifestKey[]): Promise<void> => {
        let pending: Record<string, AttributeValue>[] = batch.map((k) => ({
          [ATTR_EVENT_ID]: { S: k.eventId },
          [ATTR_FINGERPRINT]: { S: k.fingerprint },
        }));
        let roundsWithoutProgress = 0;
        let retry = 0;
        while (pending.length > 0) {
          const keysOut = pending;
          let out;
          try {
            out = await sdk.send(
              new BatchGetItemCommand({
                RequestItems: {
                  [table]: {
                    Keys: keysOut,
                    ProjectionExpression: PROJECTION,
                    ExpressionAttributeNames: PROJECTION_NAMES,
                    ConsistentRead: options.consistentRead === true,
                  },
                },
                ReturnConsumedCapacity: 'TOTAL',
              }),
            );
          } catch (error) {
            result.requests++;
            // The SDK retried throttling already; more of it means the table is short of read
            // capacity for a while: keep backing off (bounded) rather than failing the whole verify.
            if (!THROTTLING_ERRORS.has(errorName(error) ?? '')) {
              throw mapDynamoDbError(error, { ...where, operation: 'BatchGetItem', table });
            }
            result.throttledRetries++;
            if (++roundsWithoutProgress >= MAX_ROUNDS_WITHOUT_PROGRESS)
              throw outOfCapacity(table, pending.length);
            await sleep(Math.random() * Math.min(5000, 100 * 2 ** retry++));
            continue;
          }
          result.requests++;
          for (const c of out.ConsumedCapacity ?? []) result.consumedReadUnits += c.CapacityUnits ?? 0;
          for (const item of out.Responses?.[table] ?? []) result.items.push(fromAttributes(item));
          const unprocessed = out.UnprocessedKeys?.[table]?.Keys ?? [];
          if (unprocessed.length === 0) break;
          // Keys left over while others came back mean the 16 MB answer limit, not a shortage of capacity:
          // ask again at once (almost). Only rounds without progress back off further.
          const progressed = unprocessed.length < pending.length;
          roundsWithoutProgress = progressed ? 0 : roundsWithoutProgress + 1;
          if (progressed) retry = 0;
          else result.throttledRetries++;
          if (roundsWithoutProgress >= MAX_ROUNDS_WITHOUT_PROGRESS)
            throw outOfCapacity(table, unprocessed.length);
          pending = unprocessed;
          // Full jitter, capped: the usual answer to a table that is shedding reads.
          await sleep(Math.random() * Math.min(2000, 50 * 2 ** retry++));
        }
        done += batch.length;
        options.onProgress?.(done, all.length);
      };

      // A bounded number of batches in flight: enough to hide the round trip, few enough not to
      // burst through a provisioned table's read capacity.
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batches.length) await lookUp(batches[next++] as ManifestKey[]);
      };
      const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, batches.length));
      await Promise.all(Array.from({ length: concurrency }, worker));
      return result;
    },

    destroy() {
      sdk.destroy();
    },
  };
}

/** Where a failed call went, for the error message. */
export interface DynamoDbErrorContext {
  operation: string;
  table: string;
  region: string;
  endpoint: string | undefined;
}

/** Turns an SDK error a user can fix into a `UserError` with a hint; returns anything else unchanged. */
export function mapDynamoDbError(error: unknown, ctx: DynamoDbErrorContext): unknown {
  if (error instanceof UserError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ResourceNotFoundException') {
    return new UserError(`DynamoDB table ${ctx.table} not found in region ${ctx.region}`, {
      hint: 'Check the table name and region in the storage config (and the profile: tables belong to one account).',
      code: 'TABLE_NOT_FOUND',
      cause: error,
    });
  }
  if (name === 'ResourceInUseException' && ctx.operation === 'CreateTable') {
    return new UserError(`DynamoDB table ${ctx.table} already exists in region ${ctx.region}`, {
      hint: 'Use the existing table, or pick another table name.',
      code: 'TABLE_EXISTS',
      cause: error,
    });
  }
  if (name !== undefined && (name === 'AccessDeniedException' || isCredentialErrorName(name))) {
    return new UserError(`DynamoDB ${ctx.operation} on table ${ctx.table} was refused: ${message}`, {
      hint:
        name === 'AccessDeniedException'
          ? `Grant the identity dynamodb:${ctx.operation} on the table (check it with \`aws sts get-caller-identity\`).`
          : 'Check the AWS credentials: the storage config keys, --profile / AWS_PROFILE, or the environment; `aws sts get-caller-identity` shows which identity is used.',
      code: 'AWS_CREDENTIALS',
      cause: error,
    });
  }
  // An answer that does not parse as DynamoDB's JSON protocol (an HTML page, S3's XML) comes from
  // something else listening at the endpoint.
  // So does an answer with no body at all (a 404 of some other server): the SDK names it Unknown.
  if (
    name === 'SyntaxError' ||
    /Deserialization error/.test(message) ||
    name === 'Unknown' ||
    message === 'UnknownError'
  )
    return notDynamoDb(ctx.endpoint, httpStatus(error), error);
  const code = connectionCode(error);
  if (code !== undefined || name === 'TimeoutError') {
    const target = ctx.endpoint ?? `the DynamoDB endpoint of region ${ctx.region}`;
    return new UserError(`cannot reach DynamoDB at ${target} (${code ?? name})`, {
      hint:
        ctx.endpoint === undefined
          ? 'Check the network (proxy, VPC endpoint) and the region; AWS_ENDPOINT_URL_DYNAMODB overrides the endpoint.'
          : 'Check the endpoint URL and that the local DynamoDB (e.g. dynalite) is running and listening there.',
      code: 'DYNAMODB_UNREACHABLE',
      cause: error,
    });
  }
  return error;
}

function notDynamoDb(endpoint: string | undefined, status: number | undefined, cause?: unknown): UserError {
  const where = endpoint ?? 'the DynamoDB endpoint';
  return new UserError(
    `${where} does not answer like DynamoDB${status === undefined ? '' : ` (HTTP ${status}, not a DynamoDB response)`}`,
    {
      code: 'DYNAMODB_ENDPOINT',
      hint: 'Point --dynamodb-endpoint (or AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL) at DynamoDB or a local stand-in such as dynalite, or leave it out to use AWS.',
      cause,
    },
  );
}

function outOfCapacity(table: string, keys: number): UserError {
  return new UserError(
    `DynamoDB left ${keys} keys of table ${table} unprocessed ${MAX_ROUNDS_WITHOUT_PROGRESS} times in a row`,
    {
      hint: 'The table is out of read capacity: raise its RCU (or switch it to on-demand), or sample fewer events.',
      code: 'DYNAMODB_UNPROCESSED_KEYS',
    },
  );
}

function keySchemaOk(table: TableDescription): boolean {
  const keys = table.KeySchema ?? [];
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const has = (attr: string, keyType: 'HASH' | 'RANGE'): boolean =>
    keys.some((k) => k.AttributeName === attr && k.KeyType === keyType) && types.get(attr) === 'S';
  return keys.length === 2 && has(ATTR_EVENT_ID, 'HASH') && has(ATTR_FINGERPRINT, 'RANGE');
}

/** DynamoDB reports "no maximum" as -1 (or leaves the field out). */
function onDemandMax(table: TableDescription): number | undefined {
  const max = table.OnDemandThroughput?.MaxWriteRequestUnits;
  return max !== undefined && max > 0 ? max : undefined;
}

function missingTable(): MissingManifestTable {
  return {
    exists: false,
    keySchemaOk: false,
    billingMode: undefined,
    provisionedWcu: undefined,
    onDemandMaxWriteRequestUnits: undefined,
    itemCount: undefined,
    ttl: 'UNKNOWN',
    ttlAttribute: undefined,
    status: undefined,
  };
}

function fromAttributes(item: Record<string, AttributeValue>): StoredManifestItem {
  const num = (v: AttributeValue | undefined): number | undefined =>
    v?.N === undefined ? undefined : Number(v.N);
  return {
    eventId: item[ATTR_EVENT_ID]?.S ?? '',
    fingerprint: item[ATTR_FINGERPRINT]?.S ?? '',
    etlTime: num(item[ATTR_ETL_TIME]),
    ttl: num(item[ATTR_TTL]),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
