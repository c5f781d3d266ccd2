import { describe, expect, it } from 'vitest';
import { classifyLine } from '../../../src/domain/enriched.js';
import { createRandom } from '../../../src/domain/random.js';
import {
  AttemptStream,
  LineSplitter,
  MIN_EXPECTED_LINE_BYTES,
  SlotReservoir,
  acceptedLineStart,
  buildFrame,
  coalesceRanges,
  compressionOf,
  fileAt,
  lineEndIn,
  probeRange,
  uniformBelow,
  type FrameFile,
} from '../../../src/domain/sampling.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** The 99.9th percentile of chi-square with k degrees of freedom (Wilson-Hilferty approximation). */
function chiSquareCritical(k: number): number {
  const z = 3.09;
  return k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
}

describe('MIN_EXPECTED_LINE_BYTES', () => {
  const minimal = (): string[] => {
    const fields = Array.from({ length: 131 }, () => '');
    fields[2] = '2017-01-26 00:01:25';
    fields[6] = '1799a90f-f570-4414-b91a-b0db8f39cc2e';
    return fields;
  };

  it('is the length of the shortest line that is not bad', () => {
    const line = minimal().join('\t');
    expect(line.length).toBe(MIN_EXPECTED_LINE_BYTES);
    expect(MIN_EXPECTED_LINE_BYTES).toBe(185);
    expect(classifyLine(line).kind).toBe('noFingerprint');
  });

  it('is a lower bound: any one character less makes the line bad', () => {
    const line = minimal().join('\t');
    for (let i = 0; i < line.length; i++) {
      expect(classifyLine(line.slice(0, i) + line.slice(i + 1)).kind).toBe('bad');
    }
  });
});

describe('compressionOf', () => {
  it('picks gzip by extension as Hadoop does, and refuses codecs verify does not read', () => {
    expect(compressionOf('run=x/part-00000.gz')).toBe('gzip');
    expect(compressionOf('run=x/part-00000.GZIP')).toBe('gzip');
    expect(compressionOf('run=x/part-00000')).toBe('none');
    expect(compressionOf('run=x/part-00000.txt')).toBe('none');
    expect(compressionOf('run=x/part-00000.bz2')).toBeUndefined();
    expect(compressionOf('run=x/part-00000.snappy')).toBeUndefined();
  });
});

describe('uniformBelow', () => {
  it('draws every value of a small range equally often', () => {
    const random = createRandom(7);
    const counts = new Array<number>(37).fill(0);
    for (let i = 0; i < 37_000; i++) counts[uniformBelow(random, 37)]!++;
    expect(chiSquare(counts)).toBeLessThan(chiSquareCritical(36));
  });

  it('reaches every part of a range larger than 2^32, at byte resolution', () => {
    const random = createRandom(8);
    const n = 3 * 2 ** 40 + 12345;
    const buckets = new Array<number>(16).fill(0);
    let odd = 0;
    for (let i = 0; i < 16_000; i++) {
      const x = uniformBelow(random, n);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(n);
      buckets[Math.floor((x / n) * 16)]!++;
      odd += x % 2;
    }
    expect(chiSquare(buckets)).toBeLessThan(chiSquareCritical(15));
    // One 32-bit draw scaled to 2^41 would only ever give multiples of 2^9: never an odd offset.
    expect(odd / 16_000).toBeGreaterThan(0.45);
    expect(() => uniformBelow(random, 0)).toThrow(RangeError);
  });
});

describe('AttemptStream', () => {
  const files: FrameFile[] = [
    { path: 'b', runId: 'r', bytes: 3000, compression: 'none' },
    { path: 'a', runId: 'r', bytes: 1000, compression: 'gzip' },
    { path: 'c', runId: 'r', bytes: 0, compression: 'none' },
  ];

  it('orders the frame by path, drops empty files and adds up the sizes', () => {
    const frame = buildFrame(files);
    expect(frame.files.map((f) => f.path)).toEqual(['a', 'b']);
    expect(frame.ends).toEqual([1000, 4000]);
    expect([frame.totalBytes, frame.plainBytes, frame.gzipBytes]).toEqual([4000, 3000, 1000]);
    expect([fileAt(frame, 0), fileAt(frame, 999), fileAt(frame, 1000), fileAt(frame, 3999)]).toEqual([
      0, 0, 1, 1,
    ]);
  });

  it('gives the same attempts for the same seed, read in any order, and others for another seed', () => {
    const frame = buildFrame(files);
    const a = new AttemptStream(frame, 42);
    const b = new AttemptStream(frame, 42);
    const late = b.get(500);
    const first = Array.from({ length: 501 }, (_, j) => a.get(j));
    expect(first[500]).toEqual(late);
    expect(first.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, j) => b.get(j)));
    const other = new AttemptStream(frame, 43);
    expect(Array.from({ length: 10 }, (_, j) => other.get(j))).not.toEqual(first.slice(0, 10));
  });

  it('chooses files in proportion to their size, at offsets inside them', () => {
    const frame = buildFrame(files);
    const s = new AttemptStream(frame, 1);
    let inA = 0;
    for (let j = 0; j < 8000; j++) {
      const t = s.get(j);
      expect(t.offset).toBeLessThan(frame.files[t.file]!.bytes);
      if (t.file === 0) inA++;
    }
    expect(inA / 8000).toBeGreaterThan(0.23);
    expect(inA / 8000).toBeLessThan(0.27);
  });
});

describe('acceptedLineStart (plain files)', () => {
  const c = 4; // a small window keeps the cases readable; the rule is the same for 185
  const file = bytes('aaaaaaaa\nbb\ncccccc\r\ndddd\reeeee');
  //                  0       8 9 11 12   18 19 20 24 25  29
  const start = (offset: number): number | null => {
    const r = probeRange(offset, file.length, 0, c);
    return acceptedLineStart(file.subarray(r.start, r.end), r.start, offset, c);
  };

  it('takes the line containing the offset only within its first window bytes', () => {
    expect([0, 1, 2, 3].map(start)).toEqual([0, 0, 0, 0]);
    expect([4, 5, 8].map(start)).toEqual([null, null, null]);
    expect([12, 15].map(start)).toEqual([12, 12]);
    expect(start(16)).toBeNull();
  });

  it('counts the line end as part of its line, for LF, CRLF and a lone CR', () => {
    // A short line: its whole span, terminator included, accepts.
    expect([9, 10, 11].map(start)).toEqual([9, 9, 9]);
    // The CR and the LF of a CRLF belong to the line before: no line starts between them.
    expect([18, 19].map(start)).toEqual([null, null]);
    expect([20, 23].map(start)).toEqual([20, 20]);
    // A lone CR ends a line (Hadoop's LineReader), the byte after it starts one.
    expect(start(24)).toBeNull();
    expect([25, 28].map(start)).toEqual([25, 25]);
  });

  it('handles the last line without a line end, and a file smaller than the window', () => {
    expect(start(29)).toBeNull();
    const tiny = bytes('ab');
    expect(acceptedLineStart(tiny, 0, 1, 185)).toBe(0);
    const r = probeRange(1, tiny.length, 4096);
    expect(r).toEqual({ start: 0, end: 2 });
  });

  it('refuses to look at bytes it was not given', () => {
    expect(() => acceptedLineStart(file.subarray(12, 14), 12, 13, c)).toThrow(RangeError);
  });
});

describe('lineEndIn', () => {
  const file = bytes('head\nline one\r\nrest');
  it('finds the first LF or CR after the start, or says the bytes end first', () => {
    expect(lineEndIn(file, 0, 5, 100)).toBe(13);
    expect(lineEndIn(file, 0, 0, 100)).toBe(4);
    expect(lineEndIn(file, 0, 15, 100)).toBe(-1);
    expect(lineEndIn(file.subarray(5), 5, 5, 100)).toBe(13);
  });

  it('stops once the line is longer than allowed', () => {
    expect(lineEndIn(file, 0, 5, 3)).toBe(9);
    expect(lineEndIn(bytes('abc'), 0, 0, 3)).toBe(-1);
    expect(lineEndIn(bytes('abcd'), 0, 0, 3)).toBe(4);
  });
});

describe('LineSplitter', () => {
  const split = (chunks: string[], max = 1000): string[] => {
    const out: string[] = [];
    const s = new LineSplitter((n, b) => {
      expect(n).toBe(out.length + 1);
      out.push(Buffer.from(b).toString('latin1'));
    }, max);
    for (const c of chunks) s.push(bytes(c));
    s.end();
    expect(s.count).toBe(out.length);
    return out;
  };

  it('splits on LF, CRLF and CR, keeps empty lines and a last line without an end', () => {
    expect(split(['a\nb\r\nc\rd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(split(['a\n\nb\n'])).toEqual(['a', '', 'b']);
    expect(split([''])).toEqual([]);
    expect(split(['\n'])).toEqual(['']);
    expect(split(['x\r'])).toEqual(['x']);
  });

  it('joins lines across chunks, a CRLF split in two included', () => {
    expect(split(['ab', 'c\r', '\nde', 'f'])).toEqual(['abc', 'def']);
    expect(split(['ab\r', 'cd\r', '', '\n'])).toEqual(['ab', 'cd']);
    expect(split(['a', '', 'b\n'])).toEqual(['ab']);
  });

  it('keeps only the start of a line over the cap, and still counts it as one line', () => {
    expect(split(['abcdefgh\nxy', 'z\n'], 3)).toEqual(['abcd', 'xyz']);
    expect(split(['ab', 'cd', 'ef', '\n'], 2)).toEqual(['abc']);
  });
});

describe('SlotReservoir', () => {
  it('gives each slot a uniformly chosen line, independently, with few decodes', () => {
    const random = createRandom(3);
    const slots = 20_000;
    const lines = 50;
    const reservoir = new SlotReservoir<number>(Array.from({ length: slots }, () => random.int(2 ** 32)));
    let decodes = 0;
    for (let n = 1; n <= lines; n++) {
      reservoir.offer(n, () => {
        decodes++;
        return n;
      });
    }
    const counts = new Array<number>(lines).fill(0);
    for (const v of reservoir.values()) counts[(v.value as number) - 1]!++;
    expect(chiSquare(counts)).toBeLessThan(chiSquareCritical(lines - 1));
    // About ln(50) + 0.58 ≈ 4.5 replacements per slot, and one decode per line that any slot took.
    expect(decodes).toBeLessThanOrEqual(lines);
  });

  it('is deterministic per seed, whatever the other slots, and empty without lines', () => {
    const run = (seeds: number[]): (number | undefined)[] => {
      const r = new SlotReservoir<number>(seeds);
      for (let n = 1; n <= 1000; n++) if (r.wants(n)) r.offer(n, () => n);
      return r.values().map((v) => v.value);
    };
    const [a] = run([11]);
    const [, b] = run([99, 11, 5]);
    expect(a).toBe(b);
    expect(new SlotReservoir<number>([1, 2]).values()).toEqual([
      { value: undefined, line: 0 },
      { value: undefined, line: 0 },
    ]);
  });
});

describe('coalesceRanges', () => {
  it('merges probes closer than the gap, up to a maximum read, keeping their attempts', () => {
    const out = coalesceRanges(
      [
        { start: 5000, end: 5100, attempts: [3] },
        { start: 0, end: 100, attempts: [1] },
        { start: 150, end: 300, attempts: [2] },
        { start: 9000, end: 9100, attempts: [4] },
      ],
      1000,
      5000,
    );
    expect(out).toEqual([
      { start: 0, end: 300, attempts: [1, 2] },
      { start: 5000, end: 5100, attempts: [3] },
      { start: 9000, end: 9100, attempts: [4] },
    ]);
    expect(
      coalesceRanges(
        [
          { start: 0, end: 10, attempts: [1] },
          { start: 20, end: 30, attempts: [2] },
        ],
        100,
        25,
      ),
    ).toHaveLength(2);
  });
});

describe('the plain-file scheme', () => {
  it('draws short and very long lines equally often (the naive schemes do not)', () => {
    // Lines of 200 and 20,000 bytes, alternating: a line is long one time in two.
    const lengths = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 200 : 20_000));
    const text = lengths.map((n, i) => `${String(i).padStart(4, '0')}${'x'.repeat(n - 5)}\n`).join('');
    const file = bytes(text);
    const starts: number[] = [];
    lengths.reduce((at, n) => (starts.push(at), at + n), 0);
    const lineOf = (offset: number): number => {
      let i = starts.length - 1;
      while ((starts[i] as number) > offset) i--;
      return i;
    };
    const frame = buildFrame([{ path: 'f', runId: 'r', bytes: file.length, compression: 'none' }]);
    const attempts = new AttemptStream(frame, 2024);
    const counts = new Array<number>(lengths.length).fill(0);
    let containing = 0;
    let following = 0;
    let drawn = 0;
    for (let j = 0; drawn < 10_000; j++) {
      const { offset } = attempts.get(j);
      // The naive schemes, for contrast: the line containing the offset, and the line after it.
      if (j < 10_000) {
        const line = lineOf(offset);
        if (lengths[line] === 20_000) containing++;
        if (lengths[(line + 1) % lengths.length] === 20_000) following++;
      }
      const r = probeRange(offset, file.length, 0);
      const s = acceptedLineStart(file.subarray(r.start, r.end), r.start, offset);
      if (s === null) continue;
      counts[Number(text.slice(s, s + 4))]!++;
      drawn++;
    }
    expect(chiSquare(counts)).toBeLessThan(chiSquareCritical(lengths.length - 1));
    const longShare = counts.filter((_, i) => lengths[i] === 20_000).reduce((a, b) => a + b, 0) / drawn;
    expect(Math.abs(longShare - 0.5)).toBeLessThan(0.02);
    expect(containing / 10_000).toBeGreaterThan(0.95);
    expect(following / 10_000).toBeLessThan(0.05);
  });
});
