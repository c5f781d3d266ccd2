import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  BAD_ROW_REASONS,
  DEFAULT_TTL_SECONDS,
  ENRICHED_COLUMN_COUNT,
  ETL_TSTAMP_INDEX,
  EVENT_FINGERPRINT_INDEX,
  EVENT_ID_INDEX,
} from '../../../src/domain/contract.js';
import { REFERENCE_ENRICHED_LINE } from '../../../src/domain/demo-archive.js';
import {
  classifyLine,
  etlTimeSeconds,
  expectedManifest,
  parseEtlTimeSeconds,
  splitTsvLine,
  type ExpectedManifestOptions,
} from '../../../src/domain/enriched.js';

const REFERENCE_FILE = '/work/shared/reference/sample-enriched-event.tsv';
const REF_EVENT_ID = '1799a90f-f570-4414-b91a-b0db8f39cc2e';
const REF_FINGERPRINT = 'bed9a39a0917874d2ff072033a6413d9';

/** The reference line with some fields replaced. */
function line(changes: { etl?: string; eventId?: string; fingerprint?: string } = {}): string {
  const fields = REFERENCE_ENRICHED_LINE.split('\t');
  if (changes.etl !== undefined) fields[ETL_TSTAMP_INDEX] = changes.etl;
  if (changes.eventId !== undefined) fields[EVENT_ID_INDEX] = changes.eventId;
  if (changes.fingerprint !== undefined) fields[EVENT_FINGERPRINT_INDEX] = changes.fingerprint;
  return fields.join('\t');
}

const ID_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ID_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const FP_1 = '11111111111111111111111111111111';
const FP_2 = '22222222222222222222222222222222';
const t = (s: string): number => etlTimeSeconds(s);
const opts = (o: Partial<ExpectedManifestOptions> = {}): ExpectedManifestOptions => ({
  etlTime: 'run',
  ttlSeconds: DEFAULT_TTL_SECONDS,
  skipExpired: false,
  nowSeconds: 0,
  ...o,
});

describe('the reference line', () => {
  it.skipIf(!existsSync(REFERENCE_FILE))('is embedded verbatim', () => {
    expect(REFERENCE_ENRICHED_LINE).toBe(readFileSync(REFERENCE_FILE, 'utf8').replace(/\n$/, ''));
  });

  it('has 131 fields, the last one empty', () => {
    const fields = splitTsvLine(REFERENCE_ENRICHED_LINE);
    expect(fields).toHaveLength(ENRICHED_COLUMN_COUNT);
    expect(fields.at(-1)).toBe('');
  });

  it('is a valid event with its id, fingerprint and etl time', () => {
    expect(classifyLine(REFERENCE_ENRICHED_LINE)).toEqual({
      kind: 'valid',
      eventId: REF_EVENT_ID,
      fingerprint: REF_FINGERPRINT,
      etlTime: Date.UTC(2016, 10, 27, 8, 46, 40) / 1000,
    });
  });

  it('is the same event with a LF or CRLF line end', () => {
    expect(classifyLine(`${REFERENCE_ENRICHED_LINE}\n`)).toEqual(classifyLine(REFERENCE_ENRICHED_LINE));
    expect(classifyLine(`${REFERENCE_ENRICHED_LINE}\r\n`)).toEqual(classifyLine(REFERENCE_ENRICHED_LINE));
    expect(classifyLine(`${REFERENCE_ENRICHED_LINE}\r`)).toEqual(classifyLine(REFERENCE_ENRICHED_LINE));
  });
});

describe('etlTimeSeconds', () => {
  it('truncates to epoch seconds, UTC', () => {
    expect(etlTimeSeconds('2017-01-26 00:01:25.292')).toBe(1485388885);
    expect(etlTimeSeconds('2017-01-26 00:01:25.999')).toBe(1485388885);
    expect(etlTimeSeconds('2017-01-26 00:01:25.292') + DEFAULT_TTL_SECONDS).toBe(1500940885);
  });

  it('accepts 0 to 9 fractional digits, as the Snowplow Analytics SDKs do', () => {
    expect(etlTimeSeconds('2017-01-26 00:01:25')).toBe(1485388885);
    expect(etlTimeSeconds('2017-01-26 00:01:25.29')).toBe(1485388885);
    expect(etlTimeSeconds('2017-01-26 00:01:25.292000')).toBe(1485388885);
  });

  it('handles leap days and the epoch', () => {
    expect(etlTimeSeconds('2024-02-29 12:00:00.000')).toBe(Date.UTC(2024, 1, 29, 12) / 1000);
    expect(etlTimeSeconds('1970-01-01 00:00:00.000')).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['ISO with T and Z', '2017-01-26T00:01:25.292Z'],
    ['ten fractional digits', '2017-01-26 00:01:25.2920000000'],
    ['a dot without digits', '2017-01-26 00:01:25.'],
    ['single-digit month', '2017-1-26 00:01:25.292'],
    ['February 30th', '2017-02-30 00:01:25.292'],
    ['hour 24', '2017-01-26 24:00:00.000'],
    ['leap second', '2016-12-31 23:59:60.000'],
    ['leading space', ' 2017-01-26 00:01:25.292'],
    ['a zone', '2017-01-26 00:01:25.292+01:00'],
    ['null', 'null'],
  ])('rejects %s', (_name, value) => {
    expect(parseEtlTimeSeconds(value)).toBeUndefined();
    expect(() => etlTimeSeconds(value)).toThrow(/not a yyyy-MM-dd HH:mm:ss.SSS UTC timestamp/);
  });
});

describe('classifyLine', () => {
  const fields = REFERENCE_ENRICHED_LINE.split('\t');

  it.each([
    ['an empty line', ''],
    ['130 fields (trailing empty field lost)', fields.slice(0, -1).join('\t')],
    ['132 fields (a tab inside a value)', [...fields, ''].join('\t')],
    ['a truncated line', REFERENCE_ENRICHED_LINE.slice(0, 300)],
  ])('is FIELD_COUNT for %s', (_name, text) => {
    expect(classifyLine(text)).toEqual({ kind: 'bad', reason: BAD_ROW_REASONS.fieldCount });
  });

  it.each([
    ['empty', ''],
    ['not a UUID', 'not-a-uuid'],
    ['no dashes', '1799a90ff5704414b91ab0db8f39cc2e'],
    ['one digit short', '1799a90f-f570-4414-b91a-b0db8f39cc2'],
    ['braces', '{1799a90f-f570-4414-b91a-b0db8f39cc2e}'],
    ['a non-hex digit', '1799a90f-f570-4414-b91a-b0db8f39cc2g'],
  ])('is INVALID_EVENT_ID for an event_id that is %s', (_name, eventId) => {
    expect(classifyLine(line({ eventId }))).toEqual({ kind: 'bad', reason: BAD_ROW_REASONS.eventId });
  });

  it('accepts an upper-case UUID as it is', () => {
    const eventId = REF_EVENT_ID.toUpperCase();
    expect(classifyLine(line({ eventId }))).toMatchObject({ kind: 'valid', eventId });
  });

  it('is INVALID_ETL_TSTAMP for an etl_tstamp that does not parse', () => {
    for (const etl of ['', '2017-02-30 00:01:25.292', '2017-01-26T00:01:25.292Z']) {
      expect(classifyLine(line({ etl }))).toEqual({ kind: 'bad', reason: BAD_ROW_REASONS.etlTstamp });
    }
  });

  it('checks the field count first, then event_id, then etl_tstamp', () => {
    const both = line({ eventId: 'nope', etl: 'nope' });
    expect(classifyLine(both)).toEqual({ kind: 'bad', reason: BAD_ROW_REASONS.eventId });
    expect(classifyLine(`${both}\textra`)).toEqual({ kind: 'bad', reason: BAD_ROW_REASONS.fieldCount });
  });

  it('is noFingerprint for a valid line with an empty fingerprint', () => {
    expect(classifyLine(line({ fingerprint: '' }))).toEqual({
      kind: 'noFingerprint',
      eventId: REF_EVENT_ID,
      etlTime: Date.UTC(2016, 10, 27, 8, 46, 40) / 1000,
    });
  });
});

describe('expectedManifest', () => {
  // Run 1: a bad line with the earliest timestamp (ignored), a no-fingerprint line that sets the
  // run's etlTime, two events, one of them twice.
  const run1 = {
    runId: '2017-01-26-00-00-00',
    lines: [
      line({ eventId: 'bad', etl: '2017-01-26 00:00:00.000' }),
      line({ eventId: ID_A, fingerprint: FP_1, etl: '2017-01-26 00:01:25.292' }),
      line({ eventId: ID_B, fingerprint: '', etl: '2017-01-26 00:01:10.500' }),
      line({ eventId: ID_B, fingerprint: FP_1, etl: '2017-01-26 00:01:40.000' }),
      line({ eventId: ID_A, fingerprint: FP_1, etl: '2017-01-26 00:01:25.292' }),
    ],
  };
  // Run 2: run 1's event A again (later), and A with another fingerprint.
  const run2 = {
    runId: '2017-01-27-00-00-00',
    lines: [
      line({ eventId: ID_A, fingerprint: FP_1, etl: '2017-01-27 00:05:00.000' }),
      line({ eventId: ID_A, fingerprint: FP_2, etl: '2017-01-27 00:05:30.000' }),
      REFERENCE_ENRICHED_LINE.slice(0, 100),
    ],
  };
  const run1Etl = t('2017-01-26 00:01:10.500');
  const run2Etl = t('2017-01-27 00:05:00.000');

  it('run mode: every event of a run gets the earliest valid etl_tstamp of the run, no-fingerprint lines included', () => {
    const m = expectedManifest([run1, run2], opts({ etlTime: 'run' }));
    expect(m.runEtlTimes).toEqual({ [run1.runId]: run1Etl, [run2.runId]: run2Etl });
    expect(m.items).toEqual([
      { eventId: ID_A, fingerprint: FP_1, etlTime: run1Etl, ttl: run1Etl + DEFAULT_TTL_SECONDS },
      { eventId: ID_A, fingerprint: FP_2, etlTime: run2Etl, ttl: run2Etl + DEFAULT_TTL_SECONDS },
      { eventId: ID_B, fingerprint: FP_1, etlTime: run1Etl, ttl: run1Etl + DEFAULT_TTL_SECONDS },
    ]);
  });

  it('event mode: every event gets its own etl_tstamp', () => {
    const m = expectedManifest([run1, run2], opts({ etlTime: 'event' }));
    expect(m.items.map((i) => [i.eventId, i.fingerprint, i.etlTime])).toEqual([
      [ID_A, FP_1, t('2017-01-26 00:01:25.292')],
      [ID_A, FP_2, t('2017-01-27 00:05:30.000')],
      [ID_B, FP_1, t('2017-01-26 00:01:40.000')],
    ]);
    expect(m.items[0]).toEqual({ eventId: ID_A, fingerprint: FP_1, etlTime: 1485388885, ttl: 1500940885 });
  });

  it('counts every line once, and the counters add up', () => {
    const m = expectedManifest([run1, run2], opts());
    expect(m.counters).toEqual({
      linesRead: 8,
      bad: 2,
      noFingerprint: 1,
      expired: 0,
      duplicatesInSelection: 2,
      written: 3,
      alreadyPresent: 0,
      conflicting: 0,
    });
    const c = m.counters;
    expect(c.bad + c.noFingerprint + c.expired + c.duplicatesInSelection + c.written).toBe(c.linesRead);
  });

  it('lists the bad lines with their run, position and reason', () => {
    const m = expectedManifest([run1, run2], opts());
    expect(m.badRows).toEqual([
      { runId: run1.runId, lineIndex: 0, line: run1.lines[0], reason: BAD_ROW_REASONS.eventId },
      { runId: run2.runId, lineIndex: 2, line: run2.lines[2], reason: BAD_ROW_REASONS.fieldCount },
    ]);
    expect(m.badByReason).toEqual({
      LINE_TOO_LONG: 0,
      FIELD_COUNT: 1,
      INVALID_EVENT_ID: 1,
      INVALID_ETL_TSTAMP: 0,
      FINGERPRINT_TOO_LONG: 0,
    });
  });

  it('keeps the earliest etlTime of a key whatever the order of the runs', () => {
    for (const mode of ['run', 'event'] as const) {
      const forward = expectedManifest([run1, run2], opts({ etlTime: mode }));
      const backward = expectedManifest([run2, run1], opts({ etlTime: mode }));
      expect(backward.items).toEqual(forward.items);
      expect(backward.counters).toEqual(forward.counters);
    }
  });

  it('skips items whose ttl is at or before now when asked, after deduplication', () => {
    const ttlA = run1Etl + DEFAULT_TTL_SECONDS;
    const m = expectedManifest([run1, run2], opts({ skipExpired: true, nowSeconds: ttlA }));
    // Both run-1 items expire at ttlA; A/FP_1 is not revived by its later copy in run 2.
    expect(m.expiredItems.map((i) => [i.eventId, i.fingerprint])).toEqual([
      [ID_A, FP_1],
      [ID_B, FP_1],
    ]);
    expect(m.items.map((i) => [i.eventId, i.fingerprint])).toEqual([[ID_A, FP_2]]);
    expect(m.counters).toMatchObject({ expired: 2, written: 1, duplicatesInSelection: 2, linesRead: 8 });

    const earlier = expectedManifest([run1, run2], opts({ skipExpired: true, nowSeconds: ttlA - 1 }));
    expect(earlier.counters).toMatchObject({ expired: 0, written: 3 });
    const off = expectedManifest([run1, run2], opts({ skipExpired: false, nowSeconds: ttlA + 10 ** 9 }));
    expect(off.counters).toMatchObject({ expired: 0, written: 3 });
  });

  it('uses the given ttlSeconds', () => {
    const m = expectedManifest([run1], opts({ etlTime: 'event', ttlSeconds: 60 }));
    expect(m.items[0]).toMatchObject({ etlTime: 1485388885, ttl: 1485388945 });
  });

  it('gives a run of bad lines no etlTime and no items', () => {
    const m = expectedManifest([{ runId: 'r', lines: ['', 'x\ty'] }], opts());
    expect(m.runEtlTimes).toEqual({});
    expect(m.items).toEqual([]);
    expect(m.counters).toMatchObject({ linesRead: 2, bad: 2, written: 0 });
  });
});
