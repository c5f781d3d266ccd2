/** `s3://bucket/key` locations: parsed, joined and told apart from local paths. Pure. */

/** A bucket and a key (`''` for the bucket's root). */
export interface S3Location {
  bucket: string;
  key: string;
}

const S3_URI = /^s3[an]?:\/\/([^/]+)(?:\/(.*))?$/i;

/** True for `s3://`, `s3a://` and `s3n://` URIs. */
export function isS3Uri(location: string): boolean {
  return S3_URI.test(location.trim());
}

/** The bucket and key of an S3 URI, or null when `uri` is not one. */
export function parseS3Uri(uri: string): S3Location | null {
  const m = S3_URI.exec(uri.trim());
  if (m === null || m[1] === undefined || m[1] === '') return null;
  return { bucket: m[1], key: m[2] ?? '' };
}

/** `s3://bucket/key`. */
export function formatS3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}

/**
 * Joins an `s3://` prefix and path parts with exactly one `/` between them; a trailing `/` on the
 * last part is kept (it marks a folder), `s3a://` and `s3n://` become `s3://` (EMRFS reads s3://,
 * and the local runner maps it to S3A).
 */
export function joinS3Uri(base: string, ...parts: string[]): string {
  const loc = parseS3Uri(base);
  if (loc === null) throw new Error(`not an s3:// URI: ${base}`);
  const last = parts.length > 0 ? parts[parts.length - 1] : loc.key;
  const trailing = last !== undefined && last.endsWith('/');
  const segments = [loc.key, ...parts].flatMap((p) => p.split('/')).filter((s) => s !== '');
  const key = segments.join('/');
  return formatS3Uri({ bucket: loc.bucket, key: trailing && key !== '' ? `${key}/` : key });
}
