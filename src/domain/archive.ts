/** Where the enriched archive (or a staging or log root) lives: a local folder (path or file:// URI) or an S3 prefix. */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from './errors.js';

export type ArchiveLocation =
  | { kind: 'local'; path: string; uri: string }
  | { kind: 's3'; bucket: string; prefix: string; uri: string };

/** A parsed location, or why the text is not one (`empty`, a bad `file://` URI, an unknown scheme). */
export type LocationResult =
  | { ok: true; location: ArchiveLocation }
  | { ok: false; reason: 'empty' | 'file-uri' | 'scheme'; cause?: unknown };

/**
 * Parses a location without throwing. Local paths are made absolute against `cwd`; `s3://`,
 * `s3a://` and `s3n://` become one location (the job reads them as s3a:// locally, EMRFS s3:// on
 * EMR); the prefix carries no leading or trailing `/`.
 */
export function parseLocation(input: string, cwd: string): LocationResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  const s3 = /^s3[an]?:\/\/([^/]+)\/?(.*)$/i.exec(trimmed);
  if (s3) {
    const bucket = s3[1] ?? '';
    const prefix = (s3[2] ?? '').replace(/\/*$/, '');
    return {
      ok: true,
      location: { kind: 's3', bucket, prefix, uri: `s3://${bucket}/${prefix ? `${prefix}/` : ''}` },
    };
  }
  if (/^file:/i.test(trimmed)) {
    try {
      return { ok: true, location: local(fileURLToPath(trimmed)) };
    } catch (cause) {
      return { ok: false, reason: 'file-uri', cause };
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return { ok: false, reason: 'scheme' };
  return { ok: true, location: local(path.resolve(cwd, trimmed)) };
}

/** Parses the archive argument, throwing a `UserError` (code `ARCHIVE_INVALID`) that says how to write it. */
export function parseArchiveLocation(input: string, cwd: string): ArchiveLocation {
  const r = parseLocation(input, cwd);
  if (r.ok) return r.location;
  const trimmed = input.trim();
  switch (r.reason) {
    case 'empty':
      throw new UserError('The archive argument is empty.', {
        code: 'ARCHIVE_INVALID',
        hint: 'Pass the enriched archive: a local folder, a file:// URI or s3://bucket/prefix/ holding run=... folders.',
      });
    case 'file-uri':
      throw new UserError(`The archive URI ${trimmed} is not a valid file:// URI.`, {
        code: 'ARCHIVE_INVALID',
        hint: 'Write it as file:///absolute/path/to/archive, or pass a plain path.',
        cause: r.cause,
      });
    case 'scheme':
      throw new UserError(`The archive ${trimmed} uses a scheme populator cannot read.`, {
        code: 'ARCHIVE_INVALID',
        hint: 'Use s3://bucket/prefix/, a file:// URI or a local path.',
      });
  }
}

function local(p: string): ArchiveLocation {
  const abs = path.resolve(p);
  const uri = pathToFileURL(abs).href.replace(/\/?$/, '/');
  return { kind: 'local', path: abs, uri };
}
