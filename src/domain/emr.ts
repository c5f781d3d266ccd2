/**
 * EMR Serverless facts the CLI must get right (DESIGN 3.4): job run states, prices, the derived clientToken, Spark parameters and where the driver logs are. Pure.
 */
import { createHash } from 'node:crypto';
import { joinS3Uri } from './s3-uri.js';
import { DEFAULT_SPARK_FAMILY, SPARK_FAMILY } from './spark-family.js';

/** States after which a job run never changes again. */
export const FINAL_JOB_RUN_STATES = ['SUCCESS', 'FAILED', 'CANCELLED'] as const;
export type FinalJobRunState = (typeof FINAL_JOB_RUN_STATES)[number];

/**
 * True only for SUCCESS, FAILED and CANCELLED. Every other state (SUBMITTED, QUEUED, PENDING,
 * SCHEDULED, RUNNING, CANCELLING, and any the service adds later) is not final: tools that
 * treated an unknown state as final stopped following jobs that were still running.
 */
export function isFinalJobRunState(state: string | undefined): state is FinalJobRunState {
  return (FINAL_JOB_RUN_STATES as readonly (string | undefined)[]).includes(state);
}

/** us-east-1, x86_64 prices (DESIGN 3.4), in US dollars. */
export const EMR_PRICES = {
  region: 'us-east-1',
  architecture: 'x86_64',
  vCpuHour: 0.052624,
  memoryGbHour: 0.0057785,
  /** Per GB-hour of ephemeral storage beyond the 20 GB every worker gets free. */
  storageGbHour: 0.000111,
} as const;

/** EMR Serverless bills at least one minute per worker. */
export const MINIMUM_BILLED_SECONDS_PER_WORKER = 60;

/** vCPU-, memory- and storage-hours, as billedResourceUtilization reports them. */
export interface ResourceHours {
  vCpuHours: number;
  memoryGbHours: number;
  /** Billed storage only: what is beyond the free 20 GB per worker. */
  storageGbHours: number;
}

/** The dollars of some resource-hours at `EMR_PRICES`. */
export function emrCost(u: ResourceHours): number {
  return (
    u.vCpuHours * EMR_PRICES.vCpuHour +
    u.memoryGbHours * EMR_PRICES.memoryGbHour +
    u.storageGbHours * EMR_PRICES.storageGbHour
  );
}

/** The release label `--create-application` uses without `--release-label` or `--spark`: the newest emr-7.x. */
export const DEFAULT_RELEASE_LABEL = SPARK_FAMILY[DEFAULT_SPARK_FAMILY].defaultReleaseLabel;

export type { JarBuildInfo } from './spark-family.js';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The StartJobRun clientToken for a request (`populator-` + 40 hex digits of its SHA-256; the API
 * takes 1-64 characters of `[A-Za-z0-9._-]`). The SDK would otherwise send a random one, and a
 * submit retried after a lost answer would start a second job writing the same table.
 */
export function clientTokenFor(request: unknown): string {
  return `populator-${createHash('sha256').update(canonicalJson(request)).digest('hex').slice(0, 40)}`;
}

/** `--class <main> --conf k=v ...`, in the given order. Values never hold spaces or secrets. */
export function sparkSubmitParameters(mainClass: string, conf: Readonly<Record<string, string>>): string {
  return [`--class ${mainClass}`, ...Object.entries(conf).map(([k, v]) => `--conf ${k}=${v}`)].join(' ');
}

/**
 * The folder of a job run's logs under the log URI: `<logUri>/applications/<app>/jobs/<run>/`.
 * The driver's are `SPARK_DRIVER/{stdout,stderr}.gz` in it, or under `attempts/<n>/` when the run
 * was retried.
 */
export function jobRunLogPrefix(logUri: string, applicationId: string, jobRunId: string): string {
  return joinS3Uri(logUri, 'applications', applicationId, 'jobs', `${jobRunId}/`);
}

/** One driver log object found under a job run's log folder. */
export interface DriverLogObject {
  /** 1 for a run that was never retried (no attempts/ folder). */
  attempt: number;
  stream: 'stdout' | 'stderr';
  /** The key relative to the job run's log folder. */
  relativeKey: string;
}

/** The driver log objects among the keys under a job run's log folder, oldest attempt first. */
export function driverLogObjects(relativeKeys: readonly string[]): DriverLogObject[] {
  const out: DriverLogObject[] = [];
  for (const k of relativeKeys) {
    const m = /^(?:attempts\/(\d+)\/)?SPARK_DRIVER\/(stdout|stderr)\.gz$/.exec(k);
    if (m === null) continue;
    out.push({
      attempt: m[1] === undefined ? 1 : Number(m[1]),
      stream: m[2] as 'stdout' | 'stderr',
      relativeKey: k,
    });
  }
  return out.sort((a, b) => a.attempt - b.attempt || a.stream.localeCompare(b.stream));
}
