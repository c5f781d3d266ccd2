/**
 * The polling loop runners follow a run with, and the import is followed with: steady looks, slower
 * when the service throttles.
 */
import { isThrottling, isTransient } from '../aws/sdk-errors.js';
import type { RunRecord } from '../domain/run-record.js';
import type { JobProgress } from '../domain/job-report.js';
import type { Runner, RunSnapshot } from './runner.js';

/** Between two looks (GetJobRun allows 10 a second; a look every 10 s is far inside that). */
export const FOLLOW_INTERVAL_MS = 10_000;
/** The longest wait after repeated throttling. */
export const MAX_BACKOFF_MS = 60_000;
/** How long following goes on through transient errors (the job keeps running meanwhile) before giving up. */
export const MAX_OUTAGE_MS = 30 * 60_000;

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What the loop makes of a failed look: try again (as after a transient error), or give up. */
export type PollErrorVerdict = 'retry' | 'fail';

export interface PollOptions<T> {
  signal?: AbortSignal;
  intervalMs?: number;
  /** Every look, the first and the final one included. */
  onSnapshot?: (s: T) => void;
  /** Told of a transient error that following goes on through, with the wait before the next look. */
  onRetry?: (error: unknown, delayMs: number) => void;
  /** How long transient errors may last before the loop gives up; default MAX_OUTAGE_MS. */
  maxOutageMs?: number;
  /**
   * The caller's word on a failed look, before the loop's own rule (throttling and transient
   * errors tried again for up to `maxOutageMs`, anything else ends the loop); undefined leaves it
   * to the rule. `failures` counts the failed looks in a row, this one included.
   */
  classifyError?: (error: unknown, failures: number) => PollErrorVerdict | undefined;
  /** Injected in tests. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * Looks at something that ends (a job run, an import) until it is final or `signal` aborts, and
 * returns the last look. A throttled look doubles the wait (up to a minute) and is tried again; so
 * is a transient one (a dropped connection, a timeout, a 5xx answer past the SDK's own retries),
 * told to `onRetry`, for up to `maxOutageMs` in a row: the work goes on whether or not we can see
 * it. Any other error ends the loop, unless `classifyError` says otherwise.
 */
export async function pollUntilFinal<T extends { final: boolean }>(
  look: () => Promise<T>,
  o: PollOptions<T> = {},
): Promise<T> {
  const interval = o.intervalMs ?? FOLLOW_INTERVAL_MS;
  const wait = o.wait ?? sleep;
  const now = o.now ?? Date.now;
  let delay = interval;
  let last: T | undefined;
  let outageSince: number | undefined;
  let failures = 0;
  for (;;) {
    try {
      last = await look();
      delay = interval;
      outageSince = undefined;
      failures = 0;
      o.onSnapshot?.(last);
      if (last.final) return last;
    } catch (error) {
      // Throttled once more after Ctrl-C, with nothing seen yet: give up rather than spin.
      if (o.signal?.aborted && last === undefined) throw error;
      failures++;
      const verdict = o.classifyError?.(error, failures);
      if (verdict === 'fail') throw error;
      if (verdict === undefined && isThrottling(error)) delay = Math.min(MAX_BACKOFF_MS, delay * 2);
      else if (verdict === 'retry' || isTransient(error)) {
        outageSince ??= now();
        if (now() - outageSince > (o.maxOutageMs ?? MAX_OUTAGE_MS)) throw error;
        delay = Math.min(MAX_BACKOFF_MS, delay * 2);
        o.onRetry?.(error, delay);
      } else throw error;
    }
    if (o.signal?.aborted && last !== undefined) return last;
    await wait(delay, o.signal);
    if (o.signal?.aborted && last !== undefined) return last;
  }
}

/** How `submit --wait` and `status --watch` follow a run. */
export interface FollowToEndOptions {
  signal?: AbortSignal;
  log: (line: string) => void;
  onProgress: (p: JobProgress) => void;
  /** On Ctrl-C, cancel the run and follow it to CANCELLED instead of leaving it running. */
  cancelOnInterrupt?: boolean;
  followIntervalMs?: number;
}

/**
 * Follows an EMR job run (progress on `onProgress`, state changes logged) until it is final, or
 * until Ctrl-C: then it is left running (its snapshot is returned, not final), or with
 * `cancelOnInterrupt` cancelled and followed to CANCELLED.
 */
export async function followToEnd(
  runner: Runner,
  record: RunRecord,
  o: FollowToEndOptions,
): Promise<RunSnapshot> {
  let lastState = '';
  const onSnapshot = (s: RunSnapshot): void => {
    if (s.state !== lastState) {
      o.log(`Job run ${s.jobRunId ?? s.runName}: ${s.state}${s.stateDetails ? ` (${s.stateDetails})` : ''}`);
      lastState = s.state;
    }
    if (s.progress !== null) o.onProgress(s.progress);
  };
  const onRetry = (error: unknown, delayMs: number): void =>
    o.log(
      `Cannot see job run ${record.runName} just now (${error instanceof Error ? error.message : String(error)}); ` +
        `looking again in ${Math.round(delayMs / 1000)} s. The job keeps running meanwhile.`,
    );
  const last = await runner.follow(record, {
    signal: o.signal,
    onSnapshot,
    onRetry,
    intervalMs: o.followIntervalMs,
  });
  if (last.final || o.cancelOnInterrupt !== true) return last;
  o.log(`Cancelling job run ${last.jobRunId ?? record.runName} (--cancel-on-interrupt)...`);
  await runner.cancel(record);
  return runner.follow(record, {
    onSnapshot,
    onRetry,
    intervalMs: Math.min(o.followIntervalMs ?? 5000, 5000),
  });
}
