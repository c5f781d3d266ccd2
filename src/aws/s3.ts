/**
 * The S3 calls the CLI makes on an enriched archive, behind a narrow interface built by one factory
 * (aws-cdk-cli style). SDK errors a user can fix become `UserError`s with a hint here; anything
 * else is rethrown as it came.
 */
import type { Readable } from 'node:stream';
import { createReadStream, statSync } from 'node:fs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client as SdkS3Client,
  type ListObjectsV2CommandOutput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import { UserError } from '../domain/errors.js';
import { errorName, httpStatus, connectionCode, isCredentialErrorName } from './sdk-errors.js';

/** How to reach S3. Without `credentials`, the default chain (or `profile`) is used. */
export interface S3ClientOptions {
  region: string;
  /** An endpoint override (an emulator); requests are then path-style (`http://host/bucket/key`). */
  endpoint?: string;
  credentials?: S3ClientConfig['credentials'];
  profile?: string;
}

/** The top level of a prefix, as a `/`-delimited listing shows it. */
export interface PrefixListing {
  /** Names of the "folders" directly under the prefix, without the prefix and without the trailing `/`. */
  folders: string[];
  /** Names of the objects directly under the prefix (not in a folder). */
  files: string[];
}

/** One object of a listing. */
export interface ObjectEntry {
  key: string;
  size: number;
}

/** Which keys a flat listing covers: those after `startAfter` and before `before` (both exclusive). */
export interface KeyRange {
  startAfter?: string;
  before?: string;
}

/** The S3 operations the CLI uses. */
export interface S3Client {
  /**
   * Lists the folders and objects directly under `prefix` (`''` = the bucket's root; a missing
   * trailing `/` is added), every page of ListObjectsV2 with Delimiter `/`.
   */
  listTopLevel(bucket: string, prefix: string): Promise<PrefixListing>;
  /**
   * Every object under `prefix` (recursively, in key order) within `range`, page by page: the
   * listing stops at the first key not before `range.before`, so a contiguous range of run folders
   * costs the pages it holds and no more.
   */
  listObjects(bucket: string, prefix: string, range?: KeyRange): AsyncIterable<ObjectEntry>;
  /** Writes a small object. */
  putObject(bucket: string, key: string, body: string): Promise<void>;
  /** The object's size, or null when there is none (404). */
  headObject(bucket: string, key: string): Promise<{ size: number } | null>;
  /** Bytes [start, end) of an object (one ranged GET); fewer at its end, none past it. */
  getObjectRange(bucket: string, key: string, start: number, end: number): Promise<Uint8Array>;
  /** The whole object, or null when there is no such object. */
  getObject(bucket: string, key: string): Promise<Uint8Array | null>;
  /** Uploads a local file (multipart above 8 MB, parts in parallel); `onProgress` gets the bytes sent so far. */
  uploadFile(
    bucket: string,
    key: string,
    file: string,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<void>;
  /** Creates a bucket (the demo's, on its S3 stand-in); one already there is fine. */
  createBucket(bucket: string): Promise<void>;
  /** The object's bytes as a stream, its first `maxBytes` only when given (a ranged GET). */
  getObjectStream(bucket: string, key: string, maxBytes?: number): Promise<AsyncIterable<Uint8Array>>;
  /** A small object as UTF-8 text, or null when there is none. */
  getObjectText(bucket: string, key: string): Promise<string | null>;
  /** Closes the connections. */
  destroy(): void;
}

/** Builds the S3 adapter. Each call makes its own SDK client: nothing is cached at module level. */
export function createS3Client(opts: S3ClientOptions): S3Client {
  const sdk = new SdkS3Client({
    region: opts.region,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint, forcePathStyle: true }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    // A wrong endpoint should fail in seconds, not after the SDK's default retries.
    maxAttempts: 2,
  });
  const where = { region: opts.region, endpoint: opts.endpoint };
  const getObject = async (bucket: string, key: string): Promise<Uint8Array | null> => {
    try {
      const r = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return r.Body === undefined ? new Uint8Array(0) : await r.Body.transformToByteArray();
    } catch (error) {
      if (errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound' || httpStatus(error) === 404) {
        return null;
      }
      throw mapS3Error(error, { ...where, operation: 'GetObject', bucket, prefix: key });
    }
  };

  /** Every page of a ListObjectsV2 (StartAfter goes with the first request only; the token carries on). */
  async function* listPages(input: {
    Bucket: string;
    Prefix: string;
    Delimiter?: string;
    StartAfter?: string;
  }): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await sdk.send(
          new ListObjectsV2Command(
            token === undefined ? input : { ...input, StartAfter: undefined, ContinuationToken: token },
          ),
        );
      } catch (error) {
        throw mapS3Error(error, {
          ...where,
          operation: 'ListObjectsV2',
          bucket: input.Bucket,
          prefix: input.Prefix,
        });
      }
      yield page;
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  return {
    async listTopLevel(bucket, prefix) {
      const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
      const folders: string[] = [];
      const files: string[] = [];
      for await (const page of listPages({ Bucket: bucket, Prefix: base, Delimiter: '/' })) {
        for (const cp of page.CommonPrefixes ?? []) {
          if (cp.Prefix !== undefined) folders.push(cp.Prefix.slice(base.length).replace(/\/$/, ''));
        }
        for (const o of page.Contents ?? []) {
          // The "folder marker" some tools create for the prefix itself is not a file in it.
          if (o.Key !== undefined && o.Key !== base) files.push(o.Key.slice(base.length));
        }
      }
      return { folders, files };
    },

    async *listObjects(bucket, prefix, range = {}) {
      const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
      for await (const page of listPages({ Bucket: bucket, Prefix: base, StartAfter: range.startAfter })) {
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          // S3 lists in UTF-8 byte order, which JS string order follows for the ASCII bounds used here.
          if (range.before !== undefined && o.Key >= range.before) return;
          yield { key: o.Key, size: o.Size ?? 0 };
        }
      }
    },

    async putObject(bucket, key, body) {
      try {
        await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      } catch (error) {
        throw mapS3Error(error, { ...where, operation: 'PutObject', bucket, prefix: key });
      }
    },

    async headObject(bucket, key) {
      try {
        const out = await sdk.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: out.ContentLength ?? 0 };
      } catch (error) {
        if (errorName(error) === 'NotFound' || httpStatus(error) === 404) return null;
        throw mapS3Error(error, { ...where, operation: 'HeadObject', bucket, prefix: key });
      }
    },

    async getObjectRange(bucket, key, start, end) {
      if (end <= start) return new Uint8Array(0);
      try {
        const out = await sdk.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
        );
        return out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
      } catch (error) {
        // A range past the end of the object: nothing there.
        if (errorName(error) === 'InvalidRange' || httpStatus(error) === 416) return new Uint8Array(0);
        throw mapS3Error(error, { ...where, operation: 'GetObject', bucket, prefix: key });
      }
    },

    getObject,

    async getObjectStream(bucket, key, maxBytes) {
      try {
        const out = await sdk.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(maxBytes === undefined ? {} : { Range: `bytes=0-${maxBytes - 1}` }),
          }),
        );
        // In Node the body is a Readable: an async iterable of Buffers.
        return (out.Body as Readable | undefined) ?? (async function* () {})();
      } catch (error) {
        throw mapS3Error(error, { ...where, operation: 'GetObject', bucket, prefix: key });
      }
    },

    async uploadFile(bucket, key, file, onProgress) {
      const total = statSync(file).size;
      const upload = new Upload({
        client: sdk,
        params: {
          Bucket: bucket,
          Key: key,
          Body: createReadStream(file),
          ContentType: 'application/java-archive',
        },
        partSize: UPLOAD_PART_BYTES,
        queueSize: 4,
      });
      upload.on('httpUploadProgress', (p) => onProgress?.(p.loaded ?? 0, p.total ?? total));
      try {
        await upload.done();
      } catch (error) {
        throw mapS3Error(error, { ...where, operation: 'PutObject', bucket, prefix: key });
      }
      onProgress?.(total, total);
    },

    async createBucket(bucket) {
      try {
        await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (error) {
        const name = errorName(error);
        if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
        throw mapS3Error(error, { ...where, operation: 'CreateBucket', bucket, prefix: '' });
      }
    },

    async getObjectText(bucket, key) {
      const bytes = await getObject(bucket, key);
      return bytes === null ? null : new TextDecoder('utf-8').decode(bytes);
    },

    destroy() {
      sdk.destroy();
    },
  };
}

/** Multipart part size: a 12 MB jar goes in two parts, so the progress bar moves. */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** The permission an S3 operation needs, for access-denied hints. */
const S3_PERMISSION: Record<string, string> = {
  ListObjectsV2: 's3:ListBucket',
  PutObject: 's3:PutObject',
  HeadObject: 's3:GetObject',
  GetObject: 's3:GetObject',
};

/** Where a failed call went, for the error message. */
export interface S3ErrorContext {
  operation: string;
  bucket: string;
  prefix: string;
  region: string;
  endpoint: string | undefined;
}

/** Turns an SDK error a user can fix into a `UserError` with a hint; returns anything else unchanged. */
export function mapS3Error(error: unknown, ctx: S3ErrorContext): unknown {
  if (error instanceof UserError) return error;
  const name = errorName(error);
  const status = httpStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  const url = `s3://${ctx.bucket}/${ctx.prefix}`;
  if (name === 'NoSuchBucket') {
    return new UserError(`The S3 bucket ${ctx.bucket} does not exist (${url}).`, {
      hint: 'Check the bucket name in the archive URI (s3://bucket/prefix/), and the account: --profile / AWS_PROFILE.',
      code: 'S3_BUCKET_NOT_FOUND',
      cause: error,
    });
  }
  if (name !== undefined && isCredentialErrorName(name)) {
    return new UserError(`S3 ${ctx.operation} on ${url} was refused: ${message}`, {
      hint: 'Check the AWS credentials: the storage config keys, --profile / AWS_PROFILE, or the environment; `aws sts get-caller-identity` shows which identity is used.',
      code: 'AWS_CREDENTIALS',
      cause: error,
    });
  }
  if (name === 'InvalidBucketName') {
    return new UserError(`${ctx.bucket} is not a valid S3 bucket name (${url}).`, {
      hint: 'Bucket names have 3-63 lowercase letters, digits, dots and hyphens: check the archive URI (s3://bucket/prefix/).',
      code: 'S3_BUCKET_INVALID',
      cause: error,
    });
  }
  if (name === 'AccessDenied' || name === 'AllAccessDisabled' || status === 403) {
    const permission = S3_PERMISSION[ctx.operation] ?? 's3:ListBucket';
    const resource =
      permission === 's3:ListBucket'
        ? `arn:aws:s3:::${ctx.bucket}`
        : `arn:aws:s3:::${ctx.bucket}/${ctx.prefix}`;
    return new UserError(`S3 ${ctx.operation} on ${url} was refused (access denied).`, {
      hint: `Grant the identity ${permission} on ${resource}${permission === 's3:ListBucket' ? ' (and s3:GetObject on the prefix)' : ''}; \`aws sts get-caller-identity\` shows which identity is used.`,
      code: 'S3_ACCESS_DENIED',
      cause: error,
    });
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return new UserError(`The S3 bucket ${ctx.bucket} is not in region ${ctx.region}.`, {
      hint: "Pass the bucket's region with --region (S3 and DynamoDB are then both looked up there), or copy the archive to a bucket in the table's region.",
      code: 'S3_WRONG_REGION',
      cause: error,
    });
  }
  const code = connectionCode(error);
  if (code !== undefined || name === 'TimeoutError') {
    const target = ctx.endpoint ?? `the S3 endpoint of region ${ctx.region}`;
    return new UserError(`cannot reach S3 at ${target} (${code ?? name})`, {
      hint:
        ctx.endpoint === undefined
          ? 'Check the network (proxy, VPC endpoint) and the region; --s3-endpoint / AWS_ENDPOINT_URL_S3 overrides the endpoint.'
          : 'Check the --s3-endpoint URL (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) and that the S3 service (e.g. an emulator) is running and listening there.',
      code: 'S3_UNREACHABLE',
      cause: error,
    });
  }
  return error;
}
