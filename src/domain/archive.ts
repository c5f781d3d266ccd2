/** Where the enriched archive lives: a local folder (path or file:// URI) or an S3 prefix. */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from './errors.js';

export type ArchiveLocation =
  | { kind: 'local'; path: string; uri: string }
  | { kind: 's3'; bucket: string; prefix: string; uri: string };

/**
 * Parses the archive argument. Local paths are made absolute against `cwd`; `s3://`, `s3a://` and
 * `s3n://` become one location (the job reads them as s3a:// locally, EMRFS s3:// on EMR).
 */
export function parseArchiveLocation(input: string, cwd: string): ArchiveLocation {
  const trimmed = input.trim();
  if (trimmed === '') {
    throw new UserError('The archive argument is empty.', {
      code: 'ARCHIVE_INVALID',
      hint: 'Pass the enriched archive: a local folder, a file:// URI or s3://bucket/prefix/ holding run=... folders.',
    });
  }
  const s3 = /^s3[an]?:\/\/([^/]+)\/?(.*)$/i.exec(trimmed);
  if (s3) {
    const bucket = s3[1] ?? '';
    const prefix = (s3[2] ?? '').replace(/\/*$/, '');
    return { kind: 's3', bucket, prefix, uri: `s3://${bucket}/${prefix ? `${prefix}/` : ''}` };
  }
  if (/^file:/i.test(trimmed)) {
    let p: string;
    try {
      p = fileURLToPath(trimmed);
    } catch (e) {
      throw new UserError(`The archive URI ${trimmed} is not a valid file:// URI.`, {
        code: 'ARCHIVE_INVALID',
        hint: 'Write it as file:///absolute/path/to/archive, or pass a plain path.',
        cause: e,
      });
    }
    return local(p);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new UserError(`The archive ${trimmed} uses a scheme populator cannot read.`, {
      code: 'ARCHIVE_INVALID',
      hint: 'Use s3://bucket/prefix/, a file:// URI or a local path.',
    });
  }
  return local(path.resolve(cwd, trimmed));
}

function local(p: string): ArchiveLocation {
  const abs = path.resolve(p);
  const uri = pathToFileURL(abs).href.replace(/\/?$/, '/');
  return { kind: 'local', path: abs, uri };
}
