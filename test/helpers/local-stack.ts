/** Test fixture: a dynalite on a free port plus a generated archive, torn down after the suite. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDynamoDbClient, type DynamoDbClient } from '../../src/aws/dynamodb.js';
import type { DateTime } from 'luxon';
import { DEFAULT_TTL_SECONDS } from '../../src/domain/contract.js';
import { startDynalite, type DynaliteHandle } from '../../src/services/dynalite.js';
import type { SubmitOptions } from '../../src/services/submit.js';

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
  /**
   * Options for `submitLocal` against this stack: run mode, 2000 WCU/s, local[2,4], quiet; the
   * caller's environment without endpoint variables. `overrides` win.
   */
  submitOptions(
    o: { archive: string; table: string; staging: string; now: DateTime },
    overrides?: Partial<SubmitOptions>,
  ): SubmitOptions;
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
  const storageConfig = (table: string): string => {
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
  };
  return {
    dir,
    dynalite,
    dynamo,
    resolver,
    submitOptions(o, overrides = {}) {
      return {
        archive: o.archive,
        storageConfigPath: storageConfig(o.table),
        resolverPath: resolver,
        etlTime: 'run',
        ttlSeconds: DEFAULT_TTL_SECONDS,
        writeExpired: false,
        writeRate: 2000,
        dynamodbEndpoint: dynalite.endpoint,
        staging: path.isAbsolute(o.staging) ? o.staging : path.join(dir, o.staging),
        master: 'local[2,4]',
        driverMemory: '1g',
        projectRoot: path.resolve('.'),
        cacheDir: path.join(process.env.HOME ?? '/tmp', '.cache', 'populator'),
        cwd: dir,
        env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: undefined, AWS_ENDPOINT_URL: undefined },
        now: o.now,
        log: () => {},
        onProgress: () => {},
        ...overrides,
      };
    },
    storageConfig,
    async stop(): Promise<void> {
      dynamo.destroy();
      await dynalite.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bad row as the job writes it (JSON lines under bad-rows/). */
export interface BadRowDoc {
  line: string | null;
  reason: string;
  sourceFile: string;
  error?: string;
  linesRead?: number;
}

/** Every bad row the job wrote to `dir`. */
export function readBadRows(dir: string): BadRowDoc[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && !f.startsWith('_'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BadRowDoc);
}
