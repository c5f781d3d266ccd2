/**
 * What `populator submit` takes and answers: its options (the inputs the validator checks, plus
 * what the run needs) and its outcomes, shared by the pipeline (`submit.ts`) and each runner's
 * submit half (`submit-local.ts`, `submit-emr.ts`).
 */
import type { DateTime } from 'luxon';
import type { ImportView } from '../aws/dynamodb-import.js';
import type { ImportBilling } from '../domain/inputs.js';
import type { EtlTimeMode } from '../domain/contract.js';
import type { ResourceHours } from '../domain/emr.js';
import { UserError } from '../domain/errors.js';
import type { JobProgress, JobSummary, UnreadableFile } from '../domain/job-report.js';
import type { Plan } from '../domain/plan.js';
import type { RunnerName } from '../domain/run-record.js';
import type { WriteRateSource } from '../domain/write-rate.js';
import type { RunSnapshot } from '../runners/runner.js';
import type { ResumableRun } from './resume.js';
import type { CheckedSubmit, SubmitInputs } from './submit-inputs.js';

export interface SubmitOptions extends SubmitInputs {
  etlTime: EtlTimeMode;
  maxInFlight?: number;
  ttlSeconds: number;
  /** Look every key up first (BatchGetItem, eventually consistent) and write only the missing ones. */
  skipPresent?: boolean;
  /** Where run records are kept; no record when absent (the demo). */
  recordsDir?: string;
  /** The plan only: no write request to any service, no run record. */
  dryRun?: boolean;
  /** EMR Serverless: follow the job run to its end (the local runner always does). */
  wait?: boolean;
  /** EMR Serverless with `wait`: cancel the job run on Ctrl-C instead of leaving it running. */
  cancelOnInterrupt?: boolean;
  master: string;
  /** Flags whose value came from an environment variable, with that variable (for messages). */
  fromEnv?: Readonly<Record<string, string>>;
  cacheDir: string;
  now: DateTime;
  onProgress: (p: JobProgress) => void;
  /** The plan, as soon as it is known (before anything is written). */
  onPlan?: (plan: Plan) => void;
  /** Bytes of the jar uploaded so far. */
  onUpload?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  /** Between looks at an EMR job run; default 10 s. */
  followIntervalMs?: number;
  /** `--import`: each look at the import (DescribeImport). */
  onImport?: (view: ImportView) => void;
  /** Between looks at an import; default 30 s. */
  importFollowIntervalMs?: number;
  /**
   * `--resume`: the failed or stopped run to go on from. The job gets `--resume-from <its folder>`
   * and sends only what its progress records do not show as written; the inputs must be its own.
   */
  resume?: ResumableRun;
}

/** EMR Serverless coordinates of a submitted run. */
export interface SubmittedEmrRun {
  applicationId: string;
  jobRunId: string;
  /** The application was created by this submit. */
  createdApplication: boolean;
  /** This submit found the job run an earlier identical submit started: nothing new was started. */
  reused: boolean;
  clientToken: string;
  jar: string;
  jarUploaded: boolean;
  logUri: string;
  releaseLabel: string;
}

/** What every outcome has. */
export interface SubmitFacts {
  runner: RunnerName;
  archive: string;
  table: string;
  region: string;
  etlTime: EtlTimeMode;
  since: string | null;
  until: string | null;
  writeRate: number;
  /** `import`: the job writes files for DynamoDB's import, not items (no write rate). */
  writeRateSource: 'flag' | WriteRateSource | 'import';
  skipExpired: boolean;
  /** The staging root. */
  staging: string;
  /** `--resume`: the run this one goes on from. */
  resumedFrom: string | null;
  plan: Plan;
  warnings: string[];
}

/** `--dry-run`: the plan, nothing else. */
export interface PlannedSubmit extends SubmitFacts {
  status: 'PLANNED';
}

/** Started and not followed to its end (no `--wait`, or Ctrl-C while waiting). */
export interface PendingSubmit extends SubmitFacts {
  status: 'SUBMITTED' | 'RUNNING';
  runName: string;
  output: string;
  recordFile: string | null;
  emr: SubmittedEmrRun;
  jobRun: RunSnapshot;
}

/** The job ran and succeeded. */
export interface SubmitResult extends SubmitFacts {
  status: 'SUCCEEDED';
  runName: string;
  /** The run's own folder: summary.json, progress.json, bad-rows/. */
  output: string;
  recordFile: string | null;
  /** The local driver log, or the EMR driver's stderr object. */
  logFile: string;
  badRows: string;
  /** Files the job could not read to their end (also in `summary`); the job still succeeded. */
  unreadableFiles: UnreadableFile[];
  summary: JobSummary;
  emr: SubmittedEmrRun | null;
  /** What EMR Serverless billed, priced at us-east-1 x86 rates (null for the local runner). */
  billed: (ResourceHours & { usd: number }) | null;
  /** `--import`: the import that created the table from the job's files; absent otherwise. */
  import?: SubmitImportOutcome;
}

/** How `--import`'s ImportTable ended, with its own counters and what it cost. */
export interface SubmitImportOutcome {
  importArn: string;
  status: string;
  table: string;
  billing: ImportBilling;
  /** The job's files: `s3://.../runs/<run>/import/`, objects, items, uncompressed bytes. */
  folder: string;
  objects: number;
  items: number;
  bytes: number;
  /** ImportTable's price for `bytes` (us-east-1's $ per GB of uncompressed source). */
  usd: number;
  processedItemCount: number;
  importedItemCount: number;
  /** As DescribeImport says it (uncompressed bytes on AWS). */
  processedSizeBytes: number;
  errorCount: number;
  logGroup: string | null;
  ttl: 'ENABLED' | 'ALREADY_ENABLED';
  startedAt: string | null;
  endedAt: string | null;
}

export type SubmitOutcome = PlannedSubmit | PendingSubmit | SubmitResult;

/** Thrown when the job ran and failed, or was stopped: the message is its own reason. Exit code 4. */
export class JobFailedError extends UserError {}

/** A runner's half of submit: from the checked inputs and the plan to a started or finished run. */
export type SubmitRunner = (
  c: CheckedSubmit,
  facts: SubmitFacts,
  o: SubmitOptions,
) => Promise<PendingSubmit | SubmitResult>;
