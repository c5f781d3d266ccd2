/** The sampler's reads over an in-memory archive: determinism, the gzip path, the cap, bias, stopping. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/domain/random.js';
import { buildFrame, type FrameFile } from '../../../src/domain/sampling.js';
import { WeightedTally } from '../../../src/domain/statistics.js';
import { sampleArchive, type SamplerOptions } from '../../../src/services/verify-sampler.js';
import { memoryArchiveReader } from '../../helpers/memory-archive.js';

/** Lines `<label>-<n> <padding>`, `length` bytes each without the line end; `fill(n)` gives n padding characters. */
function lines(
  label: string,
  count: number,
  length: (i: number) => number,
  fill: (n: number) => string,
): string[] {
  return Array.from({ length: count }, (_, i) => {
    const head = `${label}-${String(i).padStart(5, '0')} `;
    return head + fill(length(i) - head.length);
  });
}

const repeat = (c: string) => (n: number) => c.repeat(n).slice(0, n);

function archive(
  files: { path: string; lines: string[]; gzip?: boolean; eol?: string; noFinalEol?: boolean }[],
) {
  const contents = new Map<string, Uint8Array>();
  const frameFiles: FrameFile[] = [];
  for (const f of files) {
    let text = f.lines.map((l) => l + (f.eol ?? '\n')).join('');
    if (f.noFinalEol) text = text.slice(0, -(f.eol ?? '\n').length);
    const bytes = f.gzip ? gzipSync(Buffer.from(text)) : Buffer.from(text);
    contents.set(f.path, bytes);
    frameFiles.push({
      path: f.path,
      runId: '2017-01-01-00-00-00',
      bytes: bytes.length,
      compression: f.gzip ? 'gzip' : 'none',
    });
  }
  return { contents, frame: buildFrame(frameFiles) };
}

const run = (a: ReturnType<typeof archive>, o: Partial<SamplerOptions> = {}) =>
  sampleArchive({
    frame: a.frame,
    reader: memoryArchiveReader(a.contents),
    seed: 7,
    target: 500,
    counts: () => true,
    maxLineBytes: 1_048_576,
    ...o,
  });

/** Random hex padding: it barely compresses. */
const randomText = (seed: number) => {
  const r = createRandom(seed);
  return (n: number) => r.hex(n);
};

describe('sampleArchive', () => {
  const mixed = archive([
    { path: 'a-plain', lines: lines('P', 400, (i) => 200 + (i % 7) * 300, repeat('p')), eol: '\r\n' },
    { path: 'b.gz', lines: lines('G', 300, () => 400, randomText(1)), gzip: true },
    { path: 'c-plain', lines: lines('Q', 50, () => 190, repeat('q')), noFinalEol: true },
  ]);

  it('draws the same sample for the same seed however the reads are batched', async () => {
    const a = await run(mixed);
    const b = await run(mixed, { concurrency: 1, mergeGap: 0, readahead: 4096 });
    expect(b.lines).toEqual(a.lines);
    expect(b.attempts).toBe(a.attempts);
    const c = await run(mixed, { seed: 8 });
    expect(c.lines.map((l) => l.line)).not.toEqual(a.lines.map((l) => l.line));
  });

  it('stops at the first attempt where the counted lines reach the target', async () => {
    const r = await run(mixed, { target: 300 });
    expect(r.stoppedShort).toBe(false);
    expect(r.effective).toBeGreaterThanOrEqual(300);
    const tally = new WeightedTally();
    for (const l of r.lines.slice(0, -1)) tally.add(l.weight, true);
    expect(tally.effectiveSize).toBeLessThan(300);
    expect(r.lines.at(-1)?.attempt).toBe(r.attempts - 1);
    // Whole lines, without their line ends (CRLF included), the last one without a line end too.
    for (const l of r.lines) expect(l.line).toMatch(/^[PGQ]-\d{5} [^\r\n]*$/);
    const lengths = new Set(r.lines.filter((l) => l.line.startsWith('P')).map((l) => l.line.length));
    expect([...lengths].every((n) => (n - 200) % 300 === 0)).toBe(true);
  });

  it('counts only the lines the predicate counts, and gives up when none ever counts', async () => {
    const r = await run(mixed, { target: 100, counts: (line) => line.startsWith('G') });
    expect(r.lines.filter((l) => l.line.startsWith('G')).length).toBeGreaterThanOrEqual(100);
    expect(r.lines.some((l) => !l.line.startsWith('G'))).toBe(true);
    const none = await run(mixed, { target: 10, counts: () => false, maxAttempts: 2000 });
    expect(none.stoppedShort).toBe(true);
    expect(none.attempts).toBe(2000);
  });

  it('draws plain lines of very different lengths equally often', async () => {
    const a = archive([{ path: 'p', lines: lines('L', 100, (i) => (i % 2 ? 200 : 20_000), repeat('x')) }]);
    const r = await run(a, { target: 4000 });
    const counts = new Array<number>(100).fill(0);
    for (const l of r.lines) counts[Number(l.line.slice(2, 7))]!++;
    const long = counts.filter((_, i) => i % 2 === 0).reduce((x, y) => x + y, 0);
    expect(Math.abs(long / r.lines.length - 0.5)).toBeLessThan(0.03);
    const expected = r.lines.length / 100;
    const chi = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(148); // chi-square, 99 degrees of freedom, 99.9th percentile
    // About 20 attempts per line at c = 185 over lines of 10 KB on average: the price of exactness.
    expect(r.attempts / r.lines.length).toBeGreaterThan(30);
  });

  it('weights gzip lines so that files that compress differently are represented as their lines are', async () => {
    // Same line count, very different compressed sizes: by size alone, R would be drawn ~20x as often.
    const a = archive([
      { path: 'r.gz', lines: lines('R', 2000, () => 300, randomText(2)), gzip: true },
      { path: 's.gz', lines: lines('S', 2000, () => 300, repeat('same')), gzip: true },
      { path: 't-plain', lines: lines('T', 1000, () => 300, repeat('t')) },
    ]);
    const r = await run(a, { target: 1500 });
    const share = (label: string): number => {
      const t = new WeightedTally();
      for (const l of r.lines) t.add(l.weight, l.line.startsWith(label));
      return t.result().estimate;
    };
    expect(share('R')).toBeGreaterThan(0.35);
    expect(share('R')).toBeLessThan(0.45);
    expect(share('S')).toBeGreaterThan(0.35);
    expect(share('S')).toBeLessThan(0.45);
    expect(share('T')).toBeGreaterThan(0.15);
    expect(share('T')).toBeLessThan(0.25);
    // Unweighted, S would be a few percent of the sample.
    expect(r.lines.filter((l) => l.line.startsWith('S')).length / r.lines.length).toBeLessThan(0.1);
    // S's lines weigh 50x R's here: a line is worth far less than a sample (Kish), so the sample
    // grows well past the first look-ahead and the two files are decompressed a second time.
    expect(r.gzip.objectsRead).toBe(2);
    expect(r.gzip.reads).toBeLessThanOrEqual(4);
  });

  it('draws gzip lines uniformly within a file', async () => {
    const a = archive([{ path: 'g.gz', lines: lines('G', 20, () => 50, randomText(3)), gzip: true }]);
    const r = await run(a, { target: 4000 });
    const counts = new Array<number>(20).fill(0);
    for (const l of r.lines) counts[Number(l.line.slice(2, 7))]!++;
    const expected = r.lines.length / 20;
    expect(counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)).toBeLessThan(43.8); // 19 dof, 99.9%
    expect(r.lines.every((l) => l.weight === r.lines[0]!.weight)).toBe(true);
    // Decompressed once, for the 4000 attempts that chose it.
    expect(r.gzip).toMatchObject({ objectsRead: 1, reads: 1 });
  });

  it('reads a gzip file up to the cap only, and says so', async () => {
    const a = archive([{ path: 'big.gz', lines: lines('B', 5000, () => 300, randomText(4)), gzip: true }]);
    const cap = 64 * 1024;
    const r = await run(a, { target: 200, maxObjectBytes: cap });
    expect(r.gzip.capped).toHaveLength(1);
    const c = r.gzip.capped[0]!;
    expect(c.bytesRead).toBeGreaterThanOrEqual(cap);
    expect(c.bytesRead).toBeLessThan(cap + 64 * 1024);
    expect(c.linesRead).toBeGreaterThan(0);
    expect(c.linesRead).toBeLessThan(5000);
    const highest = Math.max(...r.lines.map((l) => Number(l.line.slice(2, 7))));
    expect(highest).toBeLessThan(c.linesRead);
    expect(r.unreadable).toEqual([]);
  });

  it('keeps the complete lines of a truncated gzip file and reports it; a .gz that is not gzip yields nothing', async () => {
    const whole = gzipSync(Buffer.from(lines('X', 3000, () => 300, randomText(5)).join('\n') + '\n'));
    const contents = new Map<string, Uint8Array>([
      ['cut.gz', whole.subarray(0, Math.floor(whole.length / 2))],
      ['fake.gz', Buffer.from('this is not gzip\n'.repeat(100))],
    ]);
    const frame = buildFrame([
      { path: 'cut.gz', runId: 'r', bytes: Math.floor(whole.length / 2), compression: 'gzip' },
      { path: 'fake.gz', runId: 'r', bytes: 1700, compression: 'gzip' },
    ]);
    const r = await sampleArchive({
      frame,
      reader: memoryArchiveReader(contents),
      seed: 1,
      target: 100,
      counts: () => true,
      maxLineBytes: 1_048_576,
    });
    const byPath = new Map(r.unreadable.map((u) => [u.path, u]));
    expect(byPath.get('cut.gz')?.linesRead).toBeGreaterThan(1000);
    expect(byPath.get('cut.gz')?.linesRead).toBeLessThan(3000);
    expect(byPath.get('fake.gz')).toMatchObject({ linesRead: 0 });
    expect(r.lines.length).toBeGreaterThanOrEqual(100);
    for (const l of r.lines) expect(l.line).toMatch(/^X-\d{5} [0-9a-f]/);
    expect(r.lines.every((l) => l.line.length === 300)).toBe(true);
  });

  it('keeps only the start of a line over the limit, for plain and gzip files', async () => {
    const a = archive([
      { path: 'p', lines: ['A'.repeat(5000), ...lines('N', 10, () => 300, repeat('n'))] },
      { path: 'g.gz', lines: ['B'.repeat(5000)], gzip: true },
    ]);
    const r = await run(a, { target: 200, maxLineBytes: 1000 });
    const long = r.lines.filter((l) => /^[AB]/.test(l.line));
    expect(long.length).toBeGreaterThan(0);
    for (const l of long) expect(l.line.length).toBe(1001);
  });
});
