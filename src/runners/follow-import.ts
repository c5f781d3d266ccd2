/**
 * Follows a DynamoDB import (DescribeImport) to its end with the runners' polling loop. AWS imports
 * take minutes to hours, so the default look is every 30 s (DescribeImport's counters stay 0 until
 * the end anyway). Transient errors are looked through; an import DynamoDB does not know, or an
 * endpoint that keeps answering with something that is not DynamoDB, ends the following.
 */
import type { DynamoDbImportClient, ImportView } from '../aws/dynamodb-import.js';
import { isUserError } from '../domain/errors.js';
import { pollUntilFinal, type PollErrorVerdict } from './follow.js';

/** Between two looks at an import. */
export const IMPORT_FOLLOW_INTERVAL_MS = 30_000;
/**
 * Failed looks in a row tolerated for an import this process has just started (DynamoDB may not
 * list it at once) before "not found" is believed; for any other import it is believed at once.
 */
export const NOT_FOUND_GRACE_LOOKS = 3;
/**
 * Answers in a row that are not DynamoDB's (a 5xx HTML page: a proxy, or moto answering an unknown
 * ARN with HTTP 500) tolerated before giving up. Such an answer looks transient by its status, but
 * from a stand-in it never passes: without a bound, following would spin for the whole outage window.
 */
export const MAX_UNREADABLE_ANSWERS = 3;

export interface FollowImportOptions {
  /** Every look, the first and the final one included. */
  onUpdate?: (view: ImportView) => void;
  /** Told of a failed look that following goes on through, with the wait before the next. */
  onRetry?: (error: unknown, delayMs: number) => void;
  /** Between looks; default IMPORT_FOLLOW_INTERVAL_MS. */
  intervalMs?: number;
  /** Stops following (not the import) when aborted: the last view is returned, not final. */
  signal?: AbortSignal;
  /** Stops following after this long, as `signal` does; default none. */
  timeoutMs?: number;
  /** The import was started by this process just now: "not found" may be DynamoDB catching up. */
  startedHere?: boolean;
  /** How long transient errors may last in a row; default the runners' (30 minutes). */
  maxOutageMs?: number;
  /** Injected in tests. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * Looks at the import until it is COMPLETED, CANCELLED or FAILED and returns that view; when
 * `signal` aborts or `timeoutMs` passes, returns the last view seen (`final: false`).
 */
export async function followImport(
  client: Pick<DynamoDbImportClient, 'describeImport'>,
  importArn: string,
  o: FollowImportOptions = {},
): Promise<ImportView> {
  const timeout = new AbortController();
  const timer =
    o.timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(), Math.max(0, o.timeoutMs));
  const signal = o.signal === undefined ? timeout.signal : AbortSignal.any([o.signal, timeout.signal]);
  try {
    return await pollUntilFinal(() => client.describeImport(importArn), {
      signal,
      intervalMs: o.intervalMs ?? IMPORT_FOLLOW_INTERVAL_MS,
      onSnapshot: o.onUpdate,
      onRetry: o.onRetry,
      maxOutageMs: o.maxOutageMs,
      classifyError: (error, failures) => classifyImportError(error, failures, o.startedHere === true),
      wait: o.wait,
      now: o.now,
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** The import's exceptions to the loop's rule (see NOT_FOUND_GRACE_LOOKS, MAX_UNREADABLE_ANSWERS). */
export function classifyImportError(
  error: unknown,
  failures: number,
  startedHere: boolean,
): PollErrorVerdict | undefined {
  if (!isUserError(error)) return undefined;
  if (error.code === 'IMPORT_NOT_FOUND') {
    return startedHere && failures <= NOT_FOUND_GRACE_LOOKS ? 'retry' : 'fail';
  }
  if (error.code === 'DYNAMODB_ENDPOINT') return failures <= MAX_UNREADABLE_ANSWERS ? 'retry' : 'fail';
  return undefined;
}
