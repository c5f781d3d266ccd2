/**
 * What the first bytes of an archive object say about its lines: how many complete lines they
 * hold, how many bytes (compressed ones for gzip) those lines took, and how the job would classify
 * them. The plan turns that into an event estimate. Pure (zlib is computation, not I/O).
 */
import { constants, gunzipSync } from 'node:zlib';
import { classifyLine } from './enriched.js';
import type { LineSample } from './plan.js';

/** True for the files the job reads as gzip (`.gz`, and pre-R83 `.gzip`). */
export function isGzipName(name: string): boolean {
  return name.endsWith('.gz') || name.endsWith('.gzip');
}

/** One sampled object: its first bytes, and whether they are the whole object. */
export interface SampledBytes {
  bytes: Uint8Array;
  compressed: boolean;
  whole: boolean;
}

/** The sample of one object; null when not one complete line could be read from it. */
export function sampleObject(s: SampledBytes): LineSample | null {
  let text: string;
  try {
    // A cut-off gzip stream: Z_SYNC_FLUSH returns what inflates instead of failing at the end.
    text = s.compressed
      ? gunzipSync(s.bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8')
      : Buffer.from(s.bytes).toString('utf8');
  } catch {
    return null; // not gzip after all: the job reports such a file, the plan just skips it
  }
  const totalChars = text.length;
  const end = s.whole && !text.endsWith('\n') ? text.length : text.lastIndexOf('\n') + 1;
  if (end <= 0 || totalChars === 0) return null;
  const complete = text.slice(0, end);
  const lines = complete.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let valid = 0;
  let noFingerprint = 0;
  let bad = 0;
  for (const line of lines) {
    const c = classifyLine(line);
    if (c.kind === 'valid') valid++;
    else if (c.kind === 'noFingerprint') noFingerprint++;
    else bad++;
  }
  // The share of the read bytes the complete lines took (the rest was a partial last line).
  const usedBytes = s.bytes.length * (Buffer.byteLength(complete) / Buffer.byteLength(text));
  const part = { bytes: usedBytes, lines: lines.length };
  const none = { bytes: 0, lines: 0 };
  return {
    objects: 1,
    plain: s.compressed ? none : part,
    compressed: s.compressed ? part : none,
    valid,
    noFingerprint,
    bad,
  };
}

/** Several objects' samples as one; null when there is none. */
export function mergeSamples(samples: readonly (LineSample | null)[]): LineSample | null {
  const got = samples.filter((s): s is LineSample => s !== null);
  if (got.length === 0) return null;
  return got.reduce((a, b) => ({
    objects: a.objects + b.objects,
    plain: { bytes: a.plain.bytes + b.plain.bytes, lines: a.plain.lines + b.plain.lines },
    compressed: {
      bytes: a.compressed.bytes + b.compressed.bytes,
      lines: a.compressed.lines + b.compressed.lines,
    },
    valid: a.valid + b.valid,
    noFingerprint: a.noFingerprint + b.noFingerprint,
    bad: a.bad + b.bad,
  }));
}

/** Up to `n` indices spread evenly over `0 .. count-1`, first and last included. */
export function spreadIndices(count: number, n: number): number[] {
  if (count <= 0 || n <= 0) return [];
  if (count <= n) return Array.from({ length: count }, (_, i) => i);
  if (n === 1) return [0];
  const out = new Set<number>();
  for (let i = 0; i < n; i++) out.add(Math.round((i * (count - 1)) / (n - 1)));
  return [...out];
}
