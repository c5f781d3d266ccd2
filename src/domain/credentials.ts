import type { ValidationIssue } from './errors.js';

/** Static keys from the storage config. The secret is hidden from JSON, `console.log` and spreads. */
export interface StaticCredentials {
  kind: 'static';
  accessKeyId: string;
  secretAccessKey: string;
}

/** Use the AWS default credential chain (environment, profile, SSO, instance/container role); `reason` says why. */
export interface DefaultChainCredentials {
  kind: 'default-chain';
  reason: string;
}

export type Credentials = StaticCredentials | DefaultChainCredentials;

/** What a secret is replaced with wherever it could be seen. */
export const REDACTED = '****';

/**
 * Snowplow's convention: one of these in place of a real key means "use the default chain"
 * (`iam` = the instance role, `env` = the environment variables; the chain covers both).
 */
export const DEFAULT_CHAIN_KEYWORDS = ['iam', 'env', 'default'] as const;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function isKeyword(value: string): boolean {
  return (DEFAULT_CHAIN_KEYWORDS as readonly string[]).includes(value);
}

/** The credentials with the secret replaced by `****`: safe for logs and `--json`. */
export function redactCredentials(credentials: Credentials): Credentials {
  if (credentials.kind === 'default-chain') return { kind: 'default-chain', reason: credentials.reason };
  return { kind: 'static', accessKeyId: credentials.accessKeyId, secretAccessKey: REDACTED };
}

/**
 * Static credentials whose secret is a non-enumerable property: readable as
 * `credentials.secretAccessKey`, but left out of `JSON.stringify`, `{...spread}`, `Object.keys`,
 * and shown as `****` by `util.inspect`/`console.log`.
 */
export function staticCredentials(accessKeyId: string, secretAccessKey: string): StaticCredentials {
  const credentials = { kind: 'static', accessKeyId } as StaticCredentials;
  Object.defineProperty(credentials, 'secretAccessKey', { value: secretAccessKey, enumerable: false });
  Object.defineProperty(credentials, 'toJSON', {
    value: () => redactCredentials(credentials),
    enumerable: false,
  });
  Object.defineProperty(credentials, INSPECT, {
    value: () => redactCredentials(credentials),
    enumerable: false,
  });
  return credentials;
}

export type CredentialsResult =
  | { ok: true; credentials: Credentials }
  | { ok: false; issues: ValidationIssue[] };

/**
 * Interprets the key pair of a storage config. `keys` is null for 2-0-0's `auth: null`.
 * `source` is the file, `basePath` the JSON Pointer of the object holding the two keys
 * (`/data` for 1-0-x, `/data/auth` for 2-0-0).
 */
export function resolveCredentials(
  keys: { accessKeyId: string; secretAccessKey: string } | null,
  source: string,
  basePath: string,
): CredentialsResult {
  if (keys === null) {
    return {
      ok: true,
      credentials: { kind: 'default-chain', reason: `${basePath.split('/').pop() ?? 'auth'} is null` },
    };
  }
  const { accessKeyId, secretAccessKey } = keys;
  const idIsKeyword = isKeyword(accessKeyId);
  const secretIsKeyword = isKeyword(secretAccessKey);
  if (idIsKeyword && secretIsKeyword) {
    const reason =
      accessKeyId === secretAccessKey
        ? `accessKeyId and secretAccessKey are "${accessKeyId}"`
        : `accessKeyId is "${accessKeyId}" and secretAccessKey is "${secretAccessKey}"`;
    return { ok: true, credentials: { kind: 'default-chain', reason } };
  }
  const keywords = DEFAULT_CHAIN_KEYWORDS.map((k) => `"${k}"`).join(', ');
  const issues: ValidationIssue[] = [];
  if (idIsKeyword || secretIsKeyword) {
    // Never echo the value that is not a keyword: it may be the secret.
    const [keywordField, keyword, otherField] = idIsKeyword
      ? ['accessKeyId', accessKeyId, 'secretAccessKey']
      : ['secretAccessKey', secretAccessKey, 'accessKeyId'];
    issues.push({
      source,
      path: `${basePath}/${otherField}`,
      message: `${keywordField} is "${keyword}" (use the default credentials chain) but ${otherField} holds a real value`,
      hint: `Set both keys to "${keyword}" to use the default credentials chain, or give both real keys.`,
    });
    return { ok: false, issues };
  }
  for (const [field, value] of [
    ['accessKeyId', accessKeyId],
    ['secretAccessKey', secretAccessKey],
  ] as const) {
    if (value.trim() === '') {
      issues.push({
        source,
        path: `${basePath}/${field}`,
        message: `${field} is empty`,
        hint: `Give a real key, or set both keys to one of ${keywords} to use the default credentials chain.`,
      });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, credentials: staticCredentials(accessKeyId, secretAccessKey) };
}
