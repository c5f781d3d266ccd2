/**
 * `populator demo`: the whole back-fill offline. Writes a realistic archive, starts dynalite on a
 * free port, creates the manifest table, runs the real job through the same service as `submit`,
 * then checks the table against what DESIGN 3.2 prescribes for that archive. On local Spark; the
 * repository's `npm run demo:emr` passes another submit (test/support/demo-emr.ts: moto's S3 and the
 * EMR Serverless emulator), and `npm run demo:import` another DynamoDB stand-in too (moto's server,
 * where `submit --import` creates the table: test/support/demo-import.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DateTime } from 'luxon';
import type { ImportView } from '../aws/dynamodb-import.js';
import { createDynamoDbClient, type DynamoDbClient, type StoredManifestItem } from '../aws/dynamodb.js';
import { DEFAULT_TTL_SECONDS, type EtlTimeMode } from '../domain/contract.js';
import {
  compareKeys,
  expectedManifest,
  type ExpectedManifest,
  type ManifestCounters,
} from '../domain/enriched.js';
import type { JobProgress, JobSummary } from '../domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from './demo-archive.js';
import { startDynalite } from './dynalite.js';
import type { RunnerName } from '../domain/run-record.js';
import { submit, type SubmitOptions, type SubmitResult } from './submit.js';
import { verifyManifest, type VerifyProgress, type VerifyResult } from './verify.js';

/**
 * How the demo's submit runs, given the options of a local submit against the demo's table: local
 * Spark unless told otherwise (`npm run demo:emr` passes the EMR Serverless emulator's).
 */
export type DemoSubmit = (
  common: SubmitOptions,
  x: { archiveDir: string; dynamoEndpoint: string; o: DemoOptions },
) => Promise<SubmitResult>;

/** The DynamoDB stand-in the demo's table lives in, started for one demo and stopped after it. */
export interface DemoDynamo {
  /** `http://127.0.0.1:<port>`: the submit, the table check and verify all use it. */
  endpoint: string;
  /** The demo creates the manifest table before the submit; false when the submit does (`--import`). */
  createTable: boolean;
  stop(): Promise<void>;
}

/**
 * Starts the demo's DynamoDB stand-in: dynalite, the table created by the demo, unless told
 * otherwise (`npm run demo:import` passes moto's server, where `submit --import` creates it).
 */
export type StartDemoDynamo = (o: DemoOptions) => Promise<DemoDynamo>;

export interface DemoOptions {
  /** The submit; `submit --runner local` by default. */
  submitJob?: DemoSubmit;
  /** The DynamoDB stand-in; dynalite, with the table created by the demo, by default. */
  startDynamo?: StartDemoDynamo;
  events: number;
  seed: number;
  etlTime: EtlTimeMode;
  /** Keep the archive and the report (they are deleted otherwise). */
  keep: boolean;
  /** Work folder; a new temporary one by default. */
  dir?: string;
  writeRate?: number;
  master: string;
  /** Heap of the local Spark JVM; default `DEFAULT_LOCAL_DRIVER_MEMORY`. */
  driverMemory?: string;
  projectRoot: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  now: DateTime;
  log: (line: string) => void;
  onProgress: (p: JobProgress) => void;
  onUpload?: (sent: number, total: number) => void;
  onVerifyProgress?: (p: VerifyProgress) => void;
  /** Each look at the import, when the submit creates the table by `--import`. */
  onImport?: (view: ImportView) => void;
  signal?: AbortSignal;
}

export interface DemoResult {
  runner: RunnerName;
  dir: string | null;
  archive: { runs: number; files: number; lines: number; bytes: number };
  table: string;
  submit: SubmitResult;
  tableItemCount: number;
  expected: ManifestCounters;
  /** Every item of the table equals the one the archive prescribes, and nothing else is there. */
  tableMatchesArchive: boolean;
  mismatches: string[];
  /** `populator verify` on the table the demo filled (the default sample, the demo's seed). */
  verify: VerifyResult;
}

export const DEMO_TABLE = 'populator-demo-manifest';
export const DEMO_REGION = 'us-east-1';
/** The stand-ins take any keys; these sign the demo's requests (and are the emulated role's). */
export const DEMO_KEYS = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };

/** Runs the demo end to end and stops everything it started, whatever happens. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const dir = o.dir ? path.resolve(o.dir) : mkdtempSync(path.join(os.tmpdir(), 'populator-demo-'));
  mkdirSync(dir, { recursive: true });
  const archiveDir = path.join(dir, 'archive');
  // Runs of the last few days, so that none is past its 180-day TTL.
  const firstRun = o.now.toUTC().minus({ days: 3 }).startOf('hour');
  o.log(`Writing a demo archive of ${o.events} events to ${archiveDir}`);
  const archive = await writeDemoArchive({ dir: archiveDir, seed: o.seed, events: o.events, firstRun });

  const stand = await (o.startDynamo ?? startDemoDynalite)(o);
  try {
    const where: DemoPlace = { dir, archiveDir, dynamoEndpoint: stand.endpoint, ...writeConfigs(dir) };
    return await demoOnTable(o, archive, where, stand.createTable);
  } finally {
    await stand.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The default stand-in: dynalite on a free port, the table created by the demo. */
async function startDemoDynalite(o: DemoOptions): Promise<DemoDynamo> {
  o.log('Starting an embedded DynamoDB (dynalite) on 127.0.0.1');
  const dynalite = await startDynalite({ createTableMs: 0 });
  return { endpoint: dynalite.endpoint, createTable: true, stop: () => dynalite.stop() };
}

/** Creates the table (unless the submit does), submits, checks the table, runs verify. */
async function demoOnTable(
  o: DemoOptions,
  archive: DemoArchiveManifest,
  where: DemoPlace,
  createTable: boolean,
): Promise<DemoResult> {
  const dynamo = createDynamoDbClient({
    region: DEMO_REGION,
    endpoint: where.dynamoEndpoint,
    credentials: DEMO_KEYS,
  });
  try {
    if (createTable) {
      await dynamo.createManifestTable(DEMO_TABLE, { billingMode: 'PAY_PER_REQUEST' });
      o.log(`Created table ${DEMO_TABLE} at ${where.dynamoEndpoint}`);
    }
    const submitResult = await submitDemo(o, where);
    const table = await checkTable(o, archive, submitResult, dynamo);
    const verify = await verifyDemo(o, where, submitResult);
    return {
      runner: submitResult.runner,
      dir: o.keep ? where.dir : null,
      archive: {
        runs: archive.runs.length,
        files: archive.files.filter((f) => f.role === 'data').length,
        lines: archive.lineCount,
        bytes: archive.bytes,
      },
      table: DEMO_TABLE,
      submit: submitResult,
      tableItemCount: table.itemCount,
      expected: table.expected,
      tableMatchesArchive: table.mismatches.length === 0,
      mismatches: table.mismatches,
      verify,
    };
  } finally {
    dynamo.destroy();
  }
}

/** Where the demo's pieces are: its folder, the archive, the configs and the table's endpoint. */
interface DemoPlace {
  dir: string;
  archiveDir: string;
  dynamoEndpoint: string;
  storageConfig: string;
  resolver: string;
}

/** Writes the storage config and the resolver into `dir`. */
function writeConfigs(dir: string): { storageConfig: string; resolver: string } {
  // Static dummy keys: dynalite accepts any, and they exercise the storage config's key path.
  const storageConfig = path.join(dir, 'dynamodb.json');
  writeFileSync(
    storageConfig,
    JSON.stringify(
      {
        schema: 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
        data: {
          name: 'demo events manifest',
          auth: DEMO_KEYS,
          awsRegion: DEMO_REGION,
          dynamodbTable: DEMO_TABLE,
          id: '8a8ba8a5-6f4c-4b06-8a0f-3b2a1e1f6d11',
          purpose: 'EVENTS_MANIFEST',
        },
      },
      null,
      2,
    ),
  );
  const resolver = path.join(dir, 'resolver.json');
  writeFileSync(resolver, JSON.stringify(DEMO_RESOLVER, null, 2));
  return { storageConfig, resolver };
}

/** Back-fills the demo's table with the real job (local unless `o.submitJob` says otherwise); it must succeed. */
async function submitDemo(o: DemoOptions, where: DemoPlace): Promise<SubmitResult> {
  const common: SubmitOptions = {
    archive: where.archiveDir,
    storageConfigPath: where.storageConfig,
    resolverPath: where.resolver,
    etlTime: o.etlTime,
    writeRate: o.writeRate,
    ttlSeconds: DEFAULT_TTL_SECONDS,
    writeExpired: false,
    dynamodbEndpoint: where.dynamoEndpoint,
    staging: path.join(where.dir, 'report'),
    master: o.master,
    driverMemory: o.driverMemory,
    projectRoot: o.projectRoot,
    cacheDir: o.cacheDir,
    cwd: where.dir,
    env: o.env,
    now: o.now,
    log: o.log,
    onProgress: o.onProgress,
    onPlan: (plan) =>
      o.log(
        `Plan: ${plan.runs.selected} runs, ${plan.objects} objects, about ${plan.events.estimated} events, ` +
          (plan.import ? `at most ${plan.import.items} items to import` : `at most ${plan.writes} writes`),
      ),
    onImport: o.onImport,
    signal: o.signal,
  };
  const submitted = o.submitJob
    ? await o.submitJob(common, { archiveDir: where.archiveDir, dynamoEndpoint: where.dynamoEndpoint, o })
    : await submit({ ...common, runner: 'local' });
  if (submitted.status !== 'SUCCEEDED') throw new Error(`the demo's run ended ${submitted.status}`);
  return submitted;
}

/** The table and the job's counters, against what the archive prescribes. */
async function checkTable(
  o: DemoOptions,
  archive: DemoArchiveManifest,
  submitResult: SubmitResult,
  dynamo: DynamoDbClient,
): Promise<{ itemCount: number; expected: ManifestCounters; mismatches: string[] }> {
  const expected = expectedManifest(archive.runs, {
    etlTime: o.etlTime,
    ttlSeconds: DEFAULT_TTL_SECONDS,
    skipExpired: submitResult.skipExpired,
    nowSeconds: Math.floor(o.now.toSeconds()),
  });
  const items = (await dynamo.scanItems(DEMO_TABLE)).sort(compareKeys);
  const mismatches: string[] = [];
  if (items.length !== expected.items.length) {
    mismatches.push(`the table holds ${items.length} items, the archive prescribes ${expected.items.length}`);
  }
  counterMismatches(expected.counters, submitResult.summary, mismatches);
  itemMismatches(items, expected, mismatches);
  return { itemCount: items.length, expected: expected.counters, mismatches };
}

function counterMismatches(expected: ManifestCounters, summary: JobSummary, mismatches: string[]): void {
  // The table is new, so nothing is present before the run; but a put whose answer was lost
  // (a timeout on a loaded machine) is retried and then finds its own item: it counts as
  // already present, at most once per retry. Everything else must be exactly as prescribed.
  const got = summary.counters;
  for (const [name, want] of Object.entries(expected)) {
    if (name === 'written' || name === 'alreadyPresent') continue;
    const value = got[name as keyof ManifestCounters];
    if (value !== want) mismatches.push(`counter ${name} is ${value}, the archive prescribes ${want}`);
  }
  if (got.written + got.alreadyPresent !== expected.written) {
    mismatches.push(
      `written + already present is ${got.written + got.alreadyPresent}, the archive prescribes ${expected.written}`,
    );
  }
  if (got.alreadyPresent > summary.otherRetries + summary.throttledRetries) {
    mismatches.push(
      `${got.alreadyPresent} items were already present in a new table, more than the job's ${summary.otherRetries} retries explain`,
    );
  }
}

/** Items the archive does not prescribe, or with another etlTime or ttl (until ten mismatches in all). */
function itemMismatches(
  items: readonly StoredManifestItem[],
  expected: ExpectedManifest,
  mismatches: string[],
): void {
  const byKey = new Map(expected.items.map((i) => [`${i.eventId}/${i.fingerprint}`, i]));
  for (const item of items) {
    const want = byKey.get(`${item.eventId}/${item.fingerprint}`);
    if (!want) mismatches.push(`unexpected item ${item.eventId}/${item.fingerprint}`);
    else if (want.etlTime !== item.etlTime || want.ttl !== item.ttl) {
      mismatches.push(
        `${item.eventId}/${item.fingerprint}: etlTime ${item.etlTime} ttl ${item.ttl}, expected ${want.etlTime} / ${want.ttl}`,
      );
    }
    if (mismatches.length >= 10) break;
  }
}

/** `populator verify` on the table the demo filled (the default sample, the demo's seed). */
async function verifyDemo(
  o: DemoOptions,
  where: DemoPlace,
  submitResult: SubmitResult,
): Promise<VerifyResult> {
  o.log(`Verifying ${DEMO_TABLE} against a random sample of the archive`);
  return verifyManifest({
    archive: where.archiveDir,
    storageConfigPath: where.storageConfig,
    knownRun: { name: submitResult.runName, summary: submitResult.summary },
    etlTime: o.etlTime,
    seed: o.seed,
    consistentRead: false,
    dynamodbEndpoint: where.dynamoEndpoint,
    bundledSchemasDir: path.join(o.projectRoot, 'schemas', 'iglu'),
    cwd: where.dir,
    env: o.env,
    now: o.now,
    log: o.log,
    onProgress: o.onVerifyProgress,
    signal: o.signal,
  });
}

/** The demo's resolver: Iglu Central, as most pipelines have it (offline, the bundled copies answer). */
const DEMO_RESOLVER = {
  schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3',
  data: {
    cacheSize: 500,
    cacheTtl: 600,
    repositories: [
      {
        name: 'Iglu Central',
        priority: 0,
        vendorPrefixes: ['com.snowplowanalytics'],
        connection: { http: { uri: 'http://iglucentral.com' } },
      },
    ],
  },
};
