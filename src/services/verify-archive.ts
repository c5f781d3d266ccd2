/**
 * The archive as `verify` reads it: run folders and their files listed with the job's rules
 * (ArchiveReader.scala: `run=<id>` folders only, every file below them except zero-byte ones and
 * names starting with `_` or `.`), byte ranges of plain files, and streams of gzip files. One
 * interface over a local folder and an S3 prefix, counting requests and bytes read.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveLocation } from '../domain/archive.js';
import { hiddenBelowRun } from '../domain/contract.js';
import { runIdFromFolderName } from '../domain/run-id.js';
import { createS3Client, type S3ClientOptions } from '../aws/s3.js';

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

/** A local folder (or a `file://` URI resolved to one). */
export function localArchiveReader(root: string): ArchiveReader {
  const stats: ReadStats = { requests: 0, bytes: 0 };
  return {
    stats,
    async listRuns() {
      const runs: ArchiveRun[] = [];
      const ignored: string[] = [];
      const entries = await readdir(root, { withFileTypes: true });
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const id = runIdFromFolderName(e.name);
        if (id !== null && e.isDirectory()) runs.push({ runId: id, location: path.join(root, e.name) });
        else ignored.push(path.join(root, e.name));
      }
      return { runs, ignored };
    },
    async listFiles(run) {
      const out: ArchiveObject[] = [];
      const entries = await readdir(run.location, { withFileTypes: true, recursive: true });
      for (const e of entries) {
        if (!e.isFile()) continue;
        const full = path.join(e.parentPath, e.name);
        const relative = path.relative(run.location, full).split(path.sep).join('/');
        if (hiddenBelowRun(relative)) continue;
        const size = (await stat(full)).size;
        if (size > 0) out.push({ path: full, bytes: size });
      }
      return out.sort((a, b) => (a.path < b.path ? -1 : 1));
    },
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
    async listRuns() {
      const listing = await s3.listTopLevel(archive.bucket, archive.prefix);
      const runs: ArchiveRun[] = [];
      const ignored: string[] = [];
      for (const folder of [...listing.folders].sort()) {
        const id = runIdFromFolderName(folder);
        if (id !== null) runs.push({ runId: id, location: `${base}${folder}/` });
        else ignored.push(uri(`${base}${folder}/`));
      }
      for (const f of listing.files) ignored.push(uri(`${base}${f}`));
      return { runs, ignored };
    },
    async listFiles(run) {
      const out: ArchiveObject[] = [];
      for await (const o of s3.listObjects(archive.bucket, run.location)) {
        const relative = o.key.slice(run.location.length);
        // Zero-byte keys include the "folder" markers some tools write (`.../sub/`).
        if (o.size > 0 && !relative.endsWith('/') && !hiddenBelowRun(relative)) {
          out.push({ path: uri(o.key), bytes: o.size });
        }
      }
      return out;
    },
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
