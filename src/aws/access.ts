/** How an adapter reaches its service: region, endpoint override, credentials or profile. */

/** Static keys, as the SDK clients take them. */
export interface StaticKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsAccess {
  region: string;
  /** An endpoint override (a stand-in); otherwise the SDK's own resolution, `AWS_ENDPOINT_URL_*` included. */
  endpoint?: string;
  /** Static keys; without them the default chain (or `profile`) is used. */
  credentials?: StaticKeys;
  profile?: string;
}

/**
 * The SDK client settings of an access. Checks make one call and want its answer: two attempts,
 * so a wrong endpoint fails in seconds rather than after the SDK's default retries.
 */
export function clientConfig(a: AwsAccess): {
  region: string;
  endpoint?: string;
  credentials?: StaticKeys;
  profile?: string;
  maxAttempts: number;
} {
  return {
    region: a.region,
    ...(a.endpoint === undefined ? {} : { endpoint: a.endpoint }),
    ...(a.credentials === undefined ? {} : { credentials: a.credentials }),
    ...(a.profile === undefined ? {} : { profile: a.profile }),
    maxAttempts: 2,
  };
}
