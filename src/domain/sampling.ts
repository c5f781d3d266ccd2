/**
 * How `verify` draws lines of an archive at random (pure: the reads are done by the caller).
 *
 * Every draw ("attempt") picks a byte of the selection uniformly at random, so a file is chosen
 * with probability proportional to its size. Then:
 *
 * - **Plain files**: the line *containing* the byte is taken only when the byte is one of the
 *   first `MIN_EXPECTED_LINE_BYTES` (c) bytes of that line; otherwise the attempt is rejected and a
 *   new one is drawn. Each line then has exactly c accepting bytes, so every line of at least c
 *   bytes is drawn with the same probability c / B, whatever its length. (Taking the line that
 *   contains the byte over-samples long lines; taking the line that starts after it over-samples
 *   lines that follow long ones.) No line the job writes is shorter than c (131 fields, a UUID and
 *   a timestamp), so the lines that matter to coverage are drawn uniformly; only bad lines shorter
 *   than c are drawn less often, in proportion to their length.
 * - **Gzip files** cannot be read at an offset: each one hit is decompressed as a stream, once, and
 *   every attempt that chose it gets one line uniformly at random among its lines (a reservoir of
 *   one line per attempt). A line of a gzip file is then drawn with probability
 *   (size / B) / lines: its weight, `lines / compressed bytes`, corrects for files that compress
 *   better or worse than others (the estimate is weighted; see statistics.ts).
 *
 * Attempts are a deterministic sequence from the seed, and each attempt's outcome depends only on
 * the seed, its index and the archive's bytes (not on the order reads complete in): the same seed
 * gives the same sample.
 */
import { ENRICHED_COLUMN_COUNT } from './contract.js';
import { createRandom, type Random } from './random.js';

const UUID_LENGTH = 36;
/** `yyyy-MM-dd HH:mm:ss`, the shortest timestamp the classifier accepts (the fraction is optional). */
const MIN_TSTAMP_LENGTH = 19;

/**
 * The fewest bytes a line can have and not be bad: 130 tabs, a UUID event_id and an etl_tstamp
 * without fraction, every other field empty (a line without fingerprint; one with a fingerprint
 * is longer). The plain-file window c: every line at least this long has exactly c accepting bytes.
 */
export const MIN_EXPECTED_LINE_BYTES = ENRICHED_COLUMN_COUNT - 1 + UUID_LENGTH + MIN_TSTAMP_LENGTH;

const LF = 0x0a;
const CR = 0x0d;

/** How a file is read: `none` at random offsets, `gzip` as a stream. */
export type Compression = 'none' | 'gzip';

// Codecs Hadoop would pick by extension that verify does not read (Snowplow archives are plain or gzip).
const UNSUPPORTED_CODEC_EXTENSIONS = ['.bz2', '.deflate', '.lz4', '.snappy', '.zst', '.lzo', '.br', '.xz'];

/**
 * How the job decompresses a file, by extension as Hadoop does (`.gz`, and the pre-R83 `.gzip`);
 * undefined for a codec verify cannot read (`.bz2`, `.snappy`, ...).
 */
export function compressionOf(path: string): Compression | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.gz') || lower.endsWith('.gzip')) return 'gzip';
  if (UNSUPPORTED_CODEC_EXTENSIONS.some((ext) => lower.endsWith(ext))) return undefined;
  return 'none';
}

/** One file of the selection. */
export interface FrameFile {
  /** Where it is (a local path or an `s3://` URI): also the sort key that fixes the frame's order. */
  path: string;
  runId: string;
  /** Size on disk (compressed size for gzip). */
  bytes: number;
  compression: Compression;
}

/** The files attempts are drawn from, in a fixed order, with their cumulative sizes. */
export interface SamplingFrame {
  files: readonly FrameFile[];
  /** `ends[i]` = bytes of files 0..i together. */
  ends: readonly number[];
  totalBytes: number;
  plainBytes: number;
  gzipBytes: number;
}

/** The frame over `files` (zero-byte files dropped), sorted by path so the listing order does not matter. */
export function buildFrame(files: readonly FrameFile[]): SamplingFrame {
  const sorted = files
    .filter((f) => f.bytes > 0)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ends: number[] = [];
  let total = 0;
  let plain = 0;
  for (const f of sorted) {
    total += f.bytes;
    if (f.compression === 'none') plain += f.bytes;
    ends.push(total);
  }
  if (total > Number.MAX_SAFE_INTEGER) throw new RangeError('the selection is larger than 2^53 bytes');
  return { files: sorted, ends, totalBytes: total, plainBytes: plain, gzipBytes: total - plain };
}

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/**
 * An integer uniformly distributed in [0, n), exact for any n up to 2^53. `random.int(n)` scales
 * one 32-bit draw, which for a multi-gigabyte selection would leave most byte offsets unreachable
 * and favour others; this combines 53 random bits and rejects the top remainder.
 */
export function uniformBelow(random: Random, n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`n must be a positive safe integer, got ${n}`);
  if (n <= TWO_POW_32) {
    // 32 bits suffice; rejection keeps every value equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = random.int(TWO_POW_32);
      if (x < limit) return x % n;
    }
  }
  const limit = TWO_POW_53 - (TWO_POW_53 % n);
  for (;;) {
    const x = random.int(2 ** 21) * TWO_POW_32 + random.int(TWO_POW_32);
    if (x < limit) return x % n;
  }
}

/** One draw: a byte of the selection, and the seed of the reservoir it uses if the file is gzip. */
export interface Attempt {
  index: number;
  /** Index into `frame.files`. */
  file: number;
  /** Byte offset in the file (for gzip files: unused, the file was chosen by size). */
  offset: number;
  /** Seeds the attempt's own reservoir, so its line does not depend on other attempts. */
  reservoirSeed: number;
}

/**
 * The deterministic sequence of attempts of a seed over a frame; attempt j is the same however far
 * the sequence is read. Attempts are kept (in typed arrays: a million of them is 16 MB) so the
 * sampler can come back to them.
 */
export class AttemptStream {
  private readonly random: Random;
  private files = new Int32Array(1024);
  private offsets = new Float64Array(1024);
  private seeds = new Uint32Array(1024);
  private length = 0;

  constructor(
    private readonly frame: SamplingFrame,
    seed: number,
  ) {
    if (frame.totalBytes <= 0) throw new RangeError('an empty frame has no attempts');
    this.random = createRandom(seed);
  }

  /** Attempt `j` (0-based). */
  get(j: number): Attempt {
    while (this.length <= j) this.draw();
    return {
      index: j,
      file: this.files[j] as number,
      offset: this.offsets[j] as number,
      reservoirSeed: this.seeds[j] as number,
    };
  }

  /** The file of attempt `j` (without building an object). */
  fileOf(j: number): number {
    while (this.length <= j) this.draw();
    return this.files[j] as number;
  }

  private draw(): void {
    if (this.length === this.files.length) {
      const grow = <T extends Int32Array | Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.files = grow(this.files, (n) => new Int32Array(n));
      this.offsets = grow(this.offsets, (n) => new Float64Array(n));
      this.seeds = grow(this.seeds, (n) => new Uint32Array(n));
    }
    const byte = uniformBelow(this.random, this.frame.totalBytes);
    const file = fileAt(this.frame, byte);
    this.files[this.length] = file;
    this.offsets[this.length] = byte - (file === 0 ? 0 : (this.frame.ends[file - 1] as number));
    this.seeds[this.length] = this.random.int(TWO_POW_32);
    this.length++;
  }
}

/** The index of the file holding global byte `byte` (binary search on the cumulative sizes). */
export function fileAt(frame: SamplingFrame, byte: number): number {
  let low = 0;
  let high = frame.ends.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((frame.ends[mid] as number) > byte) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The bytes a probe of plain-file attempt `offset` reads: the window before it, the byte itself, and `readahead` more. */
export function probeRange(
  offset: number,
  fileBytes: number,
  readahead: number,
  window: number = MIN_EXPECTED_LINE_BYTES,
): { start: number; end: number } {
  return { start: Math.max(0, offset - window), end: Math.min(fileBytes, offset + 1 + readahead) };
}

/**
 * The start of the line that contains byte `offset`, if `offset` is one of that line's first
 * `window` bytes; null otherwise (the attempt is rejected). `bytes` holds the file from
 * `bytesStart` and must cover [offset - window, offset] (clipped at 0). Line ends are Hadoop's:
 * LF, CR, or CRLF, so a line starts after an LF, or after a CR that is not followed by an LF.
 */
export function acceptedLineStart(
  bytes: Uint8Array,
  bytesStart: number,
  offset: number,
  window: number = MIN_EXPECTED_LINE_BYTES,
): number | null {
  const at = (p: number): number => {
    const i = p - bytesStart;
    if (i < 0 || i >= bytes.length) throw new RangeError(`byte ${p} is outside the bytes read`);
    return bytes[i] as number;
  };
  const lowest = offset - window + 1;
  for (let p = offset; p >= Math.max(1, lowest); p--) {
    const before = at(p - 1);
    if (before === LF || (before === CR && at(p) !== LF)) return p;
  }
  // No line end in the window: the line started at the file's first byte if that is close enough.
  return lowest <= 0 ? 0 : null;
}

/**
 * Where the line starting at `start` ends (the index of its first line-end byte), looking only at
 * `bytes` (the file from `bytesStart`): -1 when no line end is among them. `maxContent` stops the
 * search once the line is known to be longer than the job accepts: then `start + maxContent + 1`
 * is returned (a too-long line's start is enough to classify it).
 */
export function lineEndIn(bytes: Uint8Array, bytesStart: number, start: number, maxContent: number): number {
  const from = start - bytesStart;
  const limit = Math.min(bytes.length, from + maxContent + 1);
  for (let i = from; i < limit; i++) {
    const b = bytes[i];
    if (b === LF || b === CR) return bytesStart + i;
  }
  return limit === from + maxContent + 1 ? bytesStart + limit : -1;
}

/**
 * Splits a stream of bytes into lines as Hadoop's LineReader does (LF, CR and CRLF end a line; a
 * last line without an end is a line; no line after a final line end). `onLine(number, bytes)`
 * gets each line's 1-based number and its bytes without the line end, capped at `maxContent + 1`
 * bytes (enough to classify a too-long line without holding it). The bytes are only valid during
 * the call: the caller decodes what it keeps.
 */
export class LineSplitter {
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** Bytes of the current line so far, counting those beyond the cap. */
  private lineLength = 0;
  private lastWasCr = false;
  private lines = 0;

  constructor(
    private readonly onLine: (lineNumber: number, bytes: Uint8Array) => void,
    private readonly maxContent: number,
  ) {}

  /** Lines emitted so far. */
  get count(): number {
    return this.lines;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    if (this.lastWasCr && chunk.length > 0) {
      // The LF of a CRLF split across two chunks belongs to the line already emitted.
      if (chunk[0] === LF) i = 1;
      this.lastWasCr = false;
    }
    while (i < chunk.length) {
      const end = nextLineEnd(chunk, i);
      if (end === -1) {
        this.keep(chunk.subarray(i));
        return;
      }
      this.keep(chunk.subarray(i, end));
      this.emit();
      if (chunk[end] === CR) {
        if (end + 1 < chunk.length) {
          i = chunk[end + 1] === LF ? end + 2 : end + 1;
        } else {
          this.lastWasCr = true;
          i = end + 1;
        }
      } else {
        i = end + 1;
      }
    }
  }

  /** The stream ended normally: a last line without a line end is still a line. */
  end(): void {
    if (this.lineLength > 0) this.emit();
  }

  private keep(part: Uint8Array): void {
    this.lineLength += part.length;
    const room = this.maxContent + 1 - this.pendingLength;
    if (room <= 0 || part.length === 0) return;
    const kept = part.length > room ? part.subarray(0, room) : part;
    // Copied: the chunk may be reused by the stream once push() returns.
    this.pending.push(Uint8Array.from(kept));
    this.pendingLength += kept.length;
  }

  private emit(): void {
    this.lines++;
    const bytes =
      this.pending.length === 1
        ? (this.pending[0] as Uint8Array)
        : concatBytes(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    this.lineLength = 0;
    this.onLine(this.lines, bytes);
  }
}

function nextLineEnd(chunk: Uint8Array, from: number): number {
  const lf = chunk.indexOf(LF, from);
  const cr = chunk.indexOf(CR, from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}

function concatBytes(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * One uniformly chosen line per slot from a stream of lines of unknown length, each slot
 * independent of the others (sampling with replacement), with its own seeded randomness. A slot
 * that holds one of the first i lines is replaced by line j > i with the probability of a size-one
 * reservoir, i.e. its next replacement J satisfies P(J > j) = i / j, drawn directly as
 * J = floor(i / U) + 1: about ln(lines) replacements per slot, so most lines are never decoded.
 */
export class SlotReservoir<T> {
  private readonly slots: { random: Random; next: number; value: T | undefined; line: number }[];
  /** Slot indices ordered by their next replacement (a binary min-heap). */
  private readonly heap: number[];

  constructor(seeds: readonly number[]) {
    this.slots = seeds.map((seed) => ({ random: createRandom(seed), next: 1, value: undefined, line: 0 }));
    this.heap = this.slots.map((_, i) => i);
  }

  /** True when line `lineNumber` (1-based, offered in order) replaces at least one slot. */
  wants(lineNumber: number): boolean {
    const top = this.heap[0];
    return top !== undefined && (this.slots[top] as { next: number }).next === lineNumber;
  }

  /** Offers line `lineNumber`; `value` is called (once) only when a slot takes it. */
  offer(lineNumber: number, value: () => T): void {
    let decoded: T | undefined;
    let top = this.heap[0];
    while (top !== undefined && (this.slots[top] as { next: number }).next === lineNumber) {
      const slot = this.slots[top] as (typeof this.slots)[number];
      decoded ??= value();
      slot.value = decoded;
      slot.line = lineNumber;
      // U in (0, 1]: the next replacement is always a later line.
      slot.next = Math.floor(lineNumber / (1 - slot.random.next())) + 1;
      this.siftDown(0);
      top = this.heap[0];
    }
  }

  /** Each slot's line (undefined when the stream had no line), in the order of the seeds. */
  values(): { value: T | undefined; line: number }[] {
    return this.slots.map((s) => ({ value: s.value, line: s.line }));
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const key = (k: number): number => (this.slots[heap[k] as number] as { next: number }).next;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && key(l) < key(smallest)) smallest = l;
      if (r < heap.length && key(r) < key(smallest)) smallest = r;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as number, heap[i] as number];
      i = smallest;
    }
  }
}

/** A byte range of one file to read, and the attempts it serves. */
export interface ReadRange {
  start: number;
  end: number;
  attempts: number[];
}

/**
 * Merges the probes of one file into fewer reads: ranges closer than `gap` bytes are read as one,
 * up to `maxLength` bytes. On a small archive most attempts fall a few KB apart; on a large one
 * this changes nothing. `probes` need not be sorted.
 */
export function coalesceRanges(probes: readonly ReadRange[], gap: number, maxLength: number): ReadRange[] {
  const sorted = [...probes].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: ReadRange[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      p.start - last.end <= gap &&
      Math.max(last.end, p.end) - last.start <= maxLength
    ) {
      last.end = Math.max(last.end, p.end);
      last.attempts.push(...p.attempts);
    } else {
      out.push({ start: p.start, end: p.end, attempts: [...p.attempts] });
    }
  }
  return out;
}
