/**
 * DynamoDB's import from S3 (ImportTable, DescribeImport) and the TTL switch an imported table
 * needs afterwards (ImportTable cannot set TTL), behind one narrow interface built by one factory.
 * The SDK client is the one the manifest adapter builds (`newDynamoDbSdkClient`); SDK errors a user
 * can fix become `UserError`s here, the common ones through `mapDynamoDbError`.
 */
import {
  DescribeImportCommand,
  DescribeTimeToLiveCommand,
  ImportTableCommand,
  UpdateTimeToLiveCommand,
  type ImportTableDescription,
} from '@aws-sdk/client-dynamodb';

import { ATTR_TTL } from '../domain/contract.js';
import { UserError } from '../domain/errors.js';
import type { ImportBilling } from '../domain/import-plan.js';
import {
  MANIFEST_KEYS,
  mapDynamoDbError,
  newDynamoDbSdkClient,
  type DynamoDbClientOptions,
} from './dynamodb.js';
import { errorName } from './sdk-errors.js';

/** DescribeImport's states; a state added later is passed through as it comes, and is not final. */
export const IMPORT_STATUSES = ['IN_PROGRESS', 'COMPLETED', 'CANCELLING', 'CANCELLED', 'FAILED'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
/** The states an import never leaves. */
export const FINAL_IMPORT_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

/** One look at an import, as plain data. Counters stay 0 on AWS until the import ends. */
export interface ImportView {
  importArn: string;
  /** One of IMPORT_STATUSES, or a state added later. */
  status: string;
  /** COMPLETED, CANCELLED or FAILED. */
  final: boolean;
  tableArn: string | null;
  /** Uncompressed bytes read (moto counts something else: see the integration test). */
  processedSizeBytes: number;
  processedItemCount: number;
  importedItemCount: number;
  errorCount: number;
  /** Where DynamoDB logs the import's item errors. */
  cloudWatchLogGroupArn: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  /** ISO-8601. */
  startTime: string | null;
  endTime: string | null;
}

/** What `startImport` creates the table from. */
export interface StartImportInput {
  /** The new table's name: ImportTable creates it, and refuses one that exists. */
  table: string;
  bucket: string;
  /** The folder of the gzip DYNAMODB_JSON objects, e.g. `populator/runs/<run>/import/`. */
  keyPrefix: string;
  billing: ImportBilling;
  /** From `importClientToken`: the same inputs give the same import back for 8 hours. */
  clientToken: string;
}

/** What `enableTtl` found and did. */
export type EnableTtlResult = 'ENABLED' | 'ALREADY_ENABLED';

/** The DynamoDB calls of an import. */
export interface DynamoDbImportClient {
  /** ImportTable: a new table with the manifest's key schema from the gzip DYNAMODB_JSON objects under the prefix. */
  startImport(input: StartImportInput): Promise<ImportView>;
  /** DescribeImport. An unknown ARN is a `UserError` with code IMPORT_NOT_FOUND. */
  describeImport(importArn: string): Promise<ImportView>;
  /**
   * Switches TTL on for the manifest's `ttl` attribute; nothing to do when it is already on for it.
   * A table with TTL on another attribute is a `UserError` (TTL_OTHER_ATTRIBUTE).
   */
  enableTtl(table: string): Promise<EnableTtlResult>;
  /** Closes the connections. */
  destroy(): void;
}

/** Builds the import adapter. Each call makes its own SDK client: nothing is cached at module level. */
export function createDynamoDbImportClient(opts: DynamoDbClientOptions): DynamoDbImportClient {
  const sdk = newDynamoDbSdkClient(opts);
  const call = async <T>(operation: string, target: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw mapImportError(error, { operation, target, region: opts.region, endpoint: opts.endpoint });
    }
  };

  return {
    async startImport(input) {
      const out = await call('ImportTable', input.table, () =>
        sdk.send(
          new ImportTableCommand({
            ClientToken: input.clientToken,
            S3BucketSource: { S3Bucket: input.bucket, S3KeyPrefix: input.keyPrefix },
            InputFormat: 'DYNAMODB_JSON',
            InputCompressionType: 'GZIP',
            TableCreationParameters: {
              TableName: input.table,
              ...MANIFEST_KEYS,
              ...(input.billing.mode === 'provisioned'
                ? {
                    BillingMode: 'PROVISIONED',
                    ProvisionedThroughput: {
                      ReadCapacityUnits: input.billing.readCapacity,
                      WriteCapacityUnits: input.billing.writeCapacity,
                    },
                  }
                : { BillingMode: 'PAY_PER_REQUEST' }),
            },
          }),
        ),
      );
      return importView(out.ImportTableDescription, opts.endpoint);
    },

    async describeImport(importArn) {
      const out = await call('DescribeImport', importArn, () =>
        sdk.send(new DescribeImportCommand({ ImportArn: importArn })),
      );
      return importView(out.ImportTableDescription, opts.endpoint);
    },

    async enableTtl(table) {
      const current = await call('DescribeTimeToLive', table, () =>
        sdk.send(new DescribeTimeToLiveCommand({ TableName: table })),
      );
      const status = current.TimeToLiveDescription?.TimeToLiveStatus;
      const attribute = current.TimeToLiveDescription?.AttributeName;
      if (status === 'ENABLED' || status === 'ENABLING') {
        if (attribute === ATTR_TTL) return 'ALREADY_ENABLED';
        throw ttlOnOtherAttribute(table, attribute);
      }
      try {
        await sdk.send(
          new UpdateTimeToLiveCommand({
            TableName: table,
            TimeToLiveSpecification: { Enabled: true, AttributeName: ATTR_TTL },
          }),
        );
      } catch (error) {
        // Switched on by someone else between the two calls: AWS says so with a ValidationException.
        const message = error instanceof Error ? error.message : '';
        if (errorName(error) === 'ValidationException' && /already enabled/i.test(message)) {
          return 'ALREADY_ENABLED';
        }
        throw mapImportError(error, {
          operation: 'UpdateTimeToLive',
          target: table,
          region: opts.region,
          endpoint: opts.endpoint,
        });
      }
      return 'ENABLED';
    },

    destroy() {
      sdk.destroy();
    },
  };
}

/** Where a failed call went: `target` is the table, or the import's ARN. */
export interface ImportErrorContext {
  operation: string;
  target: string;
  region: string;
  endpoint: string | undefined;
}

/**
 * Turns an SDK error of an import call a user can fix into a `UserError` with a hint (the common
 * ones, credentials and reachability, as `mapDynamoDbError` does); returns anything else unchanged.
 */
export function mapImportError(error: unknown, ctx: ImportErrorContext): unknown {
  if (error instanceof UserError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const where = `in region ${ctx.region}`;
  switch (name) {
    case 'ResourceInUseException':
      if (ctx.operation !== 'ImportTable') break;
      return new UserError(
        `DynamoDB table ${ctx.target} already exists ${where}: ImportTable only creates new tables`,
        {
          hint: 'Import into a table name that does not exist yet (the storage config names it), or fill the existing table with conditional writes (submit without --import).',
          code: 'TABLE_EXISTS',
          cause: error,
        },
      );
    case 'ImportConflictException':
      return new UserError(`DynamoDB refused the import into ${ctx.target}: ${message}`, {
        hint: 'An import with the same client token was started within the last 8 hours for another table, or the table is being created or imported into already. Wait for that import to end (DescribeImport, or the console), or change the inputs.',
        code: 'IMPORT_CONFLICT',
        cause: error,
      });
    case 'LimitExceededException':
      return new UserError(`DynamoDB refused ${ctx.operation} on ${ctx.target}: ${message}`, {
        hint: 'An account may run 50 imports at once, and a limited number of table operations: wait for running imports and table changes to finish, then try again.',
        code: 'IMPORT_LIMIT_EXCEEDED',
        cause: error,
      });
    case 'ImportNotFoundException':
      return importNotFound(ctx, error);
    case 'ValidationException':
      return new UserError(`DynamoDB refused ${ctx.operation} on ${ctx.target}: ${message}`, {
        hint:
          ctx.operation === 'DescribeImport'
            ? 'Check the import ARN: arn:aws:dynamodb:<region>:<account>:table/<table>/import/<id>.'
            : 'The request is not valid as DynamoDB reads it; the message says which part.',
        code: 'IMPORT_INVALID',
        cause: error,
      });
    default:
      break;
  }
  return mapDynamoDbError(error, {
    operation: ctx.operation,
    table: ctx.target,
    region: ctx.region,
    endpoint: ctx.endpoint,
  });
}

function importNotFound(ctx: ImportErrorContext, cause: unknown): UserError {
  return new UserError(`DynamoDB knows no import ${ctx.target} in region ${ctx.region}`, {
    hint: 'Check the import ARN and the region (and the profile: imports belong to one account); DynamoDB keeps an import for 90 days.',
    code: 'IMPORT_NOT_FOUND',
    cause,
  });
}

function ttlOnOtherAttribute(table: string, attribute: string | undefined): UserError {
  return new UserError(
    `TTL on DynamoDB table ${table} is on attribute ${attribute ?? '(unknown)'}, not on the manifest's ${ATTR_TTL}`,
    {
      hint: `A table has TTL on one attribute at most: switch it off (UpdateTimeToLive) and run again to have it on ${ATTR_TTL}, as the shredder expects.`,
      code: 'TTL_OTHER_ATTRIBUTE',
    },
  );
}

function importView(d: ImportTableDescription | undefined, endpoint: string | undefined): ImportView {
  // DynamoDB always describes the import it answers for: an empty answer is some other service's.
  if (d?.ImportArn === undefined || d.ImportStatus === undefined) {
    throw new UserError(`${endpoint ?? 'the DynamoDB endpoint'} answered without an import description`, {
      hint: 'Point AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL) at DynamoDB or a stand-in that implements ImportTable (moto), or leave it out to use AWS.',
      code: 'DYNAMODB_ENDPOINT',
    });
  }
  const status: string = d.ImportStatus;
  return {
    importArn: d.ImportArn,
    status,
    final: FINAL_IMPORT_STATUSES.has(status),
    tableArn: d.TableArn ?? null,
    processedSizeBytes: d.ProcessedSizeBytes ?? 0,
    processedItemCount: d.ProcessedItemCount ?? 0,
    importedItemCount: d.ImportedItemCount ?? 0,
    errorCount: d.ErrorCount ?? 0,
    cloudWatchLogGroupArn: d.CloudWatchLogGroupArn ?? null,
    failureCode: d.FailureCode ?? null,
    failureMessage: d.FailureMessage ?? null,
    startTime: d.StartTime?.toISOString() ?? null,
    endTime: d.EndTime?.toISOString() ?? null,
  };
}
