import {
  DescribeImportCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ImportConflictException,
  ImportNotFoundException,
  ImportTableCommand,
  LimitExceededException,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbImportClient } from '../../../src/aws/dynamodb-import.js';
import { MANIFEST_KEYS } from '../../../src/aws/dynamodb.js';
import { UserError } from '../../../src/domain/errors.js';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());

const ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/manifest/import/01234567890123-abcdef01';
const client = () =>
  createDynamoDbImportClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
  });
const meta = { $metadata: { httpStatusCode: 400 } };

async function userError(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

const START = {
  table: 'manifest',
  bucket: 'acme-ops',
  keyPrefix: 'populator/runs/r1/import/',
  billing: { mode: 'on-demand' },
  clientToken: 'populator-0123',
} as const;

describe('startImport', () => {
  it('asks for a new manifest table from the gzip DYNAMODB_JSON objects under the prefix, with the client token', async () => {
    ddb.on(ImportTableCommand).resolves({
      ImportTableDescription: { ImportArn: ARN, ImportStatus: 'IN_PROGRESS', TableArn: 'arn:table' },
    });
    const view = await client().startImport(START);
    expect(view).toMatchObject({
      importArn: ARN,
      status: 'IN_PROGRESS',
      final: false,
      tableArn: 'arn:table',
    });
    const input = ddb.commandCalls(ImportTableCommand)[0]?.args[0].input;
    expect(input).toEqual({
      ClientToken: 'populator-0123',
      S3BucketSource: { S3Bucket: 'acme-ops', S3KeyPrefix: 'populator/runs/r1/import/' },
      InputFormat: 'DYNAMODB_JSON',
      InputCompressionType: 'GZIP',
      TableCreationParameters: { TableName: 'manifest', ...MANIFEST_KEYS, BillingMode: 'PAY_PER_REQUEST' },
    });
    expect(input?.TableCreationParameters?.KeySchema).toEqual([
      { AttributeName: 'eventId', KeyType: 'HASH' },
      { AttributeName: 'fingerprint', KeyType: 'RANGE' },
    ]);
  });

  it('creates a provisioned table with the capacity given', async () => {
    ddb
      .on(ImportTableCommand)
      .resolves({ ImportTableDescription: { ImportArn: ARN, ImportStatus: 'IN_PROGRESS' } });
    await client().startImport({
      ...START,
      billing: { mode: 'provisioned', readCapacity: 5, writeCapacity: 7 },
    });
    expect(ddb.commandCalls(ImportTableCommand)[0]?.args[0].input.TableCreationParameters).toMatchObject({
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 7 },
    });
  });

  it.each([
    [
      new ResourceInUseException({ message: 'Table already exists: manifest', ...meta }),
      'TABLE_EXISTS',
      /already exists.*only creates new tables/,
    ],
    [
      new ImportConflictException({ message: 'token reused', ...meta }),
      'IMPORT_CONFLICT',
      /refused the import into manifest: token reused/,
    ],
    [
      new LimitExceededException({ message: 'Too many imports', ...meta }),
      'IMPORT_LIMIT_EXCEEDED',
      /Too many imports/,
    ],
    [
      new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'bad prefix',
        ...meta,
      }),
      'IMPORT_INVALID',
      /ImportTable on manifest: bad prefix/,
    ],
    [
      new DynamoDBServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'no',
        ...meta,
      }),
      'AWS_CREDENTIALS',
      /ImportTable on table manifest was refused/,
    ],
  ])('maps %s to a user error', async (error, code, message) => {
    ddb.on(ImportTableCommand).rejects(error);
    const e = await userError(client().startImport(START));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.hint).not.toBe('');
    expect(e.cause).toBe(error);
  });
});

describe('describeImport', () => {
  it('gives a plain view of the import, counters, failure and times included', async () => {
    ddb.on(DescribeImportCommand).resolves({
      ImportTableDescription: {
        ImportArn: ARN,
        ImportStatus: 'FAILED',
        TableArn: 'arn:table',
        ProcessedSizeBytes: 1750,
        ProcessedItemCount: 10,
        ImportedItemCount: 9,
        ErrorCount: 1,
        CloudWatchLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:/aws-dynamodb/imports:*',
        FailureCode: 'ItemValidationError',
        FailureMessage: 'Some of the items failed validation checks',
        StartTime: new Date('2026-12-01T10:00:00Z'),
        EndTime: new Date('2026-12-01T10:07:00Z'),
      },
    });
    expect(await client().describeImport(ARN)).toEqual({
      importArn: ARN,
      status: 'FAILED',
      final: true,
      tableArn: 'arn:table',
      processedSizeBytes: 1750,
      processedItemCount: 10,
      importedItemCount: 9,
      errorCount: 1,
      cloudWatchLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:/aws-dynamodb/imports:*',
      failureCode: 'ItemValidationError',
      failureMessage: 'Some of the items failed validation checks',
      startTime: '2026-12-01T10:00:00.000Z',
      endTime: '2026-12-01T10:07:00.000Z',
    });
    expect(ddb.commandCalls(DescribeImportCommand)[0]?.args[0].input).toEqual({ ImportArn: ARN });
  });

  it('treats COMPLETED, CANCELLED and FAILED as final, anything else (a state added later too) as not', async () => {
    for (const [status, final] of [
      ['IN_PROGRESS', false],
      ['CANCELLING', false],
      ['SOMETHING_NEW', false],
      ['COMPLETED', true],
      ['CANCELLED', true],
      ['FAILED', true],
    ] as const) {
      ddb.on(DescribeImportCommand).resolves({
        // A state the SDK's types do not know yet.
        ImportTableDescription: { ImportArn: ARN, ImportStatus: status as 'FAILED' },
      });
      const v = await client().describeImport(ARN);
      expect([v.status, v.final]).toEqual([status, final]);
      expect([v.processedSizeBytes, v.importedItemCount, v.failureCode, v.startTime]).toEqual([
        0,
        0,
        null,
        null,
      ]);
    }
  });

  it('says clearly when DynamoDB knows no such import', async () => {
    ddb
      .on(DescribeImportCommand)
      .rejects(new ImportNotFoundException({ message: 'Import not found', ...meta }));
    const e = await userError(client().describeImport(ARN));
    expect(e.code).toBe('IMPORT_NOT_FOUND');
    expect(e.message).toBe(`DynamoDB knows no import ${ARN} in region us-east-1`);
  });

  it('refuses an answer without an import description (not DynamoDB)', async () => {
    ddb.on(DescribeImportCommand).resolves({});
    expect((await userError(client().describeImport(ARN))).code).toBe('DYNAMODB_ENDPOINT');
  });
});

describe('enableTtl', () => {
  it('switches TTL on for ttl when it is off', async () => {
    ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    ddb.on(UpdateTimeToLiveCommand).resolves({});
    expect(await client().enableTtl('manifest')).toBe('ENABLED');
    expect(ddb.commandCalls(UpdateTimeToLiveCommand)[0]?.args[0].input).toEqual({
      TableName: 'manifest',
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
    });
  });

  it('does nothing when TTL is already on (or being switched on) for ttl', async () => {
    for (const status of ['ENABLED', 'ENABLING'] as const) {
      ddb.on(DescribeTimeToLiveCommand).resolves({
        TimeToLiveDescription: { TimeToLiveStatus: status, AttributeName: 'ttl' },
      });
      expect(await client().enableTtl('manifest')).toBe('ALREADY_ENABLED');
    }
    expect(ddb.commandCalls(UpdateTimeToLiveCommand)).toHaveLength(0);
  });

  it('takes "already enabled" from a concurrent switch as done', async () => {
    ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    ddb.on(UpdateTimeToLiveCommand).rejects(
      new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'TimeToLive is already enabled',
        ...meta,
      }),
    );
    expect(await client().enableTtl('manifest')).toBe('ALREADY_ENABLED');
  });

  it('refuses a table whose TTL is on another attribute, and maps a missing table', async () => {
    ddb.on(DescribeTimeToLiveCommand).resolves({
      TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' },
    });
    const e = await userError(client().enableTtl('manifest'));
    expect(e.code).toBe('TTL_OTHER_ATTRIBUTE');
    expect(e.message).toContain('expiresAt');

    ddb.reset();
    ddb.on(DescribeTimeToLiveCommand).rejects(
      new DynamoDBServiceException({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        message: 'nope',
        ...meta,
      }),
    );
    expect((await userError(client().enableTtl('manifest'))).code).toBe('TABLE_NOT_FOUND');
  });
});
