import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REFERENCE_ENRICHED_LINE } from '../../../src/domain/demo-archive.js';
import { mergeSamples, sampleObject, spreadIndices } from '../../../src/domain/line-sample.js';

const line = REFERENCE_ENRICHED_LINE.replace(/\n$/, '');
const text = Array.from({ length: 200 }, () => line).join('\n') + '\n';

describe('sampleObject', () => {
  it('counts the complete lines of a plain object read whole, and classifies them', () => {
    const s = sampleObject({ bytes: Buffer.from(text), compressed: false, whole: true });
    expect(s?.plain.lines).toBe(200);
    expect(s?.plain.bytes).toBe(Buffer.byteLength(text));
    expect(s?.valid).toBe(200);
    expect(s?.compressed).toEqual({ bytes: 0, lines: 0 });
  });

  it('leaves out the cut-off last line of a partial read, and charges it its bytes only', () => {
    const bytes = Buffer.from(text).subarray(0, Math.floor(Buffer.byteLength(line) * 10.5));
    const s = sampleObject({ bytes, compressed: false, whole: false });
    expect(s?.plain.lines).toBe(10);
    expect(s?.plain.bytes).toBeCloseTo(10 * (Buffer.byteLength(line) + 1), 0);
  });

  it('gunzips the first bytes of a gzip object and gives the compressed bytes per line', () => {
    // Lines that differ as real ones do (ids, a URL), so the compression ratio is steady along the stream.
    const varied = Array.from({ length: 200 }, () => {
      const f = line.split('\t');
      f[6] = randomUUID();
      f[29] = `https://example.com/${randomBytes(40).toString('hex')}`;
      return f.join('\t');
    });
    const gz = gzipSync(Buffer.from(`${varied.join('\n')}\n`));
    const whole = sampleObject({ bytes: gz, compressed: true, whole: true });
    expect(whole?.compressed.lines).toBe(200);
    expect(whole?.compressed.bytes).toBe(gz.length);
    const head = sampleObject({
      bytes: gz.subarray(0, Math.floor(gz.length / 2)),
      compressed: true,
      whole: false,
    });
    expect(head?.compressed.lines).toBeGreaterThan(0);
    expect(head?.compressed.lines).toBeLessThan(200);
    // Per-line compressed size from half the stream is close to the whole's.
    const perLine = (head?.compressed.bytes ?? 0) / (head?.compressed.lines ?? 1);
    expect(perLine / (gz.length / 200)).toBeGreaterThan(0.5);
    expect(perLine / (gz.length / 200)).toBeLessThan(2);
  });

  it('counts bad lines and lines without a fingerprint as the job does', () => {
    const fields = line.split('\t');
    fields[129] = '';
    const noFp = fields.join('\t');
    const s = sampleObject({
      bytes: Buffer.from(`${line}\n${noFp}\nnot a line\n`),
      compressed: false,
      whole: true,
    });
    expect(s).toMatchObject({ valid: 1, noFingerprint: 1, bad: 1 });
  });

  it('is null for what yields no complete line or is not gzip', () => {
    expect(
      sampleObject({ bytes: Buffer.from('no newline yet'), compressed: false, whole: false }),
    ).toBeNull();
    expect(sampleObject({ bytes: Buffer.from('plain text'), compressed: true, whole: true })).toBeNull();
  });
});

describe('mergeSamples / spreadIndices', () => {
  it('adds samples up, skipping the empty ones', () => {
    const a = sampleObject({ bytes: Buffer.from(text), compressed: false, whole: true });
    expect(mergeSamples([a, null, a])?.plain.lines).toBe(400);
    expect(mergeSamples([null])).toBeNull();
  });

  it('spreads picks from first to last', () => {
    expect(spreadIndices(100, 3)).toEqual([0, 50, 99]);
    expect(spreadIndices(2, 6)).toEqual([0, 1]);
    expect(spreadIndices(0, 6)).toEqual([]);
  });
});
