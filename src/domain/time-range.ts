import { DateTime } from 'luxon';

import { RUN_ID_FORMAT } from './contract.js';
import { UserError, type ValidationIssue } from './errors.js';
import { formatRunId, parseRunId } from './run-id.js';

/** Which runs to process: `since` inclusive, `until` exclusive, both UTC; absent means unbounded. */
export interface TimeRange {
  since?: DateTime;
  until?: DateTime;
}

/** The flag values as given (from flags or their environment twins). */
export interface TimeRangeFlags {
  since?: string;
  until?: string;
}

export type TimeRangeResult = { ok: true; range: TimeRange } | { ok: false; error: UserError };

const DATE_FORMAT = 'yyyy-MM-dd';
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_SHAPE = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/;
const FORMATS_TEXT = 'YYYY-MM-dd (e.g. 2017-01-26) or YYYY-MM-dd-HH-mm-ss (e.g. 2017-01-26-00-01-25), in UTC';

/** A flag's value as a UTC instant, or null when it is in neither accepted format or is not a real date. */
function parseFlagTime(value: string): DateTime | null {
  if (DATE_TIME_SHAPE.test(value)) return parseRunId(value);
  if (!DATE_SHAPE.test(value)) return null;
  const dt = DateTime.fromFormat(value, DATE_FORMAT, { zone: 'utc' });
  // The round trip rejects what luxon would normalize rather than refuse.
  return dt.isValid && dt.toFormat(DATE_FORMAT) === value ? dt : null;
}

function badValueIssue(flag: string, value: string): ValidationIssue {
  return {
    source: flag,
    path: '',
    message: `${flag} ${JSON.stringify(value)} is not a valid time: expected ${FORMATS_TEXT}`,
    hint: `Give ${flag} as YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss, e.g. ${flag} 2017-01-26.`,
  };
}

/**
 * Parses `--since` (inclusive) and `--until` (exclusive). Each takes `YYYY-MM-dd` or
 * `YYYY-MM-dd-HH-mm-ss`, UTC. Both flags are checked, so one error reports every problem.
 */
export function parseTimeRange(flags: TimeRangeFlags): TimeRangeResult {
  const issues: ValidationIssue[] = [];
  const range: TimeRange = {};
  if (flags.since !== undefined) {
    const since = parseFlagTime(flags.since);
    if (since === null) issues.push(badValueIssue('--since', flags.since));
    else range.since = since;
  }
  if (flags.until !== undefined) {
    const until = parseFlagTime(flags.until);
    if (until === null) issues.push(badValueIssue('--until', flags.until));
    else range.until = until;
  }
  if (
    range.since !== undefined &&
    range.until !== undefined &&
    range.since.toMillis() >= range.until.toMillis()
  ) {
    issues.push({
      source: '--until',
      path: '',
      message: `--since ${formatRunId(range.since)} is not before --until ${formatRunId(range.until)}, so no run can be selected (--since is inclusive, --until exclusive)`,
      hint: 'Give an --until later than --since, or leave one of them out.',
    });
  }
  if (issues.length === 0) return { ok: true, range };
  const first = issues[0] as ValidationIssue;
  return {
    ok: false,
    error: new UserError(issues.length === 1 ? first.message : issues.map((i) => i.message).join('; '), {
      hint: first.hint ?? '',
      code: 'INVALID_TIME_RANGE',
      issues,
    }),
  };
}

/** `parseTimeRange`, throwing its `UserError` (code `INVALID_TIME_RANGE`) when the flags are invalid. */
export function requireTimeRange(flags: TimeRangeFlags): TimeRange {
  const result = parseTimeRange(flags);
  if (!result.ok) throw result.error;
  return result.range;
}

/** The normalized `yyyy-MM-dd-HH-mm-ss` (UTC) form of an instant, as the Spark job's `--since`/`--until` take it. */
export function toJobRunId(dt: DateTime): string {
  return dt.toUTC().toFormat(RUN_ID_FORMAT);
}

/** True when a run starting at `dt` falls inside the range. */
export function isInRange(dt: DateTime, range: TimeRange): boolean {
  if (range.since !== undefined && dt.toMillis() < range.since.toMillis()) return false;
  if (range.until !== undefined && dt.toMillis() >= range.until.toMillis()) return false;
  return true;
}

/**
 * The run ids inside the range, oldest first, without duplicates. Strings that are not valid run
 * ids are never selected (the archive lister reports those folders).
 */
export function selectRuns(runIds: readonly string[], range: TimeRange): string[] {
  const selected = new Map<string, number>();
  for (const id of runIds) {
    const dt = parseRunId(id);
    if (dt !== null && isInRange(dt, range)) selected.set(id, dt.toMillis());
  }
  return [...selected.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
}
