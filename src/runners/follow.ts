/** The polling loop runners follow a run with: steady looks, slower when the service throttles. */
import { isThrottling } from '../aws/sdk-errors.js';
import type { RunSnapshot } from './runner.js';

/** Between two looks (GetJobRun allows 10 a second; a look every 10 s is far inside that). */
export const FOLLOW_INTERVAL_MS = 10_000;
/** The longest wait after repeated throttling. */
export const MAX_BACKOFF_MS = 60_000;

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

export interface PollOptions {
  signal?: AbortSignal;
  intervalMs?: number;
  onSnapshot?: (s: RunSnapshot) => void;
  /** Injected in tests. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Looks at a run until it is final or `signal` aborts, and returns the last look. A throttled look
 * doubles the wait (up to a minute) and is tried again; any other error ends the loop.
 */
export async function pollUntilFinal(
  look: () => Promise<RunSnapshot>,
  o: PollOptions = {},
): Promise<RunSnapshot> {
  const interval = o.intervalMs ?? FOLLOW_INTERVAL_MS;
  const wait = o.wait ?? sleep;
  let delay = interval;
  let last: RunSnapshot | undefined;
  for (;;) {
    try {
      last = await look();
      delay = interval;
      o.onSnapshot?.(last);
      if (last.final) return last;
    } catch (error) {
      // Throttled once more after Ctrl-C, with nothing seen yet: give up rather than spin.
      if (!isThrottling(error) || (o.signal?.aborted && last === undefined)) throw error;
      delay = Math.min(MAX_BACKOFF_MS, delay * 2);
    }
    if (o.signal?.aborted && last !== undefined) return last;
    await wait(delay, o.signal);
    if (o.signal?.aborted && last !== undefined) return last;
  }
}
