/**
 * The S3 calls the CLI makes on an enriched archive, behind a narrow interface built by one factory
 * (aws-cdk-cli style). SDK errors a user can fix become `UserError`s with a hint here; anything
 * else is rethrown as it came.
 */
import { ListObjectsV2Command, S3Client as SdkS3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

import { UserError } from '../domain/errors.js';
import { errorName, httpStatus, connectionCode } from './sdk-errors.js';

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

/** The S3 operations the CLI uses. */
export interface S3Client {
  /**
   * Lists the folders and objects directly under `prefix` (`''` = the bucket's root; a missing
   * trailing `/` is added), every page of ListObjectsV2 with Delimiter `/`.
   */
  listTopLevel(bucket: string, prefix: string): Promise<PrefixListing>;
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

  return {
    async listTopLevel(bucket, prefix) {
      const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
      const folders: string[] = [];
      const files: string[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await sdk.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: base,
              Delimiter: '/',
              ContinuationToken: token,
            }),
          );
        } catch (error) {
          throw mapS3Error(error, { ...where, operation: 'ListObjectsV2', bucket, prefix: base });
        }
        for (const cp of page.CommonPrefixes ?? []) {
          if (cp.Prefix !== undefined) folders.push(cp.Prefix.slice(base.length).replace(/\/$/, ''));
        }
        for (const o of page.Contents ?? []) {
          // The "folder marker" some tools create for the prefix itself is not a file in it.
          if (o.Key !== undefined && o.Key !== base) files.push(o.Key.slice(base.length));
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return { folders, files };
    },

    destroy() {
      sdk.destroy();
    },
  };
}

/** Where a failed call went, for the error message. */
export interface S3ErrorContext {
  operation: string;
  bucket: string;
  prefix: string;
  region: string;
  endpoint: string | undefined;
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

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
  if (name !== undefined && CREDENTIAL_ERRORS.has(name)) {
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
    return new UserError(`S3 ${ctx.operation} on ${url} was refused (access denied).`, {
      hint: `Grant the identity s3:ListBucket on arn:aws:s3:::${ctx.bucket} (and s3:GetObject on the prefix); \`aws sts get-caller-identity\` shows which identity is used.`,
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
