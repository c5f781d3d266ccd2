/** What the adapters read off AWS SDK errors before mapping them to user errors. */

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
