import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';

import { BAD_ROW_REASONS, DEFAULT_TTL_SECONDS } from '../../../src/domain/contract.js';
import {
  DEFAULT_DEMO_EVENTS,
  DEMO_LINE_KINDS,
  generateDemoArchive,
  type DemoArchive,
  type DemoLineKind,
} from '../../../src/domain/demo-archive.js';
import { classifyLine, expectedManifest, type ClassifiedLine } from '../../../src/domain/enriched.js';
import { createRandom } from '../../../src/domain/random.js';
import { runIdFromFolderName } from '../../../src/domain/run-id.js';
import { writeDemoArchive } from '../../../src/services/demo-archive.js';

const archive = generateDemoArchive(createRandom(42));
const dataFiles = archive.files.filter((f) => f.role === 'data');

function allLines(a: DemoArchive): { line: string; kind: DemoLineKind; runIndex: number }[] {
  return a.runs.flatMap((run, runIndex) =>
    run.lines.map((line, i) => ({ line, kind: run.kinds[i] as DemoLineKind, runIndex })),
  );
}

const EXPECTED_CLASS: Record<DemoLineKind, ClassifiedLine['kind'] | string> = {
  fresh: 'valid',
  crlf: 'valid',
  exactDuplicate: 'valid',
  laterRunDuplicate: 'valid',
  otherFingerprint: 'valid',
  noFingerprint: 'noFingerprint',
  truncated: BAD_ROW_REASONS.fieldCount,
  extraField: BAD_ROW_REASONS.fieldCount,
  badEventId: BAD_ROW_REASONS.eventId,
  badEtlTstamp: BAD_ROW_REASONS.etlTstamp,
};

describe('generateDemoArchive', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateDemoArchive(createRandom(42))).toEqual(archive);
    expect(generateDemoArchive(createRandom(43)).runs[0]?.lines[0]).not.toBe(archive.runs[0]?.lines[0]);
  });

  it('holds 5000 lines over 6 runs by default, a few hours apart across 2025 and 2026', () => {
    expect(allLines(archive)).toHaveLength(DEFAULT_DEMO_EVENTS);
    expect(archive.runs).toHaveLength(6);
    const times = archive.runs.map((r) => {
      expect(runIdFromFolderName(r.folder)).toBe(r.runId);
      return DateTime.fromFormat(r.runId, 'yyyy-MM-dd-HH-mm-ss', { zone: 'utc' });
    });
    expect(new Set(times.map((d) => d.year))).toEqual(new Set([2025, 2026]));
    for (let i = 1; i < times.length; i++) {
      const hours = (times[i] as DateTime).diff(times[i - 1] as DateTime, 'hours').hours;
      expect(hours).toBeGreaterThanOrEqual(3);
      expect(hours).toBeLessThan(8);
    }
  });

  it('has every promised kind of line, in about the promised shares', () => {
    for (const kind of DEMO_LINE_KINDS) expect(archive.kindCounts[kind], kind).toBeGreaterThan(0);
    const share = (k: DemoLineKind): number => archive.kindCounts[k] / DEFAULT_DEMO_EVENTS;
    expect(share('noFingerprint')).toBeCloseTo(0.02, 2);
    const malformed = share('truncated') + share('extraField') + share('badEventId') + share('badEtlTstamp');
    expect(malformed).toBeGreaterThan(0.008);
    expect(malformed).toBeLessThan(0.015);
  });

  it('still has every kind in a small archive', () => {
    const small = generateDemoArchive(createRandom(7), { events: 100, runs: 2 });
    expect(allLines(small)).toHaveLength(100);
    for (const kind of DEMO_LINE_KINDS) expect(small.kindCounts[kind], kind).toBeGreaterThan(0);
  });

  it('classifies every line as its kind says', () => {
    for (const { line, kind } of allLines(archive)) {
      const c = classifyLine(line);
      expect(c.kind === 'bad' ? c.reason : c.kind, `${kind}: ${line.slice(0, 80)}`).toBe(
        EXPECTED_CLASS[kind],
      );
    }
  });

  it('repeats lines within a run, events in later runs, and event ids with another fingerprint', () => {
    const keyRuns = new Map<string, number[]>();
    const fingerprintsById = new Map<string, Set<string>>();
    for (const { line, runIndex } of allLines(archive)) {
      const c = classifyLine(line);
      if (c.kind !== 'valid') continue;
      const key = `${c.eventId}/${c.fingerprint}`;
      keyRuns.set(key, [...(keyRuns.get(key) ?? []), runIndex]);
      fingerprintsById.set(c.eventId, (fingerprintsById.get(c.eventId) ?? new Set()).add(c.fingerprint));
    }
    const repeated = [...keyRuns.values()].filter((runs) => runs.length > 1);
    expect(repeated.some((runs) => new Set(runs).size < runs.length)).toBe(true);
    expect(repeated.some((runs) => new Set(runs).size > 1)).toBe(true);
    expect([...fingerprintsById.values()].some((fps) => fps.size > 1)).toBe(true);
  });

  it('stamps the events of a run within two minutes, but not all at the same instant', () => {
    for (const run of archive.runs) {
      const times = run.lines.flatMap((l) => {
        const c = classifyLine(l);
        return c.kind === 'bad' ? [] : [c.etlTime];
      });
      const fresh = new Set(times.filter((_, i) => run.kinds[i] !== 'laterRunDuplicate'));
      expect(Math.max(...fresh) - Math.min(...fresh)).toBeLessThanOrEqual(120);
      expect(fresh.size).toBeGreaterThan(1);
    }
  });

  it('gives the oracle counters that match the kinds of line', () => {
    const m = expectedManifest(archive.runs, {
      etlTime: 'run',
      ttlSeconds: DEFAULT_TTL_SECONDS,
      skipExpired: false,
      nowSeconds: 0,
    });
    const k = archive.kindCounts;
    expect(m.counters).toEqual({
      linesRead: DEFAULT_DEMO_EVENTS,
      bad: k.truncated + k.extraField + k.badEventId + k.badEtlTstamp,
      noFingerprint: k.noFingerprint,
      expired: 0,
      duplicatesInSelection: k.exactDuplicate + k.laterRunDuplicate,
      written: k.fresh + k.crlf + k.otherFingerprint,
      alreadyPresent: 0,
      conflicting: 0,
    });
    // Batch-enriched: the run's first stamp and each event's own differ, so the two modes do too.
    const byEvent = expectedManifest(archive.runs, {
      etlTime: 'event',
      ttlSeconds: DEFAULT_TTL_SECONDS,
      skipExpired: false,
      nowSeconds: 0,
    });
    expect(byEvent.counters).toEqual(m.counters);
    expect(byEvent.items).not.toEqual(m.items);
  });

  it('spreads each run over 1-3 data files: plain, .gz and .gzip, and one not named part-*', () => {
    for (const run of archive.runs) {
      const files = dataFiles.filter((f) => f.path.startsWith(`${run.folder}/`));
      expect(files.length).toBeGreaterThanOrEqual(1);
      expect(files.length).toBeLessThanOrEqual(3);
      expect(files.reduce((n, f) => n + f.lineCount, 0)).toBe(run.lines.length);
      // A reader (LF and CRLF line ends) gets the run's lines back, in order.
      const read = files.flatMap((f) =>
        f.text.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== ''),
      );
      expect(read).toEqual(run.lines);
    }
    const names = dataFiles.map((f) => path.posix.basename(f.path));
    expect(dataFiles.some((f) => f.compression === 'none' && !/\.gz(ip)?$/.test(f.path))).toBe(true);
    expect(dataFiles.some((f) => f.compression === 'gzip' && f.path.endsWith('.gz'))).toBe(true);
    expect(dataFiles.some((f) => f.compression === 'gzip' && f.path.endsWith('.gzip'))).toBe(true);
    expect(names.some((n) => !n.startsWith('part-'))).toBe(true);
  });

  it('has CRLF line ends and a file without a final line end', () => {
    expect(dataFiles.some((f) => f.text.includes('\r\n'))).toBe(true);
    expect(dataFiles.some((f) => f.text.length > 0 && !f.text.endsWith('\n'))).toBe(true);
  });

  it('has zero-byte files and _SUCCESS markers in some runs, and folders that are not runs', () => {
    const empty = archive.files.filter((f) => f.role === 'empty');
    const markers = archive.files.filter((f) => f.role === 'marker');
    expect(empty.length).toBeGreaterThan(0);
    expect(empty.every((f) => f.text === '' && f.lineCount === 0)).toBe(true);
    expect(markers.length).toBeGreaterThan(0);
    expect(markers.length).toBeLessThan(archive.runs.length);
    expect(markers.every((f) => path.posix.basename(f.path) === '_SUCCESS' && f.text === '')).toBe(true);
    expect(archive.ignoredFolders).toEqual(['run=garbage', 'tmp']);
    for (const folder of archive.ignoredFolders) {
      expect(runIdFromFolderName(folder)).toBeNull();
      const ignored = archive.files.filter((f) => f.path.startsWith(`${folder}/`));
      expect(ignored.length).toBeGreaterThan(0);
      expect(ignored.every((f) => f.role === 'ignored' && f.lineCount > 0)).toBe(true);
    }
  });

  it('rejects sizes it cannot fill', () => {
    expect(() => generateDemoArchive(createRandom(1), { events: 99 })).toThrow(/events/);
    expect(() => generateDemoArchive(createRandom(1), { runs: 1 })).toThrow(/runs/);
  });
});

describe('writeDemoArchive', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes every file, gzip-compressing .gz and .gzip, and returns what it wrote', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'populator-demo-'));
    dirs.push(dir);
    const manifest = await writeDemoArchive({ dir, seed: 42 });
    expect(manifest.runs).toEqual(archive.runs);
    expect(manifest.lineCount).toBe(DEFAULT_DEMO_EVENTS);
    expect(manifest.files).toHaveLength(archive.files.length);
    expect((await readdir(dir)).sort()).toEqual(
      [...archive.runs.map((r) => r.folder), ...archive.ignoredFolders].sort(),
    );
    for (const [i, f] of manifest.files.entries()) {
      const expected = archive.files[i];
      const bytes = await readFile(f.path);
      expect(bytes.length).toBe(f.bytes);
      if (f.compression === 'gzip') {
        expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
        expect(gunzipSync(bytes).toString('utf8')).toBe(expected?.text);
      } else {
        expect(bytes.toString('utf8')).toBe(expected?.text);
      }
    }
    const zeroByte = manifest.files.filter((f) => f.role === 'empty' || f.role === 'marker');
    for (const f of zeroByte) expect((await stat(f.path)).size).toBe(0);
    expect(manifest.bytes).toBe(manifest.files.reduce((n, f) => n + f.bytes, 0));
  });

  it('writes the same bytes for the same seed', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'populator-demo-'));
        dirs.push(dir);
        const m = await writeDemoArchive({ dir, seed: 7, events: 300, runs: 3 });
        return Promise.all(
          m.files.map(async (f) => [f.relativePath, (await readFile(f.path)).toString('base64')] as const),
        );
      }),
    );
    expect(a).toEqual(b);
  });
});

describe('large demo archives', () => {
  it('generates 250,000 events without exhausting the call stack', () => {
    const archive = generateDemoArchive(createRandom(3), { events: 250_000, runs: 2 });
    expect(archive.runs.reduce((n, r) => n + r.lines.length, 0)).toBe(250_000);
  }, 120_000);
});
