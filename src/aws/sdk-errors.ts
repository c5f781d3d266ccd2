/** What the adapters read off AWS SDK errors before mapping them to user errors. */
import { UserError } from '../domain/errors.js';

/** Socket errors that mean "the endpoint cannot be reached" rather than "it said no". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The SDK's error name (`ResourceNotFoundException`, `NoSuchBucket`, `TimeoutError`, ...). */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The HTTP status the service answered with, when it answered. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The socket error code, also when Node wraps several attempts in an AggregateError. */
export function connectionCode(error: unknown): string | undefined {
  const codeOf = (e: unknown): string | undefined => {
    const code = (e as { code?: unknown } | null)?.code;
    return typeof code === 'string' && CONNECTION_CODES.has(code) ? code : undefined;
  };
  const direct = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause);
  if (direct !== undefined) return direct;
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    for (const e of errors) {
      const c = codeOf(e);
      if (c !== undefined) return c;
    }
  }
  return undefined;
}

/** Error names services use for "this identity may not do that". */
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
]);

/** True when the service refused the call for lack of permission (not for bad credentials). */
export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return (name !== undefined && ACCESS_DENIED.has(name)) || (name === undefined && httpStatus(error) === 403);
}

/** Error names that mean the credentials themselves are missing, expired or not valid. */
export const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidAccessKeyId',
  'TokenRefreshRequired',
]);

/**
 * True when the endpoint does not implement the call: an "unknown operation" answer, or one that
 * is not the service's protocol at all (a stand-in's HTML error page). Only an endpoint override
 * answers like that; the checks then say they could not run.
 */
export function isNotImplemented(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'UnknownOperationException' || name === 'InvalidAction' || name === 'NotImplemented')
    return true;
  const message = error instanceof Error ? error.message : '';
  return name === 'SyntaxError' || /Deserialization error/.test(message);
}

/** A call the endpoint (a stand-in) does not implement: code `NOT_IMPLEMENTED`, reported as a skipped check. */
export function notImplemented(permission: string, endpoint: string | undefined, cause: unknown): UserError {
  const operation = permission.split(':')[1] ?? permission;
  return new UserError(`${endpoint ?? 'the endpoint'} does not implement ${operation}`, {
    code: 'NOT_IMPLEMENTED',
    hint: `Run validate against AWS itself (without the endpoint override) to have ${operation} checked.`,
    cause,
  });
}

/** True for an SDK error name that means "fix your credentials" (plus 'InvalidToken', S3's). */
export function isCredentialErrorName(name: string): boolean {
  return CREDENTIAL_ERROR_NAMES.has(name) || name === 'InvalidToken';
}

/** Throttling, as the services name it (the SDK retries these before giving up). */
const THROTTLING_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** True for an SDK error name that means "slow down". */
export function isThrottlingErrorName(name: string): boolean {
  return THROTTLING_ERROR_NAMES.has(name);
}

/** True when the service throttled the call (by name, or HTTP 429). */
export function isThrottling(error: unknown): boolean {
  const name = errorName(error);
  return (name !== undefined && isThrottlingErrorName(name)) || httpStatus(error) === 429;
}

/** Error names services and the SDK use for "the service failed this time; ask again". */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/**
 * True when a call failed in a way the next attempt may not: a dropped or refused connection, a
 * timeout, a 5xx answer; also when such an error is the cause of a mapped one (a `UserError` that
 * says the service cannot be reached keeps the SDK's error as its cause).
 */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const name = errorName(e);
    const status = httpStatus(e);
    if (connectionCode(e) !== undefined || (status !== undefined && status >= 500)) return true;
    if (name !== undefined && TRANSIENT_NAMES.has(name)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
