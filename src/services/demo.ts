/**
 * `populator demo`: the whole back-fill offline. Writes a realistic archive, starts dynalite on a
 * free port, creates the manifest table, runs the real job through the same service as `submit`,
 * then checks the table against what DESIGN 3.2 prescribes for that archive. On local Spark; the
 * repository's `npm run demo:emr` passes another submit (test/support/demo-emr.ts: moto's S3 and the
 * EMR Serverless emulator), which is no part of the package.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DateTime } from 'luxon';
import { createDynamoDbClient } from '../aws/dynamodb.js';
import { DEFAULT_TTL_SECONDS, type EtlTimeMode } from '../domain/contract.js';
import { compareKeys, expectedManifest, type ManifestCounters } from '../domain/enriched.js';
import type { JobProgress } from '../domain/job-report.js';
import { writeDemoArchive } from './demo-archive.js';
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

export interface DemoOptions {
  /** The submit; `submit --runner local` by default. */
  submitJob?: DemoSubmit;
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

  o.log('Starting an embedded DynamoDB (dynalite) on 127.0.0.1');
  const dynalite = await startDynalite({ createTableMs: 0 });
  try {
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

    const dynamo = createDynamoDbClient({
      region: DEMO_REGION,
      endpoint: dynalite.endpoint,
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
    });
    try {
      await dynamo.createManifestTable(DEMO_TABLE, { billingMode: 'PAY_PER_REQUEST' });
      o.log(`Created table ${DEMO_TABLE} at ${dynalite.endpoint}`);

      const common: SubmitOptions = {
        archive: archiveDir,
        storageConfigPath: storageConfig,
        resolverPath: resolver,
        etlTime: o.etlTime,
        writeRate: o.writeRate,
        ttlSeconds: DEFAULT_TTL_SECONDS,
        writeExpired: false,
        dynamodbEndpoint: dynalite.endpoint,
        staging: path.join(dir, 'report'),
        master: o.master,
        driverMemory: o.driverMemory,
        projectRoot: o.projectRoot,
        cacheDir: o.cacheDir,
        cwd: dir,
        env: o.env,
        now: o.now,
        log: o.log,
        onProgress: o.onProgress,
        onPlan: (plan) =>
          o.log(
            `Plan: ${plan.runs.selected} runs, ${plan.objects} objects, about ${plan.events.estimated} events, at most ${plan.writes} writes`,
          ),
        signal: o.signal,
      };
      const submitted = o.submitJob
        ? await o.submitJob(common, { archiveDir, dynamoEndpoint: dynalite.endpoint, o })
        : await submit({ ...common, runner: 'local' });
      if (submitted.status !== 'SUCCEEDED') throw new Error(`the demo's run ended ${submitted.status}`);
      const submitResult: SubmitResult = submitted;

      const expected = expectedManifest(archive.runs, {
        etlTime: o.etlTime,
        ttlSeconds: DEFAULT_TTL_SECONDS,
        skipExpired: submitResult.skipExpired,
        nowSeconds: Math.floor(o.now.toSeconds()),
      });
      const items = (await dynamo.scanItems(DEMO_TABLE)).sort(compareKeys);
      const mismatches: string[] = [];
      if (items.length !== expected.items.length) {
        mismatches.push(
          `the table holds ${items.length} items, the archive prescribes ${expected.items.length}`,
        );
      }
      // The table is new, so nothing is present before the run; but a put whose answer was lost
      // (a timeout on a loaded machine) is retried and then finds its own item: it counts as
      // already present, at most once per retry. Everything else must be exactly as prescribed.
      const got = submitResult.summary.counters;
      for (const [name, want] of Object.entries(expected.counters)) {
        if (name === 'written' || name === 'alreadyPresent') continue;
        const value = got[name as keyof ManifestCounters];
        if (value !== want) mismatches.push(`counter ${name} is ${value}, the archive prescribes ${want}`);
      }
      if (got.written + got.alreadyPresent !== expected.counters.written) {
        mismatches.push(
          `written + already present is ${got.written + got.alreadyPresent}, the archive prescribes ${expected.counters.written}`,
        );
      }
      if (got.alreadyPresent > submitResult.summary.otherRetries + submitResult.summary.throttledRetries) {
        mismatches.push(
          `${got.alreadyPresent} items were already present in a new table, more than the job's ${submitResult.summary.otherRetries} retries explain`,
        );
      }
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
      o.log(`Verifying ${DEMO_TABLE} against a random sample of the archive`);
      const verify = await verifyManifest({
        archive: archiveDir,
        storageConfigPath: storageConfig,
        knownRun: { name: submitResult.runName, summary: submitResult.summary },
        etlTime: o.etlTime,
        seed: o.seed,
        consistentRead: false,
        dynamodbEndpoint: dynalite.endpoint,
        bundledSchemasDir: path.join(o.projectRoot, 'schemas', 'iglu'),
        cwd: dir,
        env: o.env,
        now: o.now,
        log: o.log,
        onProgress: o.onVerifyProgress,
        signal: o.signal,
      });
      const result: DemoResult = {
        runner: submitResult.runner,
        dir: o.keep ? dir : null,
        archive: {
          runs: archive.runs.length,
          files: archive.files.filter((f) => f.role === 'data').length,
          lines: archive.lineCount,
          bytes: archive.bytes,
        },
        table: DEMO_TABLE,
        submit: submitResult,
        tableItemCount: items.length,
        expected: expected.counters,
        tableMatchesArchive: mismatches.length === 0,
        mismatches,
        verify,
      };
      return result;
    } finally {
      dynamo.destroy();
    }
  } finally {
    await dynalite.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
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
