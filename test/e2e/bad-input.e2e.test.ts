/**
 * The bad-input corpus, end to end (real job jar, local Spark, dynalite): an archive holding
 * everything a real archive of years can hold besides well-formed TSV. A truncated gzip, binary
 * garbage with and without line ends, CRLF line ends, 130 and 132 columns, invalid UUIDs,
 * unparseable and out-of-range timestamps, empty files, empty lines, invalid UTF-8, a 5 MiB line,
 * an over-long fingerprint, a .bz2 and a .zst file, a .gz that is not gzip. The job must not crash;
 * every line is counted under its reason, exactly as the TypeScript oracle classifies the lines
 * Hadoop reads from the same bytes; every unreadable file is reported; the counters add up; the
 * table holds exactly the prescribed items.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BAD_ROW_LINE_PREFIX_CHARS,
  BAD_ROW_REASONS,
  ETL_TSTAMP_INDEX,
  EVENT_FINGERPRINT_INDEX,
  EVENT_ID_INDEX,
  MAX_SORT_KEY_BYTES,
} from '../../src/domain/contract.js';
import { REFERENCE_ENRICHED_LINE } from '../../src/domain/demo-archive.js';
import { compareKeys, hadoopLines, type RunLines } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { createRandom } from '../../src/domain/random.js';
import { submitLocal, type SubmitResult } from '../../src/services/submit.js';
import { readBadRows, startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const TABLE = 'manifest-bad-input';
const FIXTURES = path.resolve('test/fixtures/bad-input');
const MIB = 1024 * 1024;

let stack: LocalStack;
let archiveDir: string;
/** Per run: the lines the job can read, in file order (what the oracle classifies). */
const runs: RunLines[] = [];
/** Unreadable files: name -> complete lines read before the failure. */
const unreadable = new Map<string, number>();
let result: SubmitResult;

/** An enriched line: the reference one with event id, etl_tstamp and fingerprint replaced. */
function event(eventId: string, etl: string, fingerprint: string, edit?: (f: string[]) => void): string {
  const f = REFERENCE_ENRICHED_LINE.split('\t');
  f[EVENT_ID_INDEX] = eventId;
  f[ETL_TSTAMP_INDEX] = etl;
  f[EVENT_FINGERPRINT_INDEX] = fingerprint;
  edit?.(f);
  return f.join('\t');
}
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Writes one file of a run; `readable` are the bytes the job can decode from it: its content
 * once decompressed, the part before the failure of a broken file, null for none; the file's
 * own bytes when absent (plain text).
 */
function file(run: string, name: string, bytes: Buffer, readable?: Buffer | null): void {
  const dir = path.join(archiveDir, `run=${run}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), bytes);
  const lines = readable === null ? [] : hadoopLines(readable ?? bytes);
  const r = runs.find((x) => x.runId === run);
  if (r) (r.lines as string[]).push(...lines);
  else runs.push({ runId: run, lines });
}

/** Everything zlib can decompress of a truncated gzip (Z_SYNC_FLUSH), up to its last line end. */
function readablePrefix(gz: Buffer): Buffer {
  const out = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.lastIndexOf(0x0a) + 1);
}

beforeAll(async () => {
  stack = await startLocalStack();
  archiveDir = path.join(stack.dir, 'archive');
  const random = createRandom(8);
  const bytes = (n: number, allow: (b: number) => boolean): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let x = random.int(256);
      while (!allow(x)) x = random.int(256);
      b[i] = x;
    }
    return b;
  };

  // Run 1: plain text with every kind of bad line, LF and CRLF.
  const run1 = '2017-01-01-00-00-00';
  const good = [1, 2, 3].map((i) => event(id(i), `2017-01-01 00:0${i}:00.000`, `fp${i}`));
  const textLines = [
    ...good,
    '', // an empty line
    event(id(10), '2017-01-01 00:10:00.000', 'fp10').split('\t').slice(0, 130).join('\t'), // 130 columns
    `${event(id(11), '2017-01-01 00:11:00.000', 'fp11')}\t`, // 132 columns
    event('not-a-uuid', '2017-01-01 00:12:00.000', 'fp12'),
    event(`${id(13).slice(0, -1)}g`, '2017-01-01 00:13:00.000', 'fp13'),
    event(id(14), 'yesterday', 'fp14'),
    event(id(15), '2017-13-01 00:00:00.000', 'fp15'), // month 13
    event(id(16), '2017-02-30 00:00:00.000', 'fp16'), // no such day
    event(id(17), '2017-01-01 24:00:00.000', 'fp17'), // hour 24
    event(id(18), '0000-01-01 00:00:00.000', 'fp18'), // year 0
    event(id(19), '2017-01-01 00:19:00.000', 'x'.repeat(MAX_SORT_KEY_BYTES + 1)), // over-long fingerprint
    event(id(20), '2017-01-01 00:20:00.000', 'é'.repeat(MAX_SORT_KEY_BYTES / 2)), // 1024 bytes: fine
    event(id(21), '2017-01-01 00:21:00.000', 'fp21', (f) => (f[52] = 'x'.repeat(5 * MIB))), // a 5 MiB line
    event(id(22), '2017-01-01 00:22:00.000', ''), // no fingerprint
  ];
  file(run1, 'part-00000', Buffer.from(textLines.join('\n') + '\n'));
  file(run1, 'part-00001-crlf', Buffer.from(good.map((l) => l.replace('fp', 'crlf')).join('\r\n') + '\r\n'));
  // Invalid UTF-8: in a field the job does not read (valid), in the event id (bad), in the fingerprint.
  const raw = (s: string): Buffer => Buffer.from(s, 'latin1');
  const [pre, post] = event(id(30), '2017-01-01 00:30:00.000', 'FP').split('FP') as [string, string];
  const invalid = Buffer.concat([
    Buffer.from(event(id(31), '2017-01-01 00:31:00.000', 'fp31', (f) => (f[52] = 'café'))),
    raw('\xff\xfe\n'),
    Buffer.from(pre),
    raw('ab\xe2\x82cd\xc0\xafef\xed\xa0\x80gh\xff'), // a cut sequence, an overlong, a surrogate, a stray byte
    Buffer.from(`${post}\n`),
    ...((): Buffer[] => {
      const [a, b] = event('EID', '2017-01-01 00:32:00.000', 'fp32').split('EID') as [string, string];
      return [Buffer.from(a + id(32).slice(0, -1)), raw('\xe9'), Buffer.from(`${b}\n`)];
    })(),
  ]);
  file(run1, 'part-00002-invalid-utf8', invalid);
  file(run1, 'part-00003-empty', Buffer.alloc(0)); // skipped by the listing
  file(run1, '_SUCCESS', Buffer.alloc(0), null);

  // Run 2: binary garbage, with and without line ends; a gzip of nothing.
  const run2 = '2017-01-02-00-00-00';
  file(run2, 'part-00000', Buffer.from(event(id(40), '2017-01-02 00:00:00.000', 'fp40') + '\n'));
  file(
    run2,
    'garbage-with-newlines.bin',
    bytes(256 * 1024, () => true),
  );
  file(
    run2,
    'garbage-without-newlines.bin',
    bytes(3 * MIB, (b) => b !== 0x0a && b !== 0x0d),
  );
  file(run2, 'part-00001-empty.gz', gzipSync(Buffer.alloc(0)), Buffer.alloc(0));

  // Run 3: compressed files, readable or not.
  const run3 = '2017-01-03-00-00-00';
  const many = Array.from({ length: 3000 }, (_, i) =>
    event(id(1000 + i), '2017-01-03 00:30:00.000', `gz${i}-${random.hex(24)}`),
  );
  const whole = gzipSync(Buffer.from(many.join('\n') + '\n'));
  const cut = whole.subarray(0, Math.floor(whole.length / 2));
  const prefix = readablePrefix(cut);
  file(run3, 'part-00000-truncated.gz', cut, prefix);
  unreadable.set('part-00000-truncated.gz', hadoopLines(prefix).length);
  const plain = Buffer.from(event(id(50), '2017-01-03 00:00:01.000', 'fp50') + '\n');
  file(run3, 'part-00001.gz', gzipSync(plain), plain);
  file(run3, 'part-00002-not-gzip.gz', Buffer.from('this is not gzip\n'), null);
  unreadable.set('part-00002-not-gzip.gz', 0);
  file(
    run3,
    'part-00003.bz2',
    readFileSync(path.join(FIXTURES, 'events.tsv.bz2')),
    readFileSync(path.join(FIXTURES, 'events.tsv')),
  );
  // No native zstd in local Spark: the codec throws, the file is unreadable (on EMR it is read).
  file(run3, 'part-00004.zst', readFileSync(path.join(FIXTURES, 'events.tsv.zst')), null);
  unreadable.set('part-00004.zst', 0);

  await stack.dynamo.createManifestTable(TABLE, { billingMode: 'PAY_PER_REQUEST' });
  result = await submitLocal(
    stack.submitOptions({ archive: archiveDir, table: TABLE, staging: 'staging', now: NOW }),
  );
}, 600_000);

afterAll(async () => {
  await stack?.stop();
});

const expected = () => defaultManifest(runs, NOW);

describe('the bad-input corpus', () => {
  it('never crashes, and counts every line under its reason as the oracle does', () => {
    const e = expected();
    const s = result.summary;
    expect(countersAddUp(s.counters)).toBe(true);
    expect(s.counters).toEqual(e.counters);
    expect(s.badByReason).toEqual(e.badByReason);
    // Every kind of bad line is in the corpus.
    for (const reason of Object.keys(e.badByReason))
      expect(e.badByReason[reason as keyof typeof e.badByReason]).toBeGreaterThan(0);
    expect(e.counters.noFingerprint).toBeGreaterThan(0);
  });

  it('reports every unreadable file with the lines read before the failure, and nothing else', () => {
    const got = new Map(result.unreadableFiles.map((u) => [path.basename(u.path), u.linesRead]));
    expect(got).toEqual(unreadable);
    expect(unreadable.get('part-00000-truncated.gz')).toBeGreaterThan(0);
    for (const u of result.unreadableFiles) expect(u.error).not.toBe('');
  });

  it('writes exactly the prescribed items, the invalid UTF-8 fingerprint as U+FFFD', async () => {
    const e = expected();
    const items = (await stack.dynamo.scanItems(TABLE)).sort(compareKeys);
    expect(items).toEqual(e.items);
    expect(items.some((i) => i.fingerprint.includes('\ufffd'))).toBe(true);
  });

  it('keeps every bad line in bad-rows with its reason; a too-long one cut to its first characters', () => {
    const e = expected();
    const rows = readBadRows(result.badRows);
    const lineRows = rows.filter((r) => r.reason !== BAD_ROW_REASONS.unreadableFile);
    const key = (reason: string, line: string | null): string =>
      reason === BAD_ROW_REASONS.lineTooLong
        ? `${reason}\t${(line ?? '').slice(0, 40)}`
        : `${reason}\t${line}`;
    expect(lineRows.map((r) => key(r.reason, r.line)).sort()).toEqual(
      e.badRows.map((b) => key(b.reason, b.line)).sort(),
    );
    for (const r of lineRows.filter((x) => x.reason === BAD_ROW_REASONS.lineTooLong)) {
      expect(r.line?.length).toBeLessThanOrEqual(BAD_ROW_LINE_PREFIX_CHARS);
    }
    const fileRows = rows.filter((r) => r.reason === BAD_ROW_REASONS.unreadableFile);
    expect(fileRows.map((r) => path.basename(r.sourceFile)).sort()).toEqual([...unreadable.keys()].sort());
  });
});
