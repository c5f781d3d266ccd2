/** Test fixture: an ArchiveReader over files held in memory, counting reads like the real ones. */
import type { ArchiveReader, ReadStats } from '../../src/services/verify-archive.js';

export function memoryArchiveReader(
  files: ReadonlyMap<string, Uint8Array>,
  chunkSize = 64 * 1024,
): ArchiveReader {
  const stats: ReadStats = { requests: 0, bytes: 0 };
  const get = (file: string): Uint8Array => {
    const bytes = files.get(file);
    if (bytes === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return bytes;
  };
  return {
    stats,
    listRuns: () => Promise.reject(new Error('not listed: the tests build the frame')),
    listFiles: () => Promise.reject(new Error('not listed: the tests build the frame')),
    async readRange(file, start, end) {
      const out = get(file).slice(start, end);
      stats.requests++;
      stats.bytes += out.length;
      return out;
    },
    async *readStream(file, maxBytes) {
      const bytes = get(file).subarray(0, maxBytes);
      stats.requests++;
      for (let i = 0; i < bytes.length; i += chunkSize) {
        const chunk = bytes.slice(i, i + chunkSize);
        stats.bytes += chunk.length;
        yield chunk;
      }
    },
    close() {},
  };
}
