import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import {
  DEFAULT_CHAIN_KEYWORDS,
  REDACTED,
  redactCredentials,
  resolveCredentials,
  staticCredentials,
} from '../../../src/domain/credentials.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

describe('resolveCredentials', () => {
  it('takes real keys as static credentials', () => {
    const r = resolveCredentials({ accessKeyId: KEY_ID, secretAccessKey: SECRET }, 'storage.json', '/data');
    expect(r.ok).toBe(true);
    if (!r.ok || r.credentials.kind !== 'static') throw new Error('expected static credentials');
    expect(r.credentials.accessKeyId).toBe(KEY_ID);
    expect(r.credentials.secretAccessKey).toBe(SECRET);
  });

  it.each(DEFAULT_CHAIN_KEYWORDS.map((k) => [k]))(
    'takes "%s" in both keys as the default chain',
    (keyword) => {
      const r = resolveCredentials(
        { accessKeyId: keyword, secretAccessKey: keyword },
        'storage.json',
        '/data',
      );
      expect(r).toEqual({
        ok: true,
        credentials: { kind: 'default-chain', reason: `accessKeyId and secretAccessKey are "${keyword}"` },
      });
    },
  );

  it('takes two different keywords as the default chain too', () => {
    const r = resolveCredentials({ accessKeyId: 'iam', secretAccessKey: 'env' }, 's', '/data');
    expect(r.ok && r.credentials.kind).toBe('default-chain');
  });

  it('takes auth: null (2-0-0) as the default chain', () => {
    expect(resolveCredentials(null, 's', '/data/auth')).toEqual({
      ok: true,
      credentials: { kind: 'default-chain', reason: 'auth is null' },
    });
  });

  it('refuses a keyword next to a real key, without echoing the real key', () => {
    const r = resolveCredentials(
      { accessKeyId: 'iam', secretAccessKey: SECRET },
      'storage.json',
      '/data/auth',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    const issue = r.issues[0];
    expect(issue?.source).toBe('storage.json');
    expect(issue?.path).toBe('/data/auth/secretAccessKey');
    expect(issue?.message).toContain('accessKeyId is "iam"');
    expect(issue?.hint).toContain('Set both keys to "iam"');
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('refuses empty keys, naming each', () => {
    const r = resolveCredentials({ accessKeyId: '', secretAccessKey: ' ' }, 'storage.json', '/data');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(['/data/accessKeyId', '/data/secretAccessKey']);
    expect(r.issues[0]?.hint).toContain('"iam"');
  });

  it('treats keywords case-sensitively, as Snowplow does', () => {
    const r = resolveCredentials({ accessKeyId: 'IAM', secretAccessKey: 'IAM' }, 's', '/data');
    expect(r.ok && r.credentials.kind).toBe('static');
  });
});

describe('static credentials never show their secret', () => {
  const credentials = staticCredentials(KEY_ID, SECRET);

  it('in JSON', () => {
    expect(JSON.stringify(credentials)).not.toContain(SECRET);
    expect(JSON.parse(JSON.stringify(credentials))).toEqual({
      kind: 'static',
      accessKeyId: KEY_ID,
      secretAccessKey: REDACTED,
    });
  });

  it('in console.log / util.inspect', () => {
    expect(inspect(credentials)).not.toContain(SECRET);
    expect(inspect({ nested: { credentials } }, { depth: 5 })).toContain(REDACTED);
  });

  it('in spreads and Object.keys', () => {
    expect(JSON.stringify({ ...credentials })).not.toContain(SECRET);
    expect(Object.keys(credentials)).not.toContain('secretAccessKey');
  });

  it('while the secret stays readable by the code that needs it', () => {
    expect(credentials.secretAccessKey).toBe(SECRET);
  });

  it('redactCredentials gives a plain safe copy', () => {
    expect(redactCredentials(credentials)).toEqual({
      kind: 'static',
      accessKeyId: KEY_ID,
      secretAccessKey: '****',
    });
    expect(redactCredentials({ kind: 'default-chain', reason: 'r' })).toEqual({
      kind: 'default-chain',
      reason: 'r',
    });
  });
});
