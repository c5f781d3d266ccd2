/**
 * Draws the sample of `verify` from an archive (the scheme is in src/domain/sampling.ts; this
 * module does the reads). Attempts are processed in rounds over a growing prefix of the seed's
 * attempt sequence until the lines that count (those the job should have written) reach the
 * target effective size; the sample is the accepted attempts of the shortest prefix that does,
 * so it depends on the seed and the archive only, never on how the reads were batched.
 *
 * Plain files: one small read per attempt (the 185 bytes before the offset and the byte at it;
 * reads of one file closer than `mergeGap` are merged), then the rest of each accepted line.
 * Gzip files: each file hit is decompressed once, as a stream, filling the reservoir slots of
 * every attempt that chose it, including attempts a little ahead of the current prefix, so that
 * a later round rarely needs to read it again.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
  AttemptStream,
  LineSplitter,
  SlotReservoir,
  acceptedLineStart,
  coalesceRanges,
  lineEndIn,
  probeRange,
  MIN_EXPECTED_LINE_BYTES,
  type FrameFile,
  type ReadRange,
  type SamplingFrame,
} from '../domain/sampling.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import { WeightedTally } from '../domain/statistics.js';
import { fileGone, type ArchiveReader } from './verify-archive.js';

/** One drawn line. */
export interface DrawnLine {
  /** The attempt that drew it (its position in the seed's sequence). */
  attempt: number;
  /** Index into the frame's files. */
  file: number;
  /** The line without its line end (at most maxLineBytes + 1 bytes of it). */
  line: string;
  /** Proportional to 1 / its probability of being drawn: 1/185 for plain files, lines/byte for gzip. */
  weight: number;
}

/** Progress while sampling. */
export interface SamplerProgress {
  attempts: number;
  drawn: number;
  /** Effective size of the lines that count, so far, against the target. */
  effective: number;
  target: number;
}

/** A gzip file read only in part, because of the byte cap. */
export interface CappedObject {
  path: string;
  bytes: number;
  bytesRead: number;
  linesRead: number;
}

/** A file that could not be read to its end; the lines before the failure were kept. */
export interface UnreadableObject {
  path: string;
  error: string;
  linesRead: number;
}

export interface SamplerOptions {
  frame: SamplingFrame;
  reader: ArchiveReader;
  seed: number;
  /** The effective size the counted lines must reach. */
  target: number;
  /** Whether a drawn line counts toward the target (the job should have written it). */
  counts: (line: string, file: FrameFile) => boolean;
  /** Lines longer than this are bad whatever they hold: reading stops after maxLineBytes + 1 bytes. */
  maxLineBytes: number;
  /** Extra bytes read after each plain-file offset (fewer requests for the accepted lines, more bytes). */
  readahead?: number;
  /** Plain-file reads of one file less than this apart are merged into one. Default 16 KiB. */
  mergeGap?: number;
  /** Read at most this many (compressed) bytes of a gzip file; its head then stands in for it. */
  maxObjectBytes?: number;
  /** Reads in flight at once. Default 16. */
  concurrency?: number;
  /** Give up (with what was drawn) after this many attempts. Default 200 x target + 10,000. */
  maxAttempts?: number;
  onProgress?: (p: SamplerProgress) => void;
  signal?: AbortSignal;
}

export interface SamplerResult {
  /** The drawn lines of the attempts up to the stopping point, in attempt order. */
  lines: DrawnLine[];
  /** Attempts up to the stopping point (accepted or not). */
  attempts: number;
  /** Attempts evaluated, the ones past the stopping point included. */
  attemptsEvaluated: number;
  /** The effective size reached. */
  effective: number;
  /** maxAttempts ran out before the target was reached. */
  stoppedShort: boolean;
  gzip: { objectsRead: number; reads: number; capped: CappedObject[] };
  unreadable: UnreadableObject[];
}

const DEFAULT_MERGE_GAP = 16 * 1024;
const MAX_MERGED_READ = 256 * 1024;
const LINE_READ_CHUNK = 4096;
const PLAIN_WEIGHT = 1 / MIN_EXPECTED_LINE_BYTES;

/** What became of an attempt: a line, rejected (null), or not evaluated yet (undefined). */
type Resolution = { line: string; weight: number } | null;

/** Draws lines until the counted ones reach the target effective size (or attempts run out). */
export async function sampleArchive(o: SamplerOptions): Promise<SamplerResult> {
  return new Sampler(o).run();
}

/** A plain-file read: a merged range of probes of one file. */
interface PlainRead {
  file: number;
  range: ReadRange;
}

/** The state of one sampling: what each attempt resolved to, what was read, the counted tally. */
class Sampler {
  private readonly o: SamplerOptions;
  private readonly frame: SamplingFrame;
  private readonly reader: ArchiveReader;
  private readonly attempts: AttemptStream;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly resolved: (Resolution | undefined)[] = [];
  private readonly gzipRead = new Set<number>();
  private readonly capped = new Map<number, CappedObject>();
  private readonly unreadable = new Map<number, UnreadableObject>();
  private gzipReads = 0;
  private readonly tally = new WeightedTally();
  private scanned = 0;
  private stopAt: number | undefined;
  private evaluated = 0;
  private drawn = 0;
  private lastProgress = 0;

  constructor(o: SamplerOptions) {
    this.o = o;
    this.frame = o.frame;
    this.reader = o.reader;
    this.attempts = new AttemptStream(o.frame, o.seed);
    this.maxAttempts = o.maxAttempts ?? 200 * o.target + 10_000;
    this.concurrency = o.concurrency ?? 16;
  }

  /** Rounds over a growing prefix of the attempts, until the stopping point is in it. */
  async run(): Promise<SamplerResult> {
    const { o, maxAttempts } = this;
    // A first round of a quarter of the target measures the rates (how many attempts a counted line
    // takes: ~1 for gzip, ~8 for plain files of 1.4 KB lines); the second then aims at the end.
    // Going for the whole target at once would, on a small archive whose probes merge, read it
    // over again in every round.
    let prefix = Math.min(maxAttempts, Math.ceil(o.target / 4) + 16);
    for (;;) {
      throwIfAborted(o.signal);
      await this.resolvePlain(this.evaluated, prefix);
      // Before any gzip line is weighed, how much a line is worth is a guess: look further ahead.
      const margin = this.tally.count > 0 ? 1.3 : 2;
      const lookahead = Math.min(
        maxAttempts,
        Math.max(prefix, Math.ceil(margin * this.projectedStop(prefix))),
      );
      await this.resolveGzip(prefix, lookahead);
      this.evaluated = prefix;
      this.scanForStop(prefix);
      this.progress(true);
      if (this.stopAt !== undefined || prefix >= maxAttempts) break;
      const reached = this.tally.effectiveSize;
      const growth = reached > 0 ? ((o.target - reached) / reached) * prefix * 1.15 : prefix * 3;
      prefix = Math.min(maxAttempts, prefix + Math.ceil(growth) + 16);
    }
    return this.result(this.stopAt ?? prefix);
  }

  /** The stopping rule, in attempt order over the resolved prefix. */
  private scanForStop(prefix: number): void {
    for (; this.scanned < prefix && this.stopAt === undefined; this.scanned++) {
      const r = this.resolved[this.scanned];
      if (!r) continue;
      if (this.o.counts(r.line, this.fileOfAttempt(this.scanned))) {
        this.tally.add(r.weight, true);
        if (this.tally.effectiveSize >= this.o.target) this.stopAt = this.scanned + 1;
      }
    }
  }

  private result(end: number): SamplerResult {
    const lines: DrawnLine[] = [];
    for (let j = 0; j < end; j++) {
      const r = this.resolved[j];
      if (r) lines.push({ attempt: j, file: this.attempts.fileOf(j), line: r.line, weight: r.weight });
    }
    return {
      lines,
      attempts: end,
      attemptsEvaluated: this.evaluated,
      effective: this.tally.effectiveSize,
      stoppedShort: this.stopAt === undefined,
      gzip: { objectsRead: this.gzipRead.size, reads: this.gzipReads, capped: [...this.capped.values()] },
      unreadable: [...this.unreadable.values()],
    };
  }

  private fileOfAttempt(j: number): FrameFile {
    return this.frame.files[this.attempts.fileOf(j)] as FrameFile;
  }

  private resolve(j: number, r: Resolution): void {
    if (r !== null && this.resolved[j] == null) this.drawn++;
    this.resolved[j] = r;
  }

  private progress(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.o.onProgress?.({
      attempts: this.evaluated,
      drawn: this.drawn,
      effective: this.tally.effectiveSize,
      target: this.o.target,
    });
  }

  /** Where the stopping point will probably be, from the rates seen so far (for the gzip look-ahead). */
  private projectedStop(upTo: number): number {
    const { tally } = this;
    let counted = 0;
    let gzipPending = 0;
    for (let j = 0; j < upTo; j++) {
      const r = this.resolved[j];
      if (r === undefined) {
        if (this.frame.files[this.attempts.fileOf(j)]?.compression === 'gzip') gzipPending++;
      } else if (r !== null && this.o.counts(r.line, this.fileOfAttempt(j))) {
        counted++;
      }
    }
    // A gzip attempt not read yet almost always yields a line, and almost all lines count. Unequal
    // weights make a line worth less than one sample: scale by what the lines so far were worth.
    const efficiency = tally.count > 0 ? tally.effectiveSize / tally.count : 1;
    const rate = ((counted + 0.9 * gzipPending) / Math.max(1, upTo)) * efficiency;
    return rate > 0 ? this.o.target / rate : upTo * 4;
  }

  /** Resolves the plain-file attempts in [from, to): one read per merged range of probes. */
  private async resolvePlain(from: number, to: number): Promise<void> {
    await forEachLimited(this.plainReads(from, to), this.concurrency, (read) => this.readPlain(read));
  }

  /** The probes of the plain-file attempts in [from, to), merged per file. */
  private plainReads(from: number, to: number): PlainRead[] {
    const probesByFile = new Map<number, ReadRange[]>();
    for (let j = from; j < to; j++) {
      const a = this.attempts.get(j);
      const file = this.frame.files[a.file] as FrameFile;
      if (file.compression !== 'none') continue;
      if (this.unreadable.has(a.file)) {
        this.resolve(j, null);
        continue;
      }
      const r = probeRange(a.offset, file.bytes, this.o.readahead ?? 0);
      let list = probesByFile.get(a.file);
      if (list === undefined) probesByFile.set(a.file, (list = []));
      list.push({ start: r.start, end: r.end, attempts: [j] });
    }
    const reads: PlainRead[] = [];
    for (const [file, probes] of probesByFile) {
      for (const range of coalesceRanges(probes, this.o.mergeGap ?? DEFAULT_MERGE_GAP, MAX_MERGED_READ)) {
        reads.push({ file, range });
      }
    }
    return reads;
  }

  /** One merged read: each of its attempts accepted (with its line) or rejected. */
  private async readPlain({ file, range }: PlainRead): Promise<void> {
    throwIfAborted(this.o.signal);
    const f = this.frame.files[file] as FrameFile;
    let bytes: Uint8Array;
    try {
      bytes = await this.reader.readRange(f.path, range.start, range.end);
    } catch (error) {
      if (!fileGone(error)) throw error;
      this.unreadable.set(file, { path: f.path, error: describe(error), linesRead: 0 });
      for (const j of range.attempts) this.resolve(j, null);
      return;
    }
    for (const j of range.attempts) {
      const a = this.attempts.get(j);
      const start = acceptedLineStart(bytes, range.start, a.offset);
      this.resolve(
        j,
        start === null
          ? null
          : { line: await this.readLine(f, start, bytes, range.start), weight: PLAIN_WEIGHT },
      );
    }
    this.progress();
  }

  /** The line starting at `start`, from the bytes already read and, when it goes on, more reads. */
  private async readLine(
    f: FrameFile,
    start: number,
    bytes: Uint8Array,
    bytesStart: number,
  ): Promise<string> {
    let have = bytes.subarray(start - bytesStart);
    let haveStart = start;
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let chunk = LINE_READ_CHUNK; ; chunk *= 2) {
      const end = lineEndIn(have, haveStart, haveStart, this.o.maxLineBytes - length);
      if (end >= 0) {
        parts.push(have.subarray(0, end - haveStart));
        break;
      }
      parts.push(have);
      length += have.length;
      const next = haveStart + have.length;
      // The file's last line needs no line end.
      if (next >= f.bytes) break;
      have = await this.reader.readRange(f.path, next, Math.min(f.bytes, next + chunk));
      haveStart = next;
      if (have.length === 0) break;
    }
    return decode(parts);
  }

  /** Resolves the gzip attempts below `upTo`, and those up to `lookahead` in the files read for them. */
  private async resolveGzip(upTo: number, lookahead: number): Promise<void> {
    const slots = this.gzipSlots(upTo, lookahead);
    if (slots === null) return;
    await forEachLimited([...slots], this.concurrency, ([file, js]) => this.fillGzipSlots(file, js));
  }

  /** The attempts, by file, of the gzip files an attempt below `upTo` needs; null when none does. */
  private gzipSlots(upTo: number, lookahead: number): Map<number, number[]> | null {
    // Files with an attempt below `upTo` that no read has covered yet.
    const needed = new Set<number>();
    for (let j = 0; j < upTo; j++) {
      if (this.resolved[j] !== undefined) continue;
      const file = this.attempts.fileOf(j);
      if (this.frame.files[file]?.compression === 'gzip') needed.add(file);
    }
    if (needed.size === 0) return null;
    const slots = new Map<number, number[]>();
    for (let j = 0; j < lookahead; j++) {
      const file = this.attempts.fileOf(j);
      if (!needed.has(file) || this.resolved[j] !== undefined) continue;
      let list = slots.get(file);
      if (list === undefined) slots.set(file, (list = []));
      list.push(j);
    }
    return slots;
  }

  /** Decompresses one gzip file once, filling the reservoir slot of each of its attempts `js`. */
  private async fillGzipSlots(file: number, js: number[]): Promise<void> {
    throwIfAborted(this.o.signal);
    const f = this.frame.files[file] as FrameFile;
    const reservoir = new SlotReservoir<string>(js.map((j) => this.attempts.get(j).reservoirSeed));
    const read = await this.readGzip(f, reservoir);
    this.gzipReads++;
    if (read.failure !== undefined)
      this.unreadable.set(file, { path: f.path, error: read.failure, linesRead: read.lines });
    if (read.capped)
      this.capped.set(file, { path: f.path, bytes: f.bytes, bytesRead: read.bytes, linesRead: read.lines });
    // A capped file's head stands in for the whole file (lines per byte read); a file cut short
    // holds only the lines before its end (they are all the job read of it).
    const weight = read.lines === 0 ? 0 : read.lines / (read.capped ? read.bytes : f.bytes);
    this.gzipRead.add(file);
    reservoir.values().forEach((v, i) => {
      this.resolve(js[i] as number, v.value === undefined || weight === 0 ? null : { line: v.value, weight });
    });
    this.progress();
  }

  private async readGzip(
    f: FrameFile,
    reservoir: SlotReservoir<string>,
  ): Promise<{ lines: number; bytes: number; capped: boolean; failure?: string }> {
    const { o } = this;
    let bytes = 0;
    const cap = o.maxObjectBytes !== undefined && f.bytes > o.maxObjectBytes ? o.maxObjectBytes : undefined;
    const splitter = new LineSplitter((n, line) => {
      if (reservoir.wants(n)) reservoir.offer(n, () => decode([line]));
    }, o.maxLineBytes);
    const source = this.reader.readStream(f.path, cap);
    const counted = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        bytes += chunk.length;
        yield chunk;
      }
    };
    try {
      await pipeline(Readable.from(counted()), createGunzip(), async (inflated: AsyncIterable<Buffer>) => {
        for await (const chunk of inflated) splitter.push(chunk);
      });
      splitter.end();
      return { lines: splitter.count, bytes, capped: false };
    } catch (error) {
      // Cut at the cap on purpose: the complete lines before the cut are the head that was read.
      if (cap !== undefined && bytes >= cap && zlibError(error))
        return { lines: splitter.count, bytes, capped: true };
      // A corrupt or truncated file, or one gone since the listing: as the job, keep the complete
      // lines read before the failure (the last, partial one is not a line).
      if (zlibError(error) || fileGone(error))
        return { lines: splitter.count, bytes, capped: false, failure: describe(error) };
      throw error;
    }
  }
}

function zlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function decode(parts: readonly Uint8Array[]): string {
  const buffers = parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length));
  return (buffers.length === 1 ? (buffers[0] as Buffer) : Buffer.concat(buffers)).toString('utf8');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new UserError('Interrupted (Ctrl-C) while sampling: nothing was concluded.', {
      code: 'INTERRUPTED',
      exitCode: EXIT_CODES.failed,
      hint: 'Run verify again; the same --seed draws the same sample.',
    });
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; the first failure rejects. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
