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
  runsSelected: string[];
  runsExcluded: number;
  ignoredPaths: string[];
  filesRead: number;
  bytesRead: number;
  /** Files set aside because they could not be read to their end; empty normally. */
  unreadableFiles: UnreadableFile[];
  counters: JobCounters;
  badByReason: Record<string, number>;
  throttledRetries: number;
  otherRetries: number;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
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
  // A job jar from before unreadableFiles existed (--jar) writes none: it then had none to report.
  return { ...raw, unreadableFiles: raw.unreadableFiles ?? [] } as JobSummary;
}

/** Keys handled by the write stage so far (for progress bars). */
export function keysDone(p: JobProgress): number {
  return (p.written ?? 0) + (p.alreadyPresent ?? 0) + (p.conflicting ?? 0) + (p.expired ?? 0);
}
