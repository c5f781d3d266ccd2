/**
 * The archive as `verify` reads it: run folders and their files listed by the one lister
 * (`archive-files.ts`, the job's rules), byte ranges of plain files, and streams of gzip files. One
 * interface over a local folder and an S3 prefix, counting requests and bytes read.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArchiveLocation } from '../domain/archive.js';
import { RUN_FOLDER_PREFIX } from '../domain/contract.js';
import { createS3Client, type S3Client, type S3ClientOptions } from '../aws/s3.js';
import { listRunFiles, listTop } from './archive-files.js';

/** A run folder of the archive. */
export interface ArchiveRun {
  runId: string;
  /** A local folder path, or the S3 key prefix of the folder (ending with `/`). */
  location: string;
}

/** A file of a run, as listed. */
export interface ArchiveObject {
  /** A local path or an `s3://bucket/key` URI: what reads take and reports show. */
  path: string;
  bytes: number;
}

/** What reading the archive cost. */
export interface ReadStats {
  /** Range reads and stream opens (on S3: GET requests). Listing is not counted. */
  requests: number;
  /** Bytes read from storage (compressed bytes for gzip files). */
  bytes: number;
}

/** The reads `verify` makes on an archive. */
export interface ArchiveReader {
  listRuns(): Promise<{ runs: ArchiveRun[]; ignored: string[] }>;
  listFiles(run: ArchiveRun): Promise<ArchiveObject[]>;
  /** Bytes [start, end) of a file. */
  readRange(file: string, start: number, end: number): Promise<Uint8Array>;
  /** A file's bytes from the start, its first `maxBytes` only when given. */
  readStream(file: string, maxBytes?: number): AsyncIterable<Uint8Array>;
  readonly stats: ReadStats;
  close(): void;
}

/** True when a failed read is about the file itself (gone since listed), not the storage or the network. */
export function fileGone(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === 'ENOENT' || e?.name === 'NoSuchKey';
}

/** The reader for an archive location; S3 access as for the rest of the CLI. */
export function createArchiveReader(archive: ArchiveLocation, s3: S3ClientOptions): ArchiveReader {
  return archive.kind === 'local' ? localArchiveReader(archive.path) : s3ArchiveReader(archive, s3);
}

/** The runs and files of an archive, listed by the one lister; `where` names a run folder and an entry. */
function archiveListing(
  archive: ArchiveLocation,
  s3: S3Client | undefined,
  where: { run: (runId: string) => string; entry: (name: string) => string; file: (ref: string) => string },
): Pick<ArchiveReader, 'listRuns' | 'listFiles'> {
  return {
    async listRuns() {
      const top = await listTop(archive, s3);
      return {
        runs: top.runIds.map((runId) => ({ runId, location: where.run(runId) })),
        ignored: top.ignored.map(where.entry),
      };
    },
    async listFiles(run) {
      const { files } = await listRunFiles(archive, [run.runId], s3);
      return files.map((f) => ({ path: where.file(f.ref), bytes: f.size }));
    },
  };
}

/** A local folder (or a `file://` URI resolved to one). */
export function localArchiveReader(root: string): ArchiveReader {
  const stats: ReadStats = { requests: 0, bytes: 0 };
  const archive: ArchiveLocation = { kind: 'local', path: root, uri: pathToFileURL(root).href };
  return {
    stats,
    ...archiveListing(archive, undefined, {
      run: (runId) => path.join(root, `${RUN_FOLDER_PREFIX}${runId}`),
      entry: (name) => path.join(root, name),
      file: (ref) => ref,
    }),
    async readRange(file, start, end) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(Math.max(0, end - start));
        let read = 0;
        while (read < buffer.length) {
          const { bytesRead } = await handle.read(buffer, read, buffer.length - read, start + read);
          if (bytesRead === 0) break;
          read += bytesRead;
        }
        stats.requests++;
        stats.bytes += read;
        return buffer.subarray(0, read);
      } finally {
        await handle.close();
      }
    },
    async *readStream(file, maxBytes) {
      const handle = await open(file, 'r');
      stats.requests++;
      try {
        let remaining = maxBytes ?? Number.POSITIVE_INFINITY;
        for (;;) {
          const buffer = Buffer.alloc(Math.min(256 * 1024, remaining));
          if (buffer.length === 0) return;
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) return;
          stats.bytes += bytesRead;
          remaining -= bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await handle.close();
      }
    },
    close() {},
  };
}

/** An S3 prefix holding run folders. */
export function s3ArchiveReader(
  archive: Extract<ArchiveLocation, { kind: 's3' }>,
  access: S3ClientOptions,
): ArchiveReader {
  const s3 = createS3Client(access);
  const stats: ReadStats = { requests: 0, bytes: 0 };
  const base = archive.prefix === '' ? '' : `${archive.prefix}/`;
  const uri = (key: string): string => `s3://${archive.bucket}/${key}`;
  const keyOf = (file: string): string => {
    const head = `s3://${archive.bucket}/`;
    if (!file.startsWith(head)) throw new Error(`not an object of ${head}: ${file}`);
    return file.slice(head.length);
  };
  return {
    stats,
    ...archiveListing(archive, s3, {
      run: (runId) => `${base}${RUN_FOLDER_PREFIX}${runId}/`,
      entry: (name) => uri(`${base}${name}`),
      file: (key) => uri(key),
    }),
    async readRange(file, start, end) {
      const bytes = await s3.getObjectRange(archive.bucket, keyOf(file), start, end);
      stats.requests++;
      stats.bytes += bytes.length;
      return bytes;
    },
    async *readStream(file, maxBytes) {
      const body = await s3.getObjectStream(archive.bucket, keyOf(file), maxBytes);
      stats.requests++;
      for await (const chunk of body) {
        stats.bytes += chunk.length;
        yield chunk;
      }
    },
    close() {
      s3.destroy();
    },
  };
}
