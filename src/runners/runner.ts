/**
 * Where a job runs, behind one small interface (start, look, follow, cancel, logs), so that
 * `submit`, `status`, `cancel` and `logs` never branch on the runner. A run is its record and its
 * output folder: a runner is handed a record and works from what the record says, so a later
 * process (`status`, `submit --resume`) picks a run up where another left it.
 */
import type { ResourceHours } from '../domain/emr.js';
import type { JobProgress, JobSummary } from '../domain/job-report.js';
import type { RunnerName, RunRecord } from '../domain/run-record.js';

/** One look at a run. */
export interface RunSnapshot {
  runName: string;
  runner: RunnerName;
  /**
   * EMR Serverless job run states (SUBMITTED, QUEUED, PENDING, SCHEDULED, RUNNING, CANCELLING,
   * SUCCESS, FAILED, CANCELLED, or one added later); the local runner uses RUNNING, SUCCESS and FAILED.
   */
  state: string;
  /** SUCCESS, FAILED or CANCELLED: the state never changes again. */
  final: boolean;
  /** Why it failed or was cancelled (the service's words, or the job's own reason). */
  stateDetails: string | null;
  createdAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Time spent waiting for capacity before it started. */
  queuedSeconds: number | null;
  /** The job's progress.json, when it wrote one. */
  progress: JobProgress | null;
  /** The job's summary.json, once it succeeded. */
  summary: JobSummary | null;
  /** What AWS billed, priced (EMR Serverless, once the run reports it). */
  billed: (ResourceHours & { usd: number }) | null;
  /** The Spark UI or history server (asked for only when wanted: it is rate-limited). */
  dashboardUrl: string | null;
  /** Where the driver's output is. */
  logs: { stdout: string | null; stderr: string | null };
  /** EMR Serverless coordinates. */
  applicationId: string | null;
  jobRunId: string | null;
  /** The job process's exit code, when this process ran it (local runner). */
  exitCode?: number | null;
}

/** The driver's output of one attempt. */
export interface DriverLog {
  attempt: number;
  stream: 'stdout' | 'stderr';
  /** Where it was read from. */
  location: string;
  text: string;
}

/** What `start` is given: the run's record (its coordinates still empty) and the job's arguments. */
export interface JobLaunch {
  record: RunRecord;
  jobArgs: readonly string[];
  /** Stops a job that runs in this process (the local runner) when aborted. */
  signal?: AbortSignal;
  /** Progress of a job that runs in this process, as it is written. */
  onProgress?: (p: JobProgress) => void;
}

export interface FollowOptions {
  /** Stops following (not the job) when aborted. */
  signal?: AbortSignal;
  /** Every look, the first and the final one included. */
  onSnapshot?: (s: RunSnapshot) => void;
  /** Between looks; default 10 s. */
  intervalMs?: number;
  /** A look failed for a reason that may pass (a dropped connection, a 5xx): following goes on. */
  onRetry?: (error: unknown, delayMs: number) => void;
}

export interface Runner {
  readonly name: RunnerName;
  /** Starts the job and returns its record with the runner's coordinates filled in. */
  start(launch: JobLaunch): Promise<RunRecord>;
  /** One look at a run; `dashboard` also asks for its dashboard URL. */
  status(record: RunRecord, opts?: { dashboard?: boolean }): Promise<RunSnapshot>;
  /** Looks until the run is final or `signal` aborts; returns the last look. */
  follow(record: RunRecord, opts?: FollowOptions): Promise<RunSnapshot>;
  /** Asks the run to stop (returns at once; follow to see it CANCELLED). */
  cancel(record: RunRecord): Promise<void>;
  /** The driver's output so far, every attempt. */
  logs(record: RunRecord, stream: 'stdout' | 'stderr'): Promise<DriverLog[]>;
  /** Closes connections. */
  close(): void;
}
