/**
 * Service rules beyond the model's constraints (pure): which release labels exist, which job
 * timeouts a release takes, what a role ARN's account is.
 */

/** A release label the service knows: `emr-6.6.0` .. `emr-6.15.0`, `emr-7.0.0` .. `emr-7.13.0`, `emr-spark-8.N.N`. */
export function parseReleaseLabel(label: string): { major: number; minor: number } | undefined {
  const classic = /^emr-(\d+)\.(\d+)\.0$/.exec(label);
  if (classic) {
    const major = Number(classic[1]);
    const minor = Number(classic[2]);
    if ((major === 6 && minor >= 6 && minor <= 15) || (major === 7 && minor <= 13)) return { major, minor };
    return undefined;
  }
  const spark8 = /^emr-spark-8\.(\d+)\.(\d+)$/.exec(label);
  if (spark8) return { major: 8, minor: Number(spark8[1]) };
  return undefined;
}

/** True for releases from `major.minor` on. */
export function releaseAtLeast(label: string, major: number, minor: number): boolean {
  const r = parseReleaseLabel(label);
  return r !== undefined && (r.major > major || (r.major === major && r.minor >= minor));
}

/** The service's default `executionTimeoutMinutes` (12 hours). */
export const DEFAULT_EXECUTION_TIMEOUT_MINUTES = 720;
/** From emr-7.11 a batch job run may last at most 7 days, and 0 (no timeout) is refused. */
export const MAX_BATCH_TIMEOUT_MINUTES_FROM_7_11 = 10_080;
/** The shortest timeout the service takes (0 means none, where allowed). */
export const MIN_EXECUTION_TIMEOUT_MINUTES = 5;

/** Why the service refuses this timeout for this release and mode, if it does. */
export function executionTimeoutProblem(
  minutes: number | undefined,
  releaseLabel: string,
  mode: 'BATCH' | 'STREAMING',
): string | undefined {
  if (minutes === undefined) return undefined;
  if (minutes !== 0 && minutes < MIN_EXECUTION_TIMEOUT_MINUTES) {
    return `RunTimeout must be at least ${MIN_EXECUTION_TIMEOUT_MINUTES} minutes.`;
  }
  if (mode === 'BATCH' && releaseAtLeast(releaseLabel, 7, 11)) {
    if (minutes === 0) {
      return `executionTimeoutMinutes 0 (no timeout) is not supported for batch job runs on ${releaseLabel}: use 1 to ${MAX_BATCH_TIMEOUT_MINUTES_FROM_7_11} minutes.`;
    }
    if (minutes > MAX_BATCH_TIMEOUT_MINUTES_FROM_7_11) {
      return `executionTimeoutMinutes must be at most ${MAX_BATCH_TIMEOUT_MINUTES_FROM_7_11} minutes for batch job runs on ${releaseLabel}.`;
    }
  }
  return undefined;
}

/** The account id of an IAM ARN (`arn:aws:iam::<account>:role/x`). */
export function arnAccount(arn: string): string | undefined {
  return arn.split(':')[4];
}

/** Bucket and key of an `s3://` (or `s3a://`) URI; undefined for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) return undefined;
  return { bucket: m[1], key: m[2] ?? '' };
}
