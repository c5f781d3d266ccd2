import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import {
  normalizeStorageConfig,
  redactStorageConfig,
  type StorageConfig,
} from '../../../src/domain/storage-config.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const v1 = {
  name: 'AWS DynamoDB duplicates storage',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: SECRET,
  awsRegion: 'us-east-1',
  dynamodbTable: 'snowplow-event-manifest',
  purpose: 'DUPLICATE_TRACKING',
};

const v2 = {
  name: 'AWS DynamoDB events manifest',
  auth: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
  awsRegion: 'us-west-2',
  dynamodbTable: 'snowplow-event-manifest',
  id: 'ce3b5fc6-ae2e-4e5a-a5cb-0a1bd6fa8a2c',
  purpose: 'EVENTS_MANIFEST',
};

function config(result: ReturnType<typeof normalizeStorageConfig>): StorageConfig {
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('normalizeStorageConfig', () => {
  it('maps 1-0-0 field names (awsRegion, dynamodbTable, top-level keys)', () => {
    const c = config(normalizeStorageConfig('1-0-0', v1, 's.json'));
    expect(c).toMatchObject({
      schemaVersion: '1-0-0',
      name: 'AWS DynamoDB duplicates storage',
      table: 'snowplow-event-manifest',
      region: 'us-east-1',
      purpose: 'DUPLICATE_TRACKING',
      credentials: { kind: 'static', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
    });
    expect(c.id).toBeUndefined();
    expect(c.credentials.kind === 'static' && c.credentials.secretAccessKey).toBe(SECRET);
  });

  it('keeps the optional id of 1-0-1', () => {
    const c = config(
      normalizeStorageConfig('1-0-1', { ...v1, id: '56799a26-980c-4148-8bd9-c021b988c669' }, 's'),
    );
    expect(c.id).toBe('56799a26-980c-4148-8bd9-c021b988c669');
  });

  it('maps 2-0-0 (keys under auth)', () => {
    const c = config(normalizeStorageConfig('2-0-0', v2, 's'));
    expect(c).toMatchObject({
      schemaVersion: '2-0-0',
      table: 'snowplow-event-manifest',
      region: 'us-west-2',
      purpose: 'EVENTS_MANIFEST',
      id: 'ce3b5fc6-ae2e-4e5a-a5cb-0a1bd6fa8a2c',
      credentials: { kind: 'static' },
    });
  });

  it('maps 2-0-0 auth: null to the default chain', () => {
    const c = config(normalizeStorageConfig('2-0-0', { ...v2, auth: null }, 's'));
    expect(c.credentials).toEqual({ kind: 'default-chain', reason: 'auth is null' });
  });

  it('reports a bad table name, an empty region and a half-"iam" key pair together', () => {
    const r = normalizeStorageConfig(
      '1-0-0',
      { ...v1, dynamodbTable: 'ab', awsRegion: '', accessKeyId: 'iam' },
      'conf/dynamodb.json',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual([
      '/data/dynamodbTable',
      '/data/awsRegion',
      '/data/secretAccessKey',
    ]);
    expect(r.issues.every((i) => i.source === 'conf/dynamodb.json' && i.hint !== undefined)).toBe(true);
  });
});

describe('a StorageConfig never shows the secret', () => {
  const c = config(normalizeStorageConfig('2-0-0', v2, 's'));

  it('JSON.stringify(config) redacts it', () => {
    const json = JSON.stringify(c);
    expect(json).not.toContain(SECRET);
    expect(JSON.parse(json).credentials.secretAccessKey).toBe('****');
  });

  it('nor does console.log, a spread, or the redacted copy', () => {
    expect(inspect(c, { depth: 10 })).not.toContain(SECRET);
    expect(JSON.stringify({ ...c, credentials: { ...c.credentials } })).not.toContain(SECRET);
    const redacted = redactStorageConfig(c);
    expect(redacted.credentials).toEqual({
      kind: 'static',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: '****',
    });
    expect(redacted.table).toBe('snowplow-event-manifest');
  });
});
