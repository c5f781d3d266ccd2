/**
 * `populator verify`: draws a random sample of the archive's lines (src/services/verify-sampler.ts),
 * works out what the job should have written for each (src/domain/verify.ts), looks the keys up
 * in the manifest table and estimates the coverage with a 95% Wilson interval.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DateTime } from 'luxon';
import { createDynamoDbClient, type StoredManifestItem } from '../aws/dynamodb.js';
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
import { UserError } from '../domain/errors.js';
import { parseJobSummary, type JobCounters, type JobSummary } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { buildFrame, compressionOf, type FrameFile } from '../domain/sampling.js';
import { DEFAULT_MIN_COVERAGE, DEFAULT_SAMPLE_SIZE } from '../domain/statistics.js';
import { requireTimeRange, selectRuns, toJobRunId } from '../domain/time-range.js';
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
import { forEachLimited, sampleArchive, type CappedObject, type UnreadableObject } from './verify-sampler.js';

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

/** Verifies the manifest against a sample of the archive. */
export async function verifyManifest(o: VerifyOptions): Promise<VerifyResult> {
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    o.log(`Warning: ${w}`);
  };
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
  const reader = createArchiveReader(archive, { region, endpoint: s3Endpoint, profile });
  try {
    const table = await dynamo.describeManifestTable(storage.table);
    if (!table.exists) {
      throw new UserError(`The manifest table ${storage.table} does not exist in ${region}.`, {
        code: 'TABLE_NOT_FOUND',
        hint: 'Check dynamodbTable and awsRegion in the storage config (or --region): verify reads the table the back-fill wrote.',
      });
    }
    const ttlDeletes = table.ttl === 'ENABLED' && table.ttlAttribute === ATTR_TTL;
    const nowSeconds = Math.floor(o.now.toSeconds());
    const expectations: VerifyExpectations = {
      etlTime,
      runEtlTimes: etlTime === 'run' && summary?.etlTimeMode === 'run' ? summary.runEtlTimes : undefined,
      ttlSeconds,
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

    // 1. The selection, listed as the job lists it.
    const listing = await reader.listRuns();
    const runIds = selectRuns(
      listing.runs.map((r) => r.runId),
      range,
    );
    const selected = new Set(runIds);
    const runs = listing.runs.filter((r) => selected.has(r.runId));
    if (listing.runs.length === 0) {
      throw new UserError(`The archive ${archive.uri} holds no run=YYYY-MM-dd-HH-mm-ss folder.`, {
        code: 'ARCHIVE_NO_RUNS',
        hint: 'Pass the folder or prefix directly above the run=... folders of enriched events.',
      });
    }
    if (runs.length === 0) {
      throw new UserError(
        `None of the ${listing.runs.length} runs of ${archive.uri} is selected by --since/--until.`,
        {
          code: 'NO_RUN_SELECTED',
          hint: 'Widen --since/--until (UTC; since inclusive, until exclusive).',
        },
      );
    }
    const files = await listSelection(reader, runs, o);
    const skippedFiles: VerifyResult['selection']['skippedFiles'] = [];
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
    const frame = buildFrame(frameFiles);
    if (frame.totalBytes === 0) {
      throw new UserError(`The selected runs of ${archive.uri} hold no file to sample.`, {
        code: 'ARCHIVE_EMPTY',
        hint: 'Check the archive and --since/--until: every file of the selected runs is empty or hidden.',
      });
    }
    if (
      summary !== undefined &&
      (summary.filesRead !== frame.files.length || summary.bytesRead !== frame.totalBytes)
    ) {
      warn(
        `the selection now has ${frame.files.length} file(s), ${frame.totalBytes} bytes; run ${run?.name} read ${summary.filesRead} file(s), ${summary.bytesRead} bytes: the archive changed since`,
      );
    }

    // 2. The sample.
    const classes = new Map<string, SampledLineClass>();
    const classify = (line: string, file: FrameFile): SampledLineClass => {
      const key = `${file.runId}\n${line}`;
      let c = classes.get(key);
      if (c === undefined) classes.set(key, (c = classifySampledLine(line, file.runId, expectations)));
      return c;
    };
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

    // 3. The lookups.
    const drawn = sampled.lines.map((l) => {
      const file = frame.files[l.file] as FrameFile;
      return { ...l, path: file.path, runId: file.runId, class: classify(l.line, file) };
    });
    const keys = drawn.flatMap((d) => (d.class.kind === 'valid' ? [d.class.key] : []));
    const found = await dynamo.batchGetKeys(storage.table, keys, {
      consistentRead: o.consistentRead,
      concurrency: 8,
      onProgress: (done, total) => o.onProgress?.({ phase: 'lookup', done, total }),
    });
    const byKey = new Map<string, StoredManifestItem>();
    for (const item of found.items) byKey.set(`${item.eventId}\t${item.fingerprint}`, item);

    // 4. The outcomes.
    const tally = new VerifyTally();
    // Each key once (a small archive yields the same line several times), in sample order.
    const reported: ReportedKey[] = [];
    const reportedKeys = new Set<string>();
    for (const d of drawn) {
      const c = d.class;
      let outcome: SampleOutcome;
      if (c.kind !== 'valid') {
        outcome = c;
      } else {
        const item = byKey.get(`${c.key.eventId}\t${c.key.fingerprint}`);
        if (c.expired !== null) {
          outcome = { kind: 'expired', when: c.expired, present: item !== undefined };
        } else if (item === undefined) {
          outcome = { kind: 'missing' };
        } else {
          outcome = { kind: 'found', etlTime: judgeFoundEtlTime(item.etlTime, c.etlTime, expectations) };
        }
        const reportKey = `${c.key.eventId}\t${c.key.fingerprint}`;
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
            ...(outcome.kind === 'found' && item?.etlTime !== undefined
              ? { storedEtlTime: item.etlTime }
              : {}),
          });
        }
      }
      tally.add(outcome, d.weight);
    }
    let reportFile: string | null = null;
    if (o.reportFile !== undefined) {
      reportFile = path.resolve(o.cwd, o.reportFile);
      writeFileSync(reportFile, reported.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }

    const cappedBytes = frame.files.reduce(
      (n, f) =>
        n +
        (f.compression === 'gzip' && o.maxObjectBytes !== undefined
          ? Math.max(0, f.bytes - o.maxObjectBytes)
          : 0),
      0,
    );
    return {
      archive: archive.uri,
      table: storage.table,
      region,
      run: run === undefined ? null : { name: run.name, summary: summary !== undefined },
      selection: {
        since: range.since ? toJobRunId(range.since) : null,
        until: range.until ? toJobRunId(range.until) : null,
        runs: runs.length,
        files: frame.files.length,
        bytes: frame.totalBytes,
        gzipFiles: frame.files.filter((f) => f.compression === 'gzip').length,
        ignored: listing.ignored,
        skippedFiles,
      },
      etlTime,
      etlTimeCheck,
      ttl: { seconds: ttlSeconds, deletes: ttlDeletes, skippedAtWrite: expectations.skipExpired },
      seed: o.seed,
      sampling: {
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
      },
      lookups: {
        keys: new Set(keys.map((k) => `${k.eventId}\t${k.fingerprint}`)).size,
        requests: found.requests,
        throttledRetries: found.throttledRetries,
        consumedReadUnits: found.consumedReadUnits,
        consistent: o.consistentRead,
      },
      counts: tally.snapshot(),
      coverage: tally.verdict(minCoverage),
      missingKeys: reported.filter((r) => r.outcome === 'missing').slice(0, SHOWN_MISSING_KEYS),
      reportFile,
      jobCounters: summary?.counters ?? null,
      warnings,
      durationSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    reader.close();
    dynamo.destroy();
  }
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
