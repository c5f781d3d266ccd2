/**
 * Pure classification of enriched-event TSV lines (DESIGN 3.1) and the expected manifest a
 * fresh table must hold after a back-fill (DESIGN 3.2, 3.6). This is the oracle the end-to-end
 * tests hold the Spark job's output against, and what `verify` reasons with.
 */

import type { JobCounters } from './job-report.js';
import {
  BAD_ROW_REASONS,
  ENRICHED_COLUMN_COUNT,
  ETL_TSTAMP_INDEX,
  EVENT_FINGERPRINT_INDEX,
  EVENT_ID_INDEX,
  TSV_TIMESTAMP_FORMAT,
  type EtlTimeMode,
} from './contract.js';

/** One of the stable reasons a line is bad (a whole unreadable file is not a line). */
export type BadRowReason = Exclude<
  (typeof BAD_ROW_REASONS)[keyof typeof BAD_ROW_REASONS],
  typeof BAD_ROW_REASONS.unreadableFile
>;

const LINE_BAD_ROW_REASONS: readonly BadRowReason[] = [
  BAD_ROW_REASONS.fieldCount,
  BAD_ROW_REASONS.eventId,
  BAD_ROW_REASONS.etlTstamp,
];

/** A manifest item's key. */
export interface ManifestKey {
  eventId: string;
  fingerprint: string;
}

/** A manifest item as the shredder writes it (etlTime and ttl in epoch seconds). */
export interface ManifestItem extends ManifestKey {
  etlTime: number;
  ttl: number;
}

/** What one TSV line is, for the populator. */
export type ClassifiedLine =
  | { kind: 'bad'; reason: BadRowReason }
  | { kind: 'noFingerprint'; eventId: string; etlTime: number }
  | { kind: 'valid'; eventId: string; fingerprint: string; etlTime: number };

/**
 * Any RFC 4122-shaped UUID (8-4-4-4-12 hex digits, either case); version and variant are not
 * checked, as the enrich jobs never did.
 */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// `yyyy-MM-dd HH:mm:ss` with an optional fraction of 1-9 digits: what Snowplow writes
// (`.SSS`) and what its Analytics SDKs accept. The job (Classify.scala) applies the same rule.
const TSTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?$/;

/**
 * Epoch seconds (truncated) of a TSV timestamp (`yyyy-MM-dd HH:mm:ss.SSS`, UTC; 0-9 fractional
 * digits accepted), or undefined when it is not one or names no real instant (2017-02-30, 24:00).
 */
export function parseEtlTimeSeconds(value: string): number | undefined {
  const m = TSTAMP_PATTERN.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  // Date.UTC rolls 2017-02-30 over to March: a day that does not exist comes back different.
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return Math.floor(ms / 1000);
}

/** Epoch seconds (truncated) of a valid TSV timestamp; throws on an invalid one. */
export function etlTimeSeconds(value: string): number {
  const seconds = parseEtlTimeSeconds(value);
  if (seconds === undefined) {
    throw new Error(`not a ${TSV_TIMESTAMP_FORMAT} UTC timestamp: ${JSON.stringify(value)}`);
  }
  return seconds;
}

/** Splits a TSV line on tabs, keeping trailing empty fields (a line end, LF or CRLF, is dropped). */
export function splitTsvLine(line: string): string[] {
  // Hadoop's LineRecordReader strips CRLF and LF; do the same so a line means the same thing here.
  const end = line.endsWith('\r\n') ? 2 : line.endsWith('\n') || line.endsWith('\r') ? 1 : 0;
  return (end === 0 ? line : line.slice(0, line.length - end)).split('\t');
}

/** Classifies one enriched-event TSV line exactly as the job does (DESIGN 3.1). */
export function classifyLine(line: string): ClassifiedLine {
  const fields = splitTsvLine(line);
  if (fields.length !== ENRICHED_COLUMN_COUNT) return { kind: 'bad', reason: BAD_ROW_REASONS.fieldCount };
  const eventId = fields[EVENT_ID_INDEX] ?? '';
  if (!UUID_PATTERN.test(eventId)) return { kind: 'bad', reason: BAD_ROW_REASONS.eventId };
  const etlTime = parseEtlTimeSeconds(fields[ETL_TSTAMP_INDEX] ?? '');
  if (etlTime === undefined) return { kind: 'bad', reason: BAD_ROW_REASONS.etlTstamp };
  const fingerprint = fields[EVENT_FINGERPRINT_INDEX] ?? '';
  if (fingerprint === '') return { kind: 'noFingerprint', eventId, etlTime };
  return { kind: 'valid', eventId, fingerprint, etlTime };
}

/** The lines of one run folder, as the job reads them. */
export interface RunLines {
  runId: string;
  lines: readonly string[];
}

/** How the expected manifest is computed (the job's own options). */
export interface ExpectedManifestOptions {
  etlTime: EtlTimeMode;
  ttlSeconds: number;
  /** Skip items whose ttl is already past (the default when TTL is enabled on the table). */
  skipExpired: boolean;
  /** "Now" in epoch seconds: an item is expired when ttl <= nowSeconds. */
  nowSeconds: number;
}

/** The job's counters (DESIGN 3.6), as its summary reports them. */
export type ManifestCounters = JobCounters;

/** A line the job must write to its bad-rows output. */
export interface BadRow {
  runId: string;
  /** 0-based position of the line in the run's lines. */
  lineIndex: number;
  line: string;
  reason: BadRowReason;
}

/** What a back-fill into a fresh table must produce. */
export interface ExpectedManifest {
  /** The items the table must hold, sorted by eventId then fingerprint. */
  items: ManifestItem[];
  /** Items that were not written because their ttl had passed, same order. */
  expiredItems: ManifestItem[];
  counters: ManifestCounters;
  badRows: BadRow[];
  badByReason: Record<BadRowReason, number>;
  /** The etlTime (epoch seconds) `run` mode gives each run with at least one valid line. */
  runEtlTimes: Record<string, number>;
}

/**
 * The exact items and counters a back-fill of `runs` into an empty table yields (DESIGN 3.2):
 * one item per (eventId, fingerprint), with the earliest etlTime among its occurrences; the
 * expiry check applies to that surviving item (dedupe first, so a key is never written with a
 * later etlTime than its first run's).
 */
export function expectedManifest(runs: readonly RunLines[], opts: ExpectedManifestOptions): ExpectedManifest {
  const counters: ManifestCounters = {
    linesRead: 0,
    bad: 0,
    noFingerprint: 0,
    expired: 0,
    duplicatesInSelection: 0,
    written: 0,
    alreadyPresent: 0,
    conflicting: 0,
  };
  const badByReason = Object.fromEntries(LINE_BAD_ROW_REASONS.map((r) => [r, 0])) as Record<
    BadRowReason,
    number
  >;
  const badRows: BadRow[] = [];
  const runEtlTimes: Record<string, number> = {};
  // Keyed by eventId + TAB + fingerprint: a tab can occur in neither.
  const byKey = new Map<string, ManifestItem>();

  for (const run of runs) {
    const classified = run.lines.map(classifyLine);
    let runEtlTime: number | undefined;
    for (const c of classified) {
      if (c.kind !== 'bad' && (runEtlTime === undefined || c.etlTime < runEtlTime)) runEtlTime = c.etlTime;
    }
    if (runEtlTime !== undefined) runEtlTimes[run.runId] = runEtlTime;

    classified.forEach((c, lineIndex) => {
      counters.linesRead++;
      if (c.kind === 'bad') {
        counters.bad++;
        badByReason[c.reason]++;
        badRows.push({ runId: run.runId, lineIndex, line: run.lines[lineIndex] ?? '', reason: c.reason });
        return;
      }
      if (c.kind === 'noFingerprint') {
        counters.noFingerprint++;
        return;
      }
      const etlTime = opts.etlTime === 'run' ? (runEtlTime ?? c.etlTime) : c.etlTime;
      const key = `${c.eventId}\t${c.fingerprint}`;
      const seen = byKey.get(key);
      if (seen !== undefined) {
        counters.duplicatesInSelection++;
        if (etlTime < seen.etlTime) {
          seen.etlTime = etlTime;
          seen.ttl = etlTime + opts.ttlSeconds;
        }
        return;
      }
      byKey.set(key, {
        eventId: c.eventId,
        fingerprint: c.fingerprint,
        etlTime,
        ttl: etlTime + opts.ttlSeconds,
      });
    });
  }

  const items: ManifestItem[] = [];
  const expiredItems: ManifestItem[] = [];
  for (const item of [...byKey.values()].sort(compareKeys)) {
    if (opts.skipExpired && item.ttl <= opts.nowSeconds) {
      counters.expired++;
      expiredItems.push(item);
    } else {
      counters.written++;
      items.push(item);
    }
  }
  return { items, expiredItems, counters, badRows, badByReason, runEtlTimes };
}

/** Orders manifest keys by eventId, then fingerprint (plain code-unit order, locale-free). */
export function compareKeys(a: ManifestKey, b: ManifestKey): number {
  if (a.eventId !== b.eventId) return a.eventId < b.eventId ? -1 : 1;
  if (a.fingerprint !== b.fingerprint) return a.fingerprint < b.fingerprint ? -1 : 1;
  return 0;
}
