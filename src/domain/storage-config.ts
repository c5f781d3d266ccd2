/**
 * The DynamoDB storage config (`amazon_dynamodb_config`): its versions, and their data normalized
 * into one shape. 1-0-x: purpose DUPLICATE_TRACKING, keys at the top level; 2-0-0: purpose
 * EVENTS_MANIFEST, keys under `auth` (null = default credentials chain), `id` required.
 */
import { redactCredentials, resolveCredentials, type Credentials } from './credentials.js';
import type { ValidationIssue } from './errors.js';

export const STORAGE_CONFIG_SCHEMA = {
  vendor: 'com.snowplowanalytics.snowplow.storage',
  name: 'amazon_dynamodb_config',
  format: 'jsonschema',
};
export const STORAGE_CONFIG_VERSIONS = ['1-0-0', '1-0-1', '2-0-0'] as const;
export type StorageConfigVersion = (typeof STORAGE_CONFIG_VERSIONS)[number];

/** The storage config, whatever its version. Never log it as is: use `redactStorageConfig` (JSON.stringify already does). */
export interface StorageConfig {
  schemaVersion: StorageConfigVersion;
  name: string;
  table: string;
  region: string;
  /** `DUPLICATE_TRACKING` (1-0-x) or `EVENTS_MANIFEST` (2-0-0). */
  purpose: string;
  id?: string;
  credentials: Credentials;
}

/** The data of 1-0-0 / 1-0-1. */
interface DataV1 {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  awsRegion: string;
  dynamodbTable: string;
  purpose: string;
  id?: string;
}

/** The data of 2-0-0. */
interface DataV2 {
  name: string;
  auth: { accessKeyId: string; secretAccessKey: string } | null;
  awsRegion: string;
  dynamodbTable: string;
  purpose: string;
  id: string;
}

// DynamoDB's own rule for table names.
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export type StorageConfigResult =
  | { ok: true; config: StorageConfig }
  | { ok: false; issues: ValidationIssue[] };

/** A copy safe for logs and `--json`: the secret access key is `****`. */
export function redactStorageConfig(config: StorageConfig): StorageConfig {
  return { ...config, credentials: redactCredentials(config.credentials) };
}

/**
 * The storage config's `data`, already valid against the schema of `version`, as a `StorageConfig`;
 * the checks the schema cannot express (credentials, table name) are reported as issues.
 */
export function normalizeStorageConfig(
  version: StorageConfigVersion,
  data: unknown,
  source: string,
): StorageConfigResult {
  const issues: ValidationIssue[] = [];
  let base: Omit<StorageConfig, 'credentials'>;
  let keys: { accessKeyId: string; secretAccessKey: string } | null;
  let keysPath: string;
  if (version === '2-0-0') {
    const d = data as DataV2;
    base = {
      schemaVersion: version,
      name: d.name,
      table: d.dynamodbTable,
      region: d.awsRegion,
      purpose: d.purpose,
      id: d.id,
    };
    keys =
      d.auth === null ? null : { accessKeyId: d.auth.accessKeyId, secretAccessKey: d.auth.secretAccessKey };
    keysPath = '/data/auth';
  } else {
    const d = data as DataV1;
    base = {
      schemaVersion: version,
      name: d.name,
      table: d.dynamodbTable,
      region: d.awsRegion,
      purpose: d.purpose,
    };
    if (d.id !== undefined) base.id = d.id;
    keys = { accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey };
    keysPath = '/data';
  }
  if (!TABLE_NAME.test(base.table)) {
    issues.push({
      source,
      path: '/data/dynamodbTable',
      message: `${JSON.stringify(base.table)} is not a valid DynamoDB table name`,
      hint: 'Use 3 to 255 characters among letters, digits, "_", "-" and ".".',
    });
  }
  if (base.region.trim() === '') {
    issues.push({
      source,
      path: '/data/awsRegion',
      message: 'awsRegion is empty',
      hint: 'Give the table\'s region, e.g. "us-east-1".',
    });
  }
  const credentials = resolveCredentials(keys, source, keysPath);
  if (!credentials.ok) issues.push(...credentials.issues);
  if (issues.length > 0 || !credentials.ok) return { ok: false, issues };
  return { ok: true, config: { ...base, credentials: credentials.credentials } };
}
