/**
 * `populator verify`: draws a random sample of the archive's lines (src/services/verify-sampler.ts),
 * works out what the job should have written for each (src/domain/verify.ts), looks the keys up
 * in the manifest table and estimates the coverage with a 95% Wilson interval.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DateTime } from 'luxon';
import {
  createDynamoDbClient,
  type BatchGetKeysResult,
  type DynamoDbClient,
  type StoredManifestItem,
} from '../aws/dynamodb.js';
import { createS3Client } from '../aws/s3.js';
import { parseArchiveLocation, type ArchiveLocation } from '../domain/archive.js';
import { resolveEndpoint } from '../domain/checks/flags.js';
import {
  ATTR_TTL,
  DEFAULT_TTL_SECONDS,
  JOB_OUTPUT,
  MAX_LINE_BYTES,
  type EtlTimeMode,
} from '../domain/contract.js';
import type { ManifestKey } from '../domain/enriched.js';
import { UserError } from '../domain/errors.js';
import { parseJobSummary, type JobCounters, type JobSummary } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { buildFrame, compressionOf, type FrameFile, type SamplingFrame } from '../domain/sampling.js';
import { DEFAULT_MIN_COVERAGE, DEFAULT_SAMPLE_SIZE } from '../domain/statistics.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { requireTimeRange, selectRuns, toJobRunId, type TimeRange } from '../domain/time-range.js';
import {
  VerifyTally,
  classifySampledLine,
  judgeFoundEtlTime,
  type CoverageVerdict,
  type SampleOutcome,
  type SampledLineClass,
  type VerifyCounts,
  type VerifyExpectations,
} from '../domain/verify.js';
import { loadStorageConfig } from './config-loader.js';
import { listRunRecords, loadRunRecord } from './run-records.js';
import { createArchiveReader, type ArchiveReader, type ArchiveRun } from './verify-archive.js';
import {
  forEachLimited,
  sampleArchive,
  type CappedObject,
  type DrawnLine,
  type SamplerResult,
  type UnreadableObject,
} from './verify-sampler.js';

/** The missing keys a result lists (all of them go to --report). */
export const SHOWN_MISSING_KEYS = 10;

/** A run whose report verify can read: from a run record, or handed over (the demo). */
export interface KnownRun {
  name: string;
  /** Its inputs, when recorded (selection, etlTime mode, ttl, --write-expired). */
  record?: RunRecord;
  /** Its summary.json, when it was read (or handed over). */
  summary?: JobSummary;
}

/** Progress of a verify run, for a progress bar. */
export type VerifyProgress =
  | { phase: 'listing'; runs: number; runsListed: number }
  | { phase: 'sampling'; attempts: number; drawn: number; effective: number; target: number }
  | { phase: 'lookup'; done: number; total: number };

export interface VerifyOptions {
  archive: string;
  storageConfigPath: string;
  since?: string;
  until?: string;
  /** Default: the run's, else `run`. */
  etlTime?: EtlTimeMode;
  /** Default: the run's, else 180 days. */
  ttlSeconds?: number;
  /** A recorded run by name (`--run`); without it the newest run of this archive and table, unless --since/--until are given. */
  runName?: string;
  /** The run, known already (the demo): no record is looked up. */
  knownRun?: KnownRun;
  /** Where run records are kept; none are looked up when absent. */
  recordsDir?: string;
  /** Effective number of sampled events the job should have written. Default DEFAULT_SAMPLE_SIZE. */
  sample?: number;
  seed: number;
  minCoverage?: number;
  consistentRead: boolean;
  /** Write every missing key (and every key found with another etlTime) to this file, as JSON lines. */
  reportFile?: string;
  /** Read at most this many bytes of each gzip file. */
  maxObjectBytes?: number;
  /** Extra bytes read after each plain-file offset. */
  readahead?: number;
  /** Plain-file probes closer than this are read as one (default 16 KiB; the bench varies it). */
  mergeGap?: number;
  /** Reads in flight (S3 GETs or file reads). Default 16. */
  concurrency?: number;
  region?: string;
  profile?: string;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  /** The package's `schemas/iglu` (the storage config is validated against the bundled schema). */
  bundledSchemasDir?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: DateTime;
  log: (line: string) => void;
  onProgress?: (p: VerifyProgress) => void;
  signal?: AbortSignal;
}

/** A sampled event the table does not hold as the job writes it. */
export interface ReportedKey {
  outcome: 'missing' | 'otherEtlTime';
  eventId: string;
  fingerprint: string;
  runId: string;
  file: string;
  expectedEtlTime: number;
  /** The item's etlTime (otherEtlTime only). */
  storedEtlTime?: number;
}

export interface VerifyResult {
  archive: string;
  table: string;
  region: string;
  /** The run whose selection and report were used; null when none is known. */
  run: { name: string; summary: boolean } | null;
  selection: {
    since: string | null;
    until: string | null;
    runs: number;
    files: number;
    bytes: number;
    gzipFiles: number;
    /** Not a run=... folder, as the job ignores them. */
    ignored: string[];
    /** Files verify cannot read (a codec other than gzip): outside the sample. */
    skippedFiles: { path: string; reason: string }[];
  };
  etlTime: EtlTimeMode;
  /** `exact`: against the job's own etlTime; `eventTermsOnly`: no later than the line's etl_tstamp. */
  etlTimeCheck: 'exact' | 'eventTermsOnly';
  ttl: { seconds: number; deletes: boolean; skippedAtWrite: boolean };
  seed: number;
  sampling: {
    target: number;
    attempts: number;
    linesDrawn: number;
    stoppedShort: boolean;
    readRequests: number;
    bytesRead: number;
    gzipFilesRead: number;
    gzipReads: number;
    maxObjectBytes: number | null;
    capped: CappedObject[];
    /** Share of the selection's bytes past the cap: no line there can be drawn. */
    cappedShareOfBytes: number;
    unreadableFiles: UnreadableObject[];
  };
  lookups: {
    keys: number;
    requests: number;
    throttledRetries: number;
    consumedReadUnits: number;
    consistent: boolean;
  };
  counts: VerifyCounts;
  coverage: CoverageVerdict;
  /** The first missing keys, in sample order. */
  missingKeys: ReportedKey[];
  reportFile: string | null;
  /** The job's counters, when its summary was read. */
  jobCounters: JobCounters | null;
  warnings: string[];
  durationSeconds: number;
}

/**
 * Verifies the manifest against a sample of the archive: inputs -> the table's expectations ->
 * the selection -> the sample -> the lookups -> the outcomes -> the result.
 */
export async function verifyManifest(o: VerifyOptions): Promise<VerifyResult> {
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    o.log(`Warning: ${w}`);
  };
  const inputs = await resolveInputs(o, warn);
  const { dynamo, reader } = openClients(o, inputs);
  try {
    const expected = await expectationsOf(o, inputs, dynamo);
    const selection = await listSelected(o, inputs, reader, warn);
    const classify = lineClassifier(expected.expectations);
    const sampled = await drawSample(o, inputs.target, selection.frame, reader, classify, warn);
    const lookups = await lookUp(o, inputs.storage.table, selection.frame, sampled, classify, dynamo);
    const outcomes = judgeSample(lookups, expected.expectations);
    const reportFile = writeReport(o, outcomes.reported);
    return {
      archive: inputs.archive.uri,
      table: inputs.storage.table,
      region: inputs.region,
      run:
        inputs.run === undefined
          ? null
          : { name: inputs.run.name, summary: inputs.run.summary !== undefined },
      selection: selectionSection(inputs.range, selection),
      etlTime: inputs.etlTime,
      etlTimeCheck: expected.etlTimeCheck,
      ttl: {
        seconds: inputs.ttlSeconds,
        deletes: expected.ttlDeletes,
        skippedAtWrite: expected.expectations.skipExpired,
      },
      seed: o.seed,
      sampling: samplingSection(o, inputs.target, selection.frame, sampled, reader),
      lookups: lookupsSection(o, lookups),
      counts: outcomes.tally.snapshot(),
      coverage: outcomes.tally.verdict(inputs.minCoverage),
      missingKeys: outcomes.reported.filter((r) => r.outcome === 'missing').slice(0, SHOWN_MISSING_KEYS),
      reportFile,
      jobCounters: inputs.run?.summary?.counters ?? null,
      warnings,
      durationSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    reader.close();
    dynamo.destroy();
  }
}

/** What verify checks against, resolved before anything is read from the archive or the table. */
interface VerifyInputs {
  archive: ArchiveLocation;
  /** The effective sample size asked for. */
  target: number;
  minCoverage: number;
  storage: StorageConfig;
  run: KnownRun | undefined;
  region: string;
  range: TimeRange;
  etlTime: EtlTimeMode;
  ttlSeconds: number;
}

/** The storage config, the run and the flags, each with the run's value where no flag is given. */
async function resolveInputs(o: VerifyOptions, warn: (w: string) => void): Promise<VerifyInputs> {
  const archive = parseArchiveLocation(o.archive, o.cwd);
  const target = o.sample ?? DEFAULT_SAMPLE_SIZE;
  const minCoverage = o.minCoverage ?? DEFAULT_MIN_COVERAGE;
  const loaded = await loadStorageConfig({
    storageConfigPath: path.resolve(o.cwd, o.storageConfigPath),
    bundledSchemasDir: o.bundledSchemasDir,
  });
  if (!loaded.ok) {
    throw new UserError('The storage config is not valid.', {
      code: 'INVALID_CONFIG',
      issues: loaded.issues,
      hint: 'Fix the problems listed above and run again.',
    });
  }
  const storage = loaded.storage;
  const run = o.knownRun ?? (await findRun(o, archive, storage.table, warn));
  const record = run?.record;
  const summary = run?.summary;
  const region = o.region ?? record?.region ?? storage.region;
  const selectionFlags = o.since !== undefined || o.until !== undefined;
  // Without --since/--until, the run's own selection.
  const runSelection = record?.inputs ?? summary;
  const range = requireTimeRange(
    selectionFlags || runSelection === undefined
      ? { since: o.since, until: o.until }
      : { since: runSelection.since ?? undefined, until: runSelection.until ?? undefined },
  );
  const etlTime =
    o.etlTime ?? record?.inputs.etlTime ?? (summary?.etlTimeMode as EtlTimeMode | undefined) ?? 'run';
  if (summary !== undefined && summary.etlTimeMode !== etlTime) {
    warn(
      `run ${run?.name} wrote etlTime in ${summary.etlTimeMode} mode; checking against --etl-time ${etlTime}`,
    );
  }
  const ttlSeconds = o.ttlSeconds ?? record?.inputs.ttlSeconds ?? summary?.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  return { archive, target, minCoverage, storage, run, region, range, etlTime, ttlSeconds };
}

/** The DynamoDB client (the storage config's keys) and the archive's reader (the caller's identity). */
function openClients(
  o: VerifyOptions,
  inputs: VerifyInputs,
): { dynamo: DynamoDbClient; reader: ArchiveReader } {
  const { storage, region } = inputs;
  const record = inputs.run?.record;
  const staticCredentials =
    storage.credentials.kind === 'static'
      ? { accessKeyId: storage.credentials.accessKeyId, secretAccessKey: storage.credentials.secretAccessKey }
      : undefined;
  // One precedence with every command: flag, environment, then the run record.
  const dynamodbEndpoint = resolveEndpoint(
    'dynamodb',
    o.dynamodbEndpoint,
    o.env,
    {},
    record?.endpoints?.dynamodb,
  )?.url;
  const s3Endpoint = resolveEndpoint('s3', o.s3Endpoint, o.env, {}, record?.endpoints?.s3)?.url;
  const profile = o.profile ?? record?.profile;
  const dynamo = createDynamoDbClient({
    region,
    endpoint: dynamodbEndpoint,
    credentials: staticCredentials,
    profile,
  });
  // The storage config's keys are for DynamoDB; the archive is read with the caller's own identity.
  const reader = createArchiveReader(inputs.archive, { region, endpoint: s3Endpoint, profile });
  return { dynamo, reader };
}

/** What the job should have written, given the table's TTL setting and the run's inputs and report. */
interface TableExpectations {
  expectations: VerifyExpectations;
  ttlDeletes: boolean;
  etlTimeCheck: VerifyResult['etlTimeCheck'];
}

async function expectationsOf(
  o: VerifyOptions,
  inputs: VerifyInputs,
  dynamo: DynamoDbClient,
): Promise<TableExpectations> {
  const { run, etlTime } = inputs;
  const record = run?.record;
  const summary = run?.summary;
  const table = await dynamo.describeManifestTable(inputs.storage.table);
  if (!table.exists) {
    throw new UserError(`The manifest table ${inputs.storage.table} does not exist in ${inputs.region}.`, {
      code: 'TABLE_NOT_FOUND',
      hint: 'Check dynamodbTable and awsRegion in the storage config (or --region): verify reads the table the back-fill wrote.',
    });
  }
  const ttlDeletes = table.ttl === 'ENABLED' && table.ttlAttribute === ATTR_TTL;
  const nowSeconds = Math.floor(o.now.toSeconds());
  const expectations: VerifyExpectations = {
    etlTime,
    runEtlTimes: etlTime === 'run' && summary?.etlTimeMode === 'run' ? summary.runEtlTimes : undefined,
    ttlSeconds: inputs.ttlSeconds,
    skipExpired: summary?.skipExpired ?? (ttlDeletes && !(record?.inputs.writeExpired ?? false)),
    jobNowSeconds: record ? Math.floor(Date.parse(record.createdAt) / 1000) : nowSeconds,
    ttlDeletes,
    nowSeconds,
  };
  const etlTimeCheck =
    etlTime === 'event' || expectations.runEtlTimes !== undefined ? 'exact' : 'eventTermsOnly';
  if (etlTimeCheck === 'eventTermsOnly') {
    o.log(
      run === undefined
        ? "etlTime is checked in event terms only: no run of this archive is known, and a run's earliest etl_tstamp cannot be told from a sample (--run NAME names one)"
        : `etlTime is checked in event terms only: the report of run ${run.name} gives no etlTime per run`,
    );
  }
  return { expectations, ttlDeletes, etlTimeCheck };
}

/** The selected runs and the sampling frame of their files. */
interface Selection {
  runs: ArchiveRun[];
  ignored: string[];
  skippedFiles: VerifyResult['selection']['skippedFiles'];
  frame: SamplingFrame;
}

/** The selection, listed as the job lists it. */
async function listSelected(
  o: VerifyOptions,
  inputs: VerifyInputs,
  reader: ArchiveReader,
  warn: (w: string) => void,
): Promise<Selection> {
  const { archive } = inputs;
  const listing = await reader.listRuns();
  const runs = selectedRuns(listing.runs, inputs.range, archive);
  const { frame, skippedFiles } = frameOf(await listSelection(reader, runs, o), warn);
  if (frame.totalBytes === 0) {
    throw new UserError(`The selected runs of ${archive.uri} hold no file to sample.`, {
      code: 'ARCHIVE_EMPTY',
      hint: 'Check the archive and --since/--until: every file of the selected runs is empty or hidden.',
    });
  }
  const summary = inputs.run?.summary;
  if (
    summary !== undefined &&
    (summary.filesRead !== frame.files.length || summary.bytesRead !== frame.totalBytes)
  ) {
    warn(
      `the selection now has ${frame.files.length} file(s), ${frame.totalBytes} bytes; run ${inputs.run?.name} read ${summary.filesRead} file(s), ${summary.bytesRead} bytes: the archive changed since`,
    );
  }
  return { runs, ignored: listing.ignored, skippedFiles, frame };
}

/** The runs --since/--until select; none at all, or none selected, is the user's to fix. */
function selectedRuns(all: readonly ArchiveRun[], range: TimeRange, archive: ArchiveLocation): ArchiveRun[] {
  const runIds = selectRuns(
    all.map((r) => r.runId),
    range,
  );
  const selected = new Set(runIds);
  const runs = all.filter((r) => selected.has(r.runId));
  if (all.length === 0) {
    throw new UserError(`The archive ${archive.uri} holds no run=YYYY-MM-dd-HH-mm-ss folder.`, {
      code: 'ARCHIVE_NO_RUNS',
      hint: 'Pass the folder or prefix directly above the run=... folders of enriched events.',
    });
  }
  if (runs.length === 0) {
    throw new UserError(`None of the ${all.length} runs of ${archive.uri} is selected by --since/--until.`, {
      code: 'NO_RUN_SELECTED',
      hint: 'Widen --since/--until (UTC; since inclusive, until exclusive).',
    });
  }
  return runs;
}

/** The sampling frame of the files verify can read; the others are reported and left out. */
function frameOf(
  files: readonly { path: string; runId: string; bytes: number }[],
  warn: (w: string) => void,
): { frame: SamplingFrame; skippedFiles: Selection['skippedFiles'] } {
  const skippedFiles: Selection['skippedFiles'] = [];
  const frameFiles: FrameFile[] = [];
  for (const f of files) {
    const compression = compressionOf(f.path);
    if (compression === undefined)
      skippedFiles.push({ path: f.path, reason: 'compressed with a codec verify does not read' });
    else frameFiles.push({ path: f.path, runId: f.runId, bytes: f.bytes, compression });
  }
  if (skippedFiles.length > 0) {
    warn(
      `${skippedFiles.length} file(s) use a codec verify does not read (e.g. ${skippedFiles[0]?.path}): they are outside the sample`,
    );
  }
  return { frame: buildFrame(frameFiles), skippedFiles };
}

type LineClassifier = (line: string, file: FrameFile) => SampledLineClass;

/** Classifies a line of a run, each distinct one once (the sampler and the lookups ask again). */
function lineClassifier(expectations: VerifyExpectations): LineClassifier {
  const classes = new Map<string, SampledLineClass>();
  return (line, file) => {
    const key = `${file.runId}\n${line}`;
    let c = classes.get(key);
    if (c === undefined) classes.set(key, (c = classifySampledLine(line, file.runId, expectations)));
    return c;
  };
}

/** The sample: lines drawn until those the job should have written reach the target. */
async function drawSample(
  o: VerifyOptions,
  target: number,
  frame: SamplingFrame,
  reader: ArchiveReader,
  classify: LineClassifier,
  warn: (w: string) => void,
): Promise<SamplerResult> {
  const sampled = await sampleArchive({
    frame,
    reader,
    seed: o.seed,
    target,
    counts: (line, file) => {
      const c = classify(line, file);
      return c.kind === 'valid' && c.expired === null;
    },
    maxLineBytes: MAX_LINE_BYTES,
    readahead: o.readahead,
    mergeGap: o.mergeGap,
    maxObjectBytes: o.maxObjectBytes,
    concurrency: o.concurrency,
    onProgress: (p) => o.onProgress?.({ phase: 'sampling', ...p }),
    signal: o.signal,
  });
  if (sampled.stoppedShort) {
    warn(
      `stopped after ${sampled.attempts} attempts with an effective sample of ${sampled.effective.toFixed(0)} of the ${target} asked for: the selection holds few lines the job writes`,
    );
  }
  for (const u of sampled.unreadable)
    warn(
      `could not read ${u.path} to its end (${u.error}); its ${u.linesRead} complete line(s) before that were sampled`,
    );
  return sampled;
}

/** A drawn line with its file and class. */
type DrawnSample = DrawnLine & { path: string; runId: string; class: SampledLineClass };

/** The drawn lines, and the table's items for their keys. */
interface Lookups {
  drawn: DrawnSample[];
  keys: ManifestKey[];
  found: BatchGetKeysResult;
  byKey: Map<string, StoredManifestItem>;
}

/** Looks the keys of the sample's valid lines up in the table. */
async function lookUp(
  o: VerifyOptions,
  table: string,
  frame: SamplingFrame,
  sampled: SamplerResult,
  classify: LineClassifier,
  dynamo: DynamoDbClient,
): Promise<Lookups> {
  const drawn = sampled.lines.map((l) => {
    const file = frame.files[l.file] as FrameFile;
    return { ...l, path: file.path, runId: file.runId, class: classify(l.line, file) };
  });
  const keys = drawn.flatMap((d) => (d.class.kind === 'valid' ? [d.class.key] : []));
  const found = await dynamo.batchGetKeys(table, keys, {
    consistentRead: o.consistentRead,
    concurrency: 8,
    onProgress: (done, total) => o.onProgress?.({ phase: 'lookup', done, total }),
  });
  const byKey = new Map<string, StoredManifestItem>();
  for (const item of found.items) byKey.set(`${item.eventId}\t${item.fingerprint}`, item);
  return { drawn, keys, found, byKey };
}

/** Every drawn line's outcome, tallied, and the keys to report. */
function judgeSample(
  lookups: Lookups,
  expectations: VerifyExpectations,
): { tally: VerifyTally; reported: ReportedKey[] } {
  const tally = new VerifyTally();
  // Each key once (a small archive yields the same line several times), in sample order.
  const reported: ReportedKey[] = [];
  const reportedKeys = new Set<string>();
  for (const d of lookups.drawn) {
    const c = d.class;
    if (c.kind !== 'valid') {
      tally.add(c, d.weight);
      continue;
    }
    const reportKey = `${c.key.eventId}\t${c.key.fingerprint}`;
    const item = lookups.byKey.get(reportKey);
    const outcome = validOutcome(c, item, expectations);
    if (
      (outcome.kind === 'missing' || (outcome.kind === 'found' && outcome.etlTime === 'other')) &&
      !reportedKeys.has(reportKey)
    ) {
      reportedKeys.add(reportKey);
      reported.push({
        outcome: outcome.kind === 'missing' ? 'missing' : 'otherEtlTime',
        ...c.key,
        runId: d.runId,
        file: d.path,
        expectedEtlTime: c.etlTime.value,
        ...(outcome.kind === 'found' && item?.etlTime !== undefined ? { storedEtlTime: item.etlTime } : {}),
      });
    }
    tally.add(outcome, d.weight);
  }
  return { tally, reported };
}

/** The outcome of a valid line: expired, missing, or found (with its etlTime judged). */
function validOutcome(
  c: Extract<SampledLineClass, { kind: 'valid' }>,
  item: StoredManifestItem | undefined,
  expectations: VerifyExpectations,
): SampleOutcome {
  if (c.expired !== null) return { kind: 'expired', when: c.expired, present: item !== undefined };
  if (item === undefined) return { kind: 'missing' };
  return { kind: 'found', etlTime: judgeFoundEtlTime(item.etlTime, c.etlTime, expectations) };
}

/** Writes every reported key to --report, as JSON lines; its absolute path, or null without --report. */
function writeReport(o: VerifyOptions, reported: readonly ReportedKey[]): string | null {
  if (o.reportFile === undefined) return null;
  const reportFile = path.resolve(o.cwd, o.reportFile);
  writeFileSync(reportFile, reported.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return reportFile;
}

function selectionSection(range: TimeRange, selection: Selection): VerifyResult['selection'] {
  const { frame } = selection;
  return {
    since: range.since ? toJobRunId(range.since) : null,
    until: range.until ? toJobRunId(range.until) : null,
    runs: selection.runs.length,
    files: frame.files.length,
    bytes: frame.totalBytes,
    gzipFiles: frame.files.filter((f) => f.compression === 'gzip').length,
    ignored: selection.ignored,
    skippedFiles: selection.skippedFiles,
  };
}

function samplingSection(
  o: VerifyOptions,
  target: number,
  frame: SamplingFrame,
  sampled: SamplerResult,
  reader: ArchiveReader,
): VerifyResult['sampling'] {
  const cappedBytes = frame.files.reduce(
    (n, f) =>
      n +
      (f.compression === 'gzip' && o.maxObjectBytes !== undefined
        ? Math.max(0, f.bytes - o.maxObjectBytes)
        : 0),
    0,
  );
  return {
    target,
    attempts: sampled.attempts,
    linesDrawn: sampled.lines.length,
    stoppedShort: sampled.stoppedShort,
    readRequests: reader.stats.requests,
    bytesRead: reader.stats.bytes,
    gzipFilesRead: sampled.gzip.objectsRead,
    gzipReads: sampled.gzip.reads,
    maxObjectBytes: o.maxObjectBytes ?? null,
    capped: sampled.gzip.capped,
    cappedShareOfBytes: cappedBytes / frame.totalBytes,
    unreadableFiles: sampled.unreadable,
  };
}

function lookupsSection(o: VerifyOptions, lookups: Lookups): VerifyResult['lookups'] {
  const { keys, found } = lookups;
  return {
    keys: new Set(keys.map((k) => `${k.eventId}\t${k.fingerprint}`)).size,
    requests: found.requests,
    throttledRetries: found.throttledRetries,
    consumedReadUnits: found.consumedReadUnits,
    consistent: o.consistentRead,
  };
}

/** Every file of the selected runs, listed a few runs at a time. */
async function listSelection(
  reader: ArchiveReader,
  runs: readonly ArchiveRun[],
  o: Pick<VerifyOptions, 'onProgress'>,
): Promise<{ path: string; runId: string; bytes: number }[]> {
  const out: { path: string; runId: string; bytes: number }[] = [];
  let listed = 0;
  await forEachLimited(runs, 8, async (run) => {
    for (const f of await reader.listFiles(run)) out.push({ ...f, runId: run.runId });
    o.onProgress?.({ phase: 'listing', runs: runs.length, runsListed: ++listed });
  });
  return out;
}

/**
 * The run to verify against: `--run NAME`, else (without --since/--until) the newest recorded run
 * of this archive and table. Its summary.json is read from its output folder (local or S3).
 */
async function findRun(
  o: VerifyOptions,
  archive: ArchiveLocation,
  table: string,
  warn: (w: string) => void,
): Promise<KnownRun | undefined> {
  if (o.recordsDir === undefined) return undefined;
  let record: RunRecord | undefined;
  if (o.runName !== undefined) {
    record = loadRunRecord(o.recordsDir, o.runName);
    if (record.inputs.archive !== archive.uri || record.table !== table) {
      warn(
        `run ${record.runName} back-filled ${record.inputs.archive} into ${record.table}, not ${archive.uri} into ${table}`,
      );
    }
  } else if (o.since === undefined && o.until === undefined) {
    record = listRunRecords(o.recordsDir).records.find(
      (r) => r.inputs.archive === archive.uri && r.table === table,
    );
    if (record !== undefined)
      o.log(`Verifying against run ${record.runName} (its selection and report; --run NAME picks another)`);
  }
  if (record === undefined) return undefined;
  const summary = await readSummary(record, o);
  if (summary === undefined)
    warn(
      `run ${record.runName} has no readable ${JOB_OUTPUT.summary} (yet) in ${record.output}: verifying without its report`,
    );
  return { name: record.runName, record, summary };
}

async function readSummary(record: RunRecord, o: VerifyOptions): Promise<JobSummary | undefined> {
  const output = parseArchiveLocation(record.output, o.cwd);
  let text: string | null;
  try {
    if (output.kind === 's3') {
      const client = createS3Client({
        region: record.region,
        endpoint: resolveEndpoint('s3', o.s3Endpoint, o.env, {}, record.endpoints?.s3)?.url,
        profile: o.profile ?? record.profile,
      });
      try {
        const prefix = output.prefix === '' ? '' : `${output.prefix}/`;
        text = await client.getObjectText(output.bucket, `${prefix}${JOB_OUTPUT.summary}`);
      } finally {
        client.destroy();
      }
    } else {
      const file = path.join(output.path, JOB_OUTPUT.summary);
      text = existsSync(file) ? readFileSync(file, 'utf8') : null;
    }
  } catch (error) {
    o.log(`Warning: cannot read the report of run ${record.runName}: ${(error as Error).message}`);
    return undefined;
  }
  if (text === null) return undefined;
  try {
    return parseJobSummary(text);
  } catch (error) {
    o.log(`Warning: the report of run ${record.runName} is not a job summary: ${(error as Error).message}`);
    return undefined;
  }
}
