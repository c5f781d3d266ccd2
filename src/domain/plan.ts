/**
 * The plan `submit` prints before it spends anything (and all `--dry-run` does): what the selection
 * holds, how many events and manifest writes that means, how long the writes take at the write
 * rate, and what DynamoDB and EMR Serverless charge for it. Pure: the archive listing and the line
 * sample come in, figures go out.
 */
import { DateTime } from 'luxon';
import { emrCost, EMR_PRICES, MINIMUM_BILLED_SECONDS_PER_WORKER } from './emr.js';
import { formatRunId, parseRunId } from './run-id.js';
import { DYNAMODB_PRICES, onDemandWriteCost, provisionedWriteCost } from './dynamodb-prices.js';
import {
  buildImportPlan,
  IMPORT_BYTES_PER_ITEM,
  importCost,
  type ImportBilling,
  type ImportPlan,
} from './import-plan.js';

export {
  BYTES_PER_GB,
  DYNAMODB_PRICES,
  IMPORT_PRICE_PER_GB,
  onDemandWriteCost,
  provisionedWriteCost,
} from './dynamodb-prices.js';

/** One selected run folder, as listed (the files the job reads: no markers, no empty files). */
export interface RunInventory {
  runId: string;
  objects: number;
  bytes: number;
  /** Of those, gzip files (`.gz`, `.gzip`). */
  compressedObjects: number;
  compressedBytes: number;
}

/** What the first few hundred KB of a few objects say about the lines. */
export interface LineSample {
  objects: number;
  /** Complete lines read from plain files and their bytes. */
  plain: { bytes: number; lines: number };
  /** Complete lines read from gzip files and the compressed bytes they took. */
  compressed: { bytes: number; lines: number };
  /** The sampled lines classified as the job does. */
  valid: number;
  noFingerprint: number;
  bad: number;
}

/** The manifest table as the plan needs it. */
export interface PlanTable {
  name: string;
  region: string;
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  provisionedWcu: number | undefined;
  /** TTL is on, on the shredder's `ttl` attribute. */
  ttlEnabled: boolean;
  /** DynamoDB's approximate item count (refreshed about every six hours); undefined when unknown. */
  itemCount?: number;
}

/** Where the job runs and on how much. */
export type PlanCompute =
  | { runner: 'local'; cores: number }
  | {
      runner: 'emr-serverless';
      /** The driver plus the executors. */
      workers: number;
      /** vCPUs of the executors together: the read and write tasks that run at once. */
      executorCpu: number;
      /** Driver and executors together, as billed. */
      totalCpu: number;
      totalMemoryGb: number;
      /** Ephemeral storage beyond the free 20 GB per worker, over all workers. */
      billedStorageGb: number;
    };

export interface PlanInput {
  archive: string;
  /** Run folders in the archive before --since/--until. */
  runsInArchive: number;
  /** The selected runs, oldest first. */
  runs: readonly RunInventory[];
  sample: LineSample | null;
  table: PlanTable;
  /** WCU/s for the whole job. */
  writeRate: number;
  ttlSeconds: number;
  /** Items whose ttl is past are skipped (TTL on and no --write-expired). */
  skipExpired: boolean;
  /** The time expiry is judged against, epoch seconds. */
  nowSeconds: number;
  compute: PlanCompute;
  /**
   * A resume (`submit --resume`): the run resumed, and the keys its last progress showed settled
   * (their puts are not sent again); null when it wrote no progress.
   */
  resume?: { from: string; keysSettled: number | null };
  /** `--skip-present`: every key is looked up before it is written. */
  skipPresent?: boolean;
  /**
   * `--import`: the items go into files for DynamoDB's import (priced in `Plan.import`), not puts;
   * `writeRate` is then the rate the puts of the same items are priced at.
   */
  import?: { billing: ImportBilling };
  /** Which job runs: its Spark family and jar, and the EMR release it runs on. */
  job?: PlanJob;
}

/** The job a plan runs, as the plan names it. */
export interface PlanJob {
  /** "Spark 4.0 / Scala 2.13 (emr-spark-8.x)" */
  spark: string;
  /** Where the jar comes from: a file, an s3:// URI, or the build of spark/. */
  jar: string;
  /** EMR Serverless: the application's release label. */
  releaseLabel?: string;
}

export interface Plan {
  archive: string;
  job: PlanJob | null;
  runs: { selected: number; excluded: number; first: string | null; last: string | null };
  objects: number;
  bytes: number;
  compressedObjects: number;
  events: {
    estimated: number;
    /** `sample`: from the sampled line sizes; `assumed`: nothing could be sampled. */
    basis: 'sample' | 'assumed';
    bytesPerLine: { plain: number; compressed: number };
    sampledObjects: number;
    sampledLines: number;
    /** Share of sampled lines that are valid and have a fingerprint (the rest is never written). */
    writableShare: number;
  };
  /** Runs whose items would have a ttl already past when written. */
  expired: { runs: number; first: string | null; last: string | null; events: number; skipped: boolean };
  /**
   * Manifest writes: the writable events, less the expired ones when they are skipped. An upper
   * bound: duplicates in the selection are written once, and how many there are shows only in the run.
   */
  writes: number;
  /**
   * A resume: the writes the resumed run's records spare, estimated from its last progress (`writes`
   * is what is left, and the costs and durations are of that).
   */
  resume: { from: string; keysSettled: number | null; writesSaved: number } | null;
  /**
   * `--skip-present`: the lookups' price against the writes they may spare, in the table's billing
   * mode. They pay off when more than `breakEvenShare` of the keys are already in the table.
   */
  skipPresent: {
    keys: number;
    readUnits: number;
    usd: number;
    breakEvenShare: number;
    /** With every key already there: the writes' price less the lookups'. */
    savedIfAllPresentUsd: number;
  } | null;
  dynamodb: {
    table: string;
    region: string;
    billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
    provisionedWcu: number | null;
    writeRate: number;
    /** On-demand: every write is a write request unit. */
    onDemandUsd: number;
    /** Provisioned capacity of `writeRate` WCU held for the write duration. */
    wcuHours: number;
    provisionedUsd: number;
  };
  duration: { readSeconds: number; writeSeconds: number; totalSeconds: number };
  emr: {
    workers: number;
    vCpu: number;
    memoryGb: number;
    hours: number;
    vCpuHours: number;
    memoryGbHours: number;
    storageGbHours: number;
    usd: number;
    prices: string;
  } | null;
  /** `--import`: the import's files and cost beside the puts of the same items, its limits; null otherwise. */
  import: ImportPlan | null;
  warnings: string[];
}

/** Read units of one eventually consistent lookup of an item up to 4 KB (a manifest item is ~100 bytes). */
export const LOOKUP_READ_UNITS = 0.5;

/** Line sizes assumed when nothing could be sampled (the job sizes its partitions with the same). */
export const ASSUMED_BYTES_PER_LINE = { plain: 1500, compressed: 250 } as const;

/**
 * Lines the read stage gets through per vCPU and second: a third of what one core reads and
 * classifies in bench/README.md (about 160,000 lines/s), leaving room for S3 and the shuffle.
 */
export const READ_LINES_PER_VCPU_SECOND = 50_000;

/** Spark's start, the table check and the archive listing, before the first line is read. */
export const JOB_OVERHEAD_SECONDS = 60;

function ratio(bytes: number, lines: number, fallback: number): number {
  return lines > 0 && bytes > 0 ? bytes / lines : fallback;
}

function eventsOf(run: RunInventory, perLine: { plain: number; compressed: number }): number {
  return (run.bytes - run.compressedBytes) / perLine.plain + run.compressedBytes / perLine.compressed;
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** What the line sample says: bytes per line of each kind, and the share of lines the job writes. */
interface LineModel {
  sampledLines: number;
  bytesPerLine: { plain: number; compressed: number };
  writableShare: number;
}

function lineModel(s: LineSample | null): LineModel {
  const classified = s === null ? 0 : s.valid + s.noFingerprint + s.bad;
  return {
    sampledLines: s === null ? 0 : s.plain.lines + s.compressed.lines,
    bytesPerLine: {
      plain: ratio(s?.plain.bytes ?? 0, s?.plain.lines ?? 0, ASSUMED_BYTES_PER_LINE.plain),
      compressed: ratio(
        s?.compressed.bytes ?? 0,
        s?.compressed.lines ?? 0,
        ASSUMED_BYTES_PER_LINE.compressed,
      ),
    },
    writableShare: s === null || classified === 0 ? 1 : s.valid / classified,
  };
}

interface RunEvents {
  run: RunInventory;
  events: number;
}

/** The selected runs whose items would have a ttl already past at `nowSeconds`. */
function expiredRunsOf(perRun: readonly RunEvents[], ttlSeconds: number, nowSeconds: number): RunEvents[] {
  return perRun.filter(({ run }) => {
    const t = parseRunId(run.runId);
    // The run's time stands for its etl_tstamp: batch runs are named when they start.
    return t !== null && Math.floor(t.toSeconds()) + ttlSeconds <= nowSeconds;
  });
}

function durationOf(input: PlanInput, events: number, writes: number): Plan['duration'] {
  const writeSeconds = input.import === undefined ? writes / input.writeRate : 0;
  const readCpu = input.compute.runner === 'local' ? input.compute.cores : input.compute.executorCpu;
  const readSeconds = events / (Math.max(1, readCpu) * READ_LINES_PER_VCPU_SECOND);
  return { readSeconds, writeSeconds, totalSeconds: JOB_OVERHEAD_SECONDS + readSeconds + writeSeconds };
}

function dynamodbOf(input: PlanInput, writes: number, writeSeconds: number): Plan['dynamodb'] {
  const provisioned = provisionedWriteCost(input.writeRate, writeSeconds);
  return {
    table: input.table.name,
    region: input.table.region,
    billingMode: input.table.billingMode,
    provisionedWcu: input.table.provisionedWcu ?? null,
    writeRate: input.writeRate,
    onDemandUsd: onDemandWriteCost(writes),
    wcuHours: provisioned.wcuHours,
    provisionedUsd: provisioned.usd,
  };
}

function skipPresentOf(
  input: PlanInput,
  writes: number,
  writeSeconds: number,
  dynamodb: Plan['dynamodb'],
): Plan['skipPresent'] {
  if (input.skipPresent !== true) return null;
  const readUnits = writes * LOOKUP_READ_UNITS;
  // Provisioned: the lookups run at the pace of the writes, so they hold read capacity of
  // half the write rate for the write duration.
  const usd =
    input.table.billingMode === 'PROVISIONED'
      ? ((LOOKUP_READ_UNITS * input.writeRate * writeSeconds) / 3600) * DYNAMODB_PRICES.provisionedRcuHour
      : (readUnits / 1_000_000) * DYNAMODB_PRICES.onDemandPerMillionReads;
  const writesUsd =
    input.table.billingMode === 'PROVISIONED' ? dynamodb.provisionedUsd : dynamodb.onDemandUsd;
  return {
    keys: writes,
    readUnits,
    usd,
    breakEvenShare: writesUsd > 0 ? usd / writesUsd : 0,
    savedIfAllPresentUsd: writesUsd - usd,
  };
}

function emrOf(compute: PlanCompute, totalSeconds: number): Plan['emr'] {
  if (compute.runner !== 'emr-serverless') return null;
  const hours = Math.max(totalSeconds, MINIMUM_BILLED_SECONDS_PER_WORKER) / 3600;
  const usage = {
    vCpuHours: compute.totalCpu * hours,
    memoryGbHours: compute.totalMemoryGb * hours,
    storageGbHours: compute.billedStorageGb * hours,
  };
  return {
    workers: compute.workers,
    vCpu: compute.totalCpu,
    memoryGb: compute.totalMemoryGb,
    hours,
    ...usage,
    usd: emrCost(usage),
    prices: `${EMR_PRICES.region} ${EMR_PRICES.architecture}`,
  };
}

function warningsOf(input: PlanInput, lines: LineModel, expiredRuns: readonly RunEvents[]): string[] {
  const warnings: string[] = [];
  const expiredEvents = expiredRuns.reduce((a, r) => a + r.events, 0);
  if (expiredRuns.length > 0 && !input.skipExpired) {
    const first = expiredRuns[0]?.run.runId;
    const last = expiredRuns[expiredRuns.length - 1]?.run.runId;
    const days = Math.round(input.ttlSeconds / 86400);
    warnings.push(
      `${expiredRuns.length} of the ${input.runs.length} selected runs (${first} .. ${last}, about ${int(expiredEvents * lines.writableShare)} items) ` +
        `are older than --ttl-seconds ${input.ttlSeconds} (${days} days): their items would be written with a ttl already in the past` +
        (input.table.ttlEnabled
          ? ', and DynamoDB TTL, on for this table, deletes such items within days.'
          : '; TTL is off on this table, so they stay until it is switched on, and are deleted within days after.') +
        ` Leave them out with --since ${firstLiveRunId(input.nowSeconds - input.ttlSeconds)}, or raise --ttl-seconds.`,
    );
  }
  if (input.skipPresent !== true && input.resume === undefined && (input.table.itemCount ?? 0) > 0) {
    warnings.push(
      `The table already holds about ${int(input.table.itemCount ?? 0)} items: a key written before costs a write again ` +
        '(a put costs one even when the item is there). If this back-fill may overlap them (an earlier run, the live shredder), ' +
        "--skip-present looks the keys up first, at about a tenth of a write's price, and writes only the missing ones.",
    );
  }
  if (lines.sampledLines === 0) {
    warnings.push(
      `No line could be sampled from the archive: the event estimate assumes ${ASSUMED_BYTES_PER_LINE.plain} bytes per plain line and ${ASSUMED_BYTES_PER_LINE.compressed} per gzip line.`,
    );
  }
  return warnings;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);

/** The plan for a back-fill. */
export function buildPlan(input: PlanInput): Plan {
  const lines = lineModel(input.sample);
  const perRun = input.runs.map((r) => ({ run: r, events: eventsOf(r, lines.bytesPerLine) }));
  const events = sum(perRun.map((r) => r.events));

  const expiredRuns = expiredRunsOf(perRun, input.ttlSeconds, input.nowSeconds);
  const expiredEvents = sum(expiredRuns.map((r) => r.events));
  const allWrites = Math.round((events - (input.skipExpired ? expiredEvents : 0)) * lines.writableShare);
  const writesSaved =
    input.resume === undefined ? 0 : Math.min(allWrites, Math.max(0, input.resume.keysSettled ?? 0));
  const writes = allWrites - writesSaved;

  const duration = durationOf(input, events, writes);
  const dynamodb = dynamodbOf(input, writes, duration.writeSeconds);
  // --import: the job writes files at read speed, and ImportTable creates the table from them;
  // the puts of the same items are priced beside it at the table's highest default rate.
  const importPlan =
    input.import === undefined
      ? null
      : buildImportPlan({
          items: writes,
          region: input.table.region,
          writeRate: input.writeRate,
          billing: input.import.billing,
        });
  return {
    archive: input.archive,
    job: input.job ?? null,
    runs: {
      selected: input.runs.length,
      excluded: input.runsInArchive - input.runs.length,
      first: input.runs[0]?.runId ?? null,
      last: input.runs[input.runs.length - 1]?.runId ?? null,
    },
    objects: sum(input.runs.map((r) => r.objects)),
    bytes: sum(input.runs.map((r) => r.bytes)),
    compressedObjects: sum(input.runs.map((r) => r.compressedObjects)),
    events: {
      estimated: Math.round(events),
      basis: lines.sampledLines > 0 ? 'sample' : 'assumed',
      bytesPerLine: lines.bytesPerLine,
      sampledObjects: input.sample?.objects ?? 0,
      sampledLines: lines.sampledLines,
      writableShare: lines.writableShare,
    },
    expired: {
      runs: expiredRuns.length,
      first: expiredRuns[0]?.run.runId ?? null,
      last: expiredRuns[expiredRuns.length - 1]?.run.runId ?? null,
      events: Math.round(expiredEvents),
      skipped: input.skipExpired,
    },
    writes,
    resume:
      input.resume === undefined
        ? null
        : { from: input.resume.from, keysSettled: input.resume.keysSettled, writesSaved },
    skipPresent: skipPresentOf(input, writes, duration.writeSeconds, dynamodb),
    dynamodb,
    duration,
    emr: emrOf(input.compute, duration.totalSeconds),
    import: importPlan,
    warnings: warningsOf(input, lines, expiredRuns),
  };
}

/** The first run id whose items are not yet expired: a `--since` that leaves out exactly the expired runs. */
function firstLiveRunId(cutoffSeconds: number): string {
  return formatRunId(DateTime.fromSeconds(cutoffSeconds + 1, { zone: 'utc' }));
}

/**
 * What `--import` would cost for archive files of these sizes, before anything is sampled: their
 * events at the plan's assumed line sizes, each one item (an upper bound: bad lines and duplicates
 * are not written). For the hint of a missing table; the plan (`--import --dry-run`) samples.
 */
export function roughImportCost(files: readonly { size: number; gzip: boolean }[]): {
  events: number;
  usd: number;
} {
  let events = 0;
  for (const f of files)
    events += f.size / (f.gzip ? ASSUMED_BYTES_PER_LINE.compressed : ASSUMED_BYTES_PER_LINE.plain);
  return { events: Math.round(events), usd: importCost(Math.round(events) * IMPORT_BYTES_PER_ITEM) };
}
