/** Test fixture: a dynalite on a free port plus a generated archive, torn down after the suite. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDynamoDbClient, type DynamoDbClient } from '../../src/aws/dynamodb.js';
import { startDynalite, type DynaliteHandle } from '../../src/services/dynalite.js';

export const TEST_REGION = 'us-east-1';
export const TEST_KEYS = { accessKeyId: 'AKIDTESTTEST', secretAccessKey: 'test-secret-never-printed-1234' };

export interface LocalStack {
  dir: string;
  dynalite: DynaliteHandle;
  dynamo: DynamoDbClient;
  /** Writes a 2-0-0 storage config for `table` with the test keys and returns its path. */
  storageConfig(table: string): string;
  /** A resolver with an embedded repository holding the storage config schemas. */
  resolver: string;
  stop(): Promise<void>;
}

export async function startLocalStack(): Promise<LocalStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-test-'));
  const dynalite = await startDynalite({ createTableMs: 0 });
  const dynamo = createDynamoDbClient({
    region: TEST_REGION,
    endpoint: dynalite.endpoint,
    credentials: TEST_KEYS,
  });
  const resolver = path.join(dir, 'resolver.json');
  writeFileSync(
    resolver,
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1',
      data: {
        cacheSize: 500,
        repositories: [
          {
            name: 'fixtures',
            priority: 0,
            vendorPrefixes: ['com.snowplowanalytics'],
            connection: { embedded: { path: path.resolve('test/fixtures/configs/embedded-repo') } },
          },
        ],
      },
    }),
  );
  return {
    dir,
    dynalite,
    dynamo,
    resolver,
    storageConfig(table: string): string {
      const file = path.join(dir, `${table}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          schema: 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
          data: {
            name: 'test manifest',
            auth: TEST_KEYS,
            awsRegion: TEST_REGION,
            dynamodbTable: table,
            id: '6f2c1a1e-1b1a-4b1e-9d3b-2a7d4c1e0f00',
            purpose: 'EVENTS_MANIFEST',
          },
        }),
      );
      return file;
    },
    async stop(): Promise<void> {
      dynamo.destroy();
      await dynalite.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
