import { describe, expect, it } from 'vitest';
import { decodeUtf8AsJob, hadoopLines } from '../../../src/domain/enriched.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const fffd = (s: string): number => [...s].filter((c) => c === '\ufffd').length;

describe('hadoopLines (the lines the job reads from a file)', () => {
  it('ends lines at LF, CR and CRLF, keeps empty lines and a last line without a line end', () => {
    expect(hadoopLines(Buffer.from('a\nb\r\nc\rd'))).toEqual(['a', 'b', 'c', 'd']);
    expect(hadoopLines(Buffer.from('a\n\nb\n'))).toEqual(['a', '', 'b']);
    expect(hadoopLines(Buffer.from('a\r'))).toEqual(['a']);
    expect(hadoopLines(Buffer.from('\r\n\r\n'))).toEqual(['', '']);
    expect(hadoopLines(Buffer.alloc(0))).toEqual([]);
  });
});

describe('decodeUtf8AsJob (the JDK decoder Hadoop uses, not WHATWG)', () => {
  it('is plain UTF-8 for valid text, U+FFFD for malformed bytes', () => {
    expect(decodeUtf8AsJob(Buffer.from('café €😀'))).toBe('café €😀');
    expect(decodeUtf8AsJob(hex('61ff62'))).toBe('a\ufffdb');
    expect(fffd(decodeUtf8AsJob(hex('c0af')))).toBe(2); // an overlong encoding
    expect(fffd(decodeUtf8AsJob(hex('e282')))).toBe(1); // a cut sequence
  });

  it('makes an encoded surrogate one U+FFFD, as the JDK does (Node makes one per byte)', () => {
    expect(fffd(hex('eda080').toString('utf8'))).toBe(3);
    expect(decodeUtf8AsJob(hex('3ceda0803e'))).toBe('<\ufffd>');
    expect(decodeUtf8AsJob(hex('3cedbf3e'))).toBe('<\ufffd>');
    expect(decodeUtf8AsJob(hex('eda041'))).toBe('\ufffdA');
    expect(decodeUtf8AsJob(hex('eda0c0'))).toBe('\ufffd\ufffd');
    expect(decodeUtf8AsJob(hex('eda0eda0'))).toBe('\ufffd\ufffd');
    expect(decodeUtf8AsJob(hex('ed9fbf'))).toBe('\ud7ff'); // the last code point before the surrogates
    expect(decodeUtf8AsJob(hex('ed'))).toBe('\ufffd');
  });
});
