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
  MAX_LINE_BYTES,
  MAX_SORT_KEY_BYTES,
  TSV_TIMESTAMP_FORMAT,
  type EtlTimeMode,
} from './contract.js';

/** One of the stable reasons a line is bad (a whole unreadable file is not a line). */
export type BadRowReason = Exclude<
  (typeof BAD_ROW_REASONS)[keyof typeof BAD_ROW_REASONS],
  typeof BAD_ROW_REASONS.unreadableFile
>;

/** Every reason a line can be bad for, in the order the checks run. */
export const LINE_BAD_ROW_REASONS: readonly BadRowReason[] = [
  BAD_ROW_REASONS.lineTooLong,
  BAD_ROW_REASONS.fieldCount,
  BAD_ROW_REASONS.eventId,
  BAD_ROW_REASONS.etlTstamp,
  BAD_ROW_REASONS.fingerprintTooLong,
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
  // Year 0 does not exist in the format's calendar (years of the era, from 1), as for the job.
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return undefined;
  // Not Date.UTC(y, ...): it maps years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, sec, 0);
  // A day that does not exist (2017-02-30) rolls over to the next month: it comes back different.
  if (date.getUTCDate() !== d) return undefined;
  return Math.floor(date.getTime() / 1000);
}

/** Epoch seconds (truncated) of a valid TSV timestamp; throws on an invalid one. */
export function etlTimeSeconds(value: string): number {
  const seconds = parseEtlTimeSeconds(value);
  if (seconds === undefined) {
    throw new Error(`not a ${TSV_TIMESTAMP_FORMAT} UTC timestamp: ${JSON.stringify(value)}`);
  }
  return seconds;
}

const REPLACEMENT_UTF8 = Buffer.from([0xef, 0xbf, 0xbd]);

/**
 * Bytes to text exactly as the job decodes a line (Hadoop's `Text.toString`: the JDK's UTF-8
 * decoder, U+FFFD for what is malformed). It differs from Node's (WHATWG) decoding in one case:
 * an encoded surrogate (`ED` followed by `A0`-`BF`, with its continuation byte if there is one) is
 * one U+FFFD for the JDK, one per byte for Node; such sequences are replaced first. Checked against
 * the JDK on 20,000 random malformed sequences. Matters for any key read outside the job (verify):
 * a fingerprint with such bytes must be the same string the job wrote.
 */
export function decodeUtf8AsJob(bytes: Buffer): string {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    const next = bytes[i + 1];
    if (bytes[i] === 0xed && next !== undefined && next >= 0xa0 && next <= 0xbf) {
      parts.push(bytes.subarray(from, i), REPLACEMENT_UTF8);
      const third = bytes[i + 2];
      i += third !== undefined && third >= 0x80 && third <= 0xbf ? 2 : 1;
      from = i + 1;
    }
  }
  if (parts.length === 0) return bytes.toString('utf8');
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The lines the job reads from a file's (decompressed) bytes, as Hadoop's LineReader yields them:
 * LF, CR and CRLF all end a line and are dropped, a last line without a line end still counts,
 * nothing after a final line end does; each line decoded by `decodeUtf8AsJob`.
 */
export function hadoopLines(bytes: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === 0x0a || b === 0x0d) {
      lines.push(decodeUtf8AsJob(bytes.subarray(start, i)));
      i += b === 0x0d && bytes[i + 1] === 0x0a ? 2 : 1;
      start = i;
    } else i++;
  }
  if (start < bytes.length) lines.push(decodeUtf8AsJob(bytes.subarray(start)));
  return lines;
}

/** A line without its line end (CRLF, LF or CR), as Hadoop's LineReader yields it. */
function stripLineEnd(line: string): string {
  const end = line.endsWith('\r\n') ? 2 : line.endsWith('\n') || line.endsWith('\r') ? 1 : 0;
  return end === 0 ? line : line.slice(0, line.length - end);
}

/** Splits a TSV line on tabs, keeping trailing empty fields (a line end, LF or CRLF, is dropped). */
export function splitTsvLine(line: string): string[] {
  return stripLineEnd(line).split('\t');
}

/** UTF-8 length of a string, without encoding it (lone surrogates count as U+FFFD's 3 bytes). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Classifies one enriched-event TSV line exactly as the job does (DESIGN 3.1), checks in the order
 * of LINE_BAD_ROW_REASONS: length, field count, event_id, etl_tstamp, fingerprint size.
 */
export function classifyLine(line: string): ClassifiedLine {
  const text = stripLineEnd(line);
  // Cheap bound first: a string of n UTF-16 units has at most 3n UTF-8 bytes.
  if (text.length * 3 > MAX_LINE_BYTES && utf8Length(text) > MAX_LINE_BYTES) {
    return { kind: 'bad', reason: BAD_ROW_REASONS.lineTooLong };
  }
  const fields = text.split('\t');
  if (fields.length !== ENRICHED_COLUMN_COUNT) return { kind: 'bad', reason: BAD_ROW_REASONS.fieldCount };
  const eventId = fields[EVENT_ID_INDEX] ?? '';
  if (!UUID_PATTERN.test(eventId)) return { kind: 'bad', reason: BAD_ROW_REASONS.eventId };
  const etlTime = parseEtlTimeSeconds(fields[ETL_TSTAMP_INDEX] ?? '');
  if (etlTime === undefined) return { kind: 'bad', reason: BAD_ROW_REASONS.etlTstamp };
  const fingerprint = fields[EVENT_FINGERPRINT_INDEX] ?? '';
  if (fingerprint === '') return { kind: 'noFingerprint', eventId, etlTime };
  // DynamoDB refuses a longer sort key (ValidationException); an event id is a UUID, far below
  // the partition key's limit, and etlTime/ttl are small integers: nothing else can break an item.
  if (utf8Length(fingerprint) > MAX_SORT_KEY_BYTES)
    return { kind: 'bad', reason: BAD_ROW_REASONS.fingerprintTooLong };
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
