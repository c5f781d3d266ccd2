/**
 * Who the caller is: the credentials the SDK's chain finds, and STS GetCallerIdentity. Behind a
 * narrow interface built by one factory; a missing, expired or refused identity becomes a
 * `UserError` that says which and what to do.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { UserError } from '../domain/errors.js';
import { clientConfig, type AwsAccess } from './access.js';
import { connectionCode, errorName } from './sdk-errors.js';

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export interface StsClient {
  /**
   * The access key id the credential chain (or the static keys) yields, without a request;
   * rejects with `AWS_NO_CREDENTIALS` (or the provider's own reason, e.g. an expired SSO session).
   */
  resolveCredentials(): Promise<{ accessKeyId: string; expiration?: Date }>;
  /** STS GetCallerIdentity: needs no permission, only valid credentials. */
  getCallerIdentity(): Promise<CallerIdentity>;
  destroy(): void;
}

const CHAIN =
  'environment (AWS_ACCESS_KEY_ID), --profile / AWS_PROFILE, ~/.aws/credentials and config, SSO, container or instance role';

/** Builds the STS adapter. Each call makes its own SDK client: nothing is cached at module level. */
export function createStsClient(access: AwsAccess): StsClient {
  const sdk = new STSClient(clientConfig(access));
  const profileNote = access.profile === undefined ? '' : ` (profile ${access.profile})`;
  return {
    async resolveCredentials() {
      try {
        const c = await sdk.config.credentials();
        return { accessKeyId: c.accessKeyId, ...(c.expiration ? { expiration: c.expiration } : {}) };
      } catch (error) {
        throw mapStsError(error, access, profileNote);
      }
    },
    async getCallerIdentity() {
      try {
        const out = await sdk.send(new GetCallerIdentityCommand({}));
        return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
      } catch (error) {
        throw mapStsError(error, access, profileNote);
      }
    },
    destroy() {
      sdk.destroy();
    },
  };
}

/** STS and credential-provider errors as `UserError`s; anything else unchanged. */
export function mapStsError(error: unknown, access: AwsAccess, profileNote = ''): unknown {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError') {
    const none = /could not load credentials from any providers/i.test(message);
    return new UserError(
      none
        ? `no AWS credentials found${profileNote} (looked in: ${CHAIN})`
        : `the AWS credentials${profileNote} cannot be used: ${message}`,
      {
        code: none ? 'AWS_NO_CREDENTIALS' : 'AWS_CREDENTIALS',
        hint: /sso/i.test(message)
          ? `Sign in again: aws sso login${access.profile ? ` --profile ${access.profile}` : ''}.`
          : 'Give credentials: --profile NAME (or AWS_PROFILE) for a profile in ~/.aws, `aws configure`, `aws sso login`, or static keys in the storage config.',
        cause: error,
      },
    );
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || name === 'RequestExpired') {
    return new UserError(`the AWS credentials${profileNote} have expired: ${message}`, {
      code: 'AWS_CREDENTIALS_EXPIRED',
      hint: 'Refresh them (aws sso login, a new session token, or re-assume the role), then run again.',
      cause: error,
    });
  }
  if (
    name === 'InvalidClientTokenId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'UnrecognizedClientException'
  ) {
    return new UserError(`AWS does not accept the credentials${profileNote}: ${message}`, {
      code: 'AWS_CREDENTIALS_INVALID',
      hint: 'Check the access key and secret (storage config keys, --profile / AWS_PROFILE, or the environment): they are unknown to AWS or mistyped.',
      cause: error,
    });
  }
  const code = connectionCode(error);
  if (code !== undefined || name === 'TimeoutError') {
    return new UserError(
      `cannot reach STS at ${access.endpoint ?? `the STS endpoint of ${access.region}`} (${code ?? name})`,
      {
        code: 'STS_UNREACHABLE',
        hint: 'Check the network (proxy, VPC endpoint); AWS_ENDPOINT_URL_STS overrides the endpoint.',
        cause: error,
      },
    );
  }
  return error;
}
