/** The job's own report (DESIGN 3.6): summary.json and progress.json, read back by the CLI. */

/** The counters of a run; they add up to `linesRead` (see `countersAddUp`). */
export interface JobCounters {
  linesRead: number;
  bad: number;
  noFingerprint: number;
  expired: number;
  duplicatesInSelection: number;
  written: number;
  alreadyPresent: number;
  conflicting: number;
}

export const COUNTER_NAMES: readonly (keyof JobCounters)[] = [
  'linesRead',
  'bad',
  'noFingerprint',
  'expired',
  'duplicatesInSelection',
  'written',
  'alreadyPresent',
  'conflicting',
];

/**
 * A file the job could not read to its end (truncated or corrupt gzip, a read error): the
 * `linesRead` complete lines before `error` were read and counted like any other line.
 */
export interface UnreadableFile {
  path: string;
  error: string;
  linesRead: number;
}

/** summary.json as the job writes it at the end of a successful run. */
export interface JobSummary {
  status: string;
  archive: string;
  table: string;
  region: string;
  etlTimeMode: string;
  since: string | null;
  until: string | null;
  ttlSeconds: number;
  skipExpired: boolean;
  writeRate: number;
  writerTasks: number;
  /** Executor JVMs the write budget was split over (1 on local Spark); absent from older jars. */
  writerExecutors?: number;
  /** Write partitions: a multiple of the writer task slots; absent from older jars. */
  writePartitions?: number;
  runsSelected: string[];
  runsExcluded: number;
  ignoredPaths: string[];
  filesRead: number;
  bytesRead: number;
  /** Unique keys the job handled. */
  uniqueKeys?: number;
  /**
   * Each selected run's etlTime in run mode (its earliest etl_tstamp over valid lines), epoch
   * seconds, by run id; runs without a valid line are absent. Absent from jars before it existed.
   */
  runEtlTimes?: Record<string, number>;
  /** Files set aside because they could not be read to their end; empty normally. */
  unreadableFiles: UnreadableFile[];
  counters: JobCounters;
  badByReason: Record<string, number>;
  throttledRetries: number;
  otherRetries: number;
  /** The longest one item waited, through retries, from its first put to its answer (absent from older jars). */
  longestWaitSeconds?: number;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  /** A resumed run (`submit --resume`): what the records of the run it resumed spared; null otherwise. */
  resume?: JobResumeReport | null;
  /** `--skip-present`: the lookups and the keys they found (counted as already present or conflicting, never put). */
  skipPresent?: JobSkipPresentReport | null;
  /** Import mode (`--import-to`): the files written for ImportTable; null for a put run, absent from older jars. */
  import?: JobImportReport | null;
}

/** What an import-mode run wrote: gzip DYNAMODB_JSON objects, one `{"Item":{...}}` per line. */
export interface JobImportReport {
  /** The folder the objects are in (as given by --import-to). */
  folder: string;
  objects: number;
  /** Items in the files (equal to counters.written). */
  items: number;
  /** Uncompressed bytes of the files: what ImportTable bills ($ per GB of uncompressed source). */
  bytes: number;
  compressedBytes: number;
}

export interface JobSkipPresentReport {
  lookedUp: number;
  skippedPresent: number;
  skippedConflicting: number;
  putsSaved: number;
  /** BatchGetItem requests, and those retried (throttled or with unprocessed keys). */
  requests: number;
  throttledRetries: number;
}

/** The outcomes of a set of keys, as progress records count them. */
export interface KeyOutcomes {
  written: number;
  alreadyPresent: number;
  conflicting: number;
  expired: number;
}

/** summary.json's `resume`: the counters are `recorded` (never sent again) plus `thisRun`. */
export interface JobResumeReport {
  /** The output folder of the run that was resumed. */
  resumedFrom: string;
  /** Puts the records spared: keys recorded as settled that this run did not send again. */
  writesSaved: number;
  /** Write partitions the resumed run had finished (not run again). */
  partitionsAlreadyDone: number;
  recorded: KeyOutcomes;
  thisRun: KeyOutcomes;
}

/** progress.json, rewritten by the job every few seconds while it runs. */
export interface JobProgress {
  phase: 'listing' | 'reading' | 'writing' | 'done' | 'failed' | string;
  runsSelected?: number;
  filesRead?: number;
  uniqueKeys?: number | null;
  written?: number;
  alreadyPresent?: number;
  conflicting?: number;
  expired?: number;
  throttledRetries?: number;
  message?: string;
  updatedAt?: string;
}

/** The sum DESIGN 3.6 requires: every line read is accounted for exactly once. */
export function countersAddUp(c: JobCounters): boolean {
  return (
    c.linesRead ===
    c.bad +
      c.noFingerprint +
      c.expired +
      c.duplicatesInSelection +
      c.written +
      c.alreadyPresent +
      c.conflicting
  );
}

/** Parses and checks summary.json; throws with the offending field when it is not a summary. */
export function parseJobSummary(text: string): JobSummary {
  const raw = JSON.parse(text) as Partial<JobSummary>;
  const counters = raw.counters as Partial<JobCounters> | undefined;
  if (typeof raw !== 'object' || raw === null || typeof counters !== 'object' || counters === null) {
    throw new Error('summary.json has no counters object');
  }
  for (const name of COUNTER_NAMES) {
    if (typeof counters[name] !== 'number')
      throw new Error(`summary.json: counters.${name} is missing or not a number`);
  }
  if (raw.unreadableFiles !== undefined && !Array.isArray(raw.unreadableFiles)) {
    throw new Error('summary.json: unreadableFiles is not a list');
  }
  if (raw.runEtlTimes !== undefined) {
    const r = raw.runEtlTimes as unknown;
    if (
      typeof r !== 'object' ||
      r === null ||
      Array.isArray(r) ||
      Object.values(r).some((v) => typeof v !== 'number')
    ) {
      throw new Error('summary.json: runEtlTimes is not an object of run id -> epoch seconds');
    }
  }
  if (raw.resume !== undefined && raw.resume !== null) {
    const r = raw.resume as unknown as Record<string, unknown>;
    if (typeof r !== 'object' || typeof r.resumedFrom !== 'string' || typeof r.writesSaved !== 'number') {
      throw new Error('summary.json: resume has no resumedFrom or writesSaved');
    }
  }
  // A job jar from before unreadableFiles existed (--jar) writes none: it then had none to report.
  return { ...raw, unreadableFiles: raw.unreadableFiles ?? [] } as JobSummary;
}

/** Keys handled by the write stage so far (for progress bars). */
export function keysDone(p: JobProgress): number {
  return (p.written ?? 0) + (p.alreadyPresent ?? 0) + (p.conflicting ?? 0) + (p.expired ?? 0);
}
