import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import type { ValidationIssue } from '../../../src/domain/errors.js';
import {
  checkSchemaKey,
  compileIgluSchema,
  embeddedSchemaFiles,
  httpSchemaUrl,
  normalizeResolverConfig,
  parseJsonText,
  parseSchemaUri,
  parseSelfDescribing,
  prioritizeRepositories,
  schemaDescribes,
  schemaKeyToUri,
  type DataValidator,
  type IgluRepository,
  type SchemaKey,
} from '../../../src/domain/iglu.js';

const STORAGE_KEY: SchemaKey = {
  vendor: 'com.snowplowanalytics.snowplow.storage',
  name: 'amazon_dynamodb_config',
  format: 'jsonschema',
  version: '2-0-0',
};

function bundled(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../../schemas/iglu/${path}`, import.meta.url), 'utf8'));
}

function validator(path: string): DataValidator {
  const compiled = compileIgluSchema(bundled(path));
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.validate;
}

const storage200 = validator(
  'com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
);
const storage101 = validator(
  'com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/1-0-1',
);
const resolver103 = validator('com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3');

const validV2 = {
  name: 'manifest',
  auth: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  awsRegion: 'us-east-1',
  dynamodbTable: 'manifest',
  id: 'ce3b5fc6-ae2e-4e5a-a5cb-0a1bd6fa8a2c',
  purpose: 'EVENTS_MANIFEST',
};

function paths(issues: ValidationIssue[]): string[] {
  return issues.map((i) => i.path);
}

describe('schema keys', () => {
  it('parses an iglu: URI and writes it back', () => {
    const uri = 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0';
    const key = parseSchemaUri(uri);
    expect(key).toEqual(STORAGE_KEY);
    expect(schemaKeyToUri(key as SchemaKey)).toBe(uri);
  });

  it.each([
    'com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
    'iglu:com.acme/config/jsonschema/2-0',
    'iglu:com.acme/config/jsonschema/0-1-0',
    'iglu:com.acme/config/jsonschema/1-01-0',
    'iglu:com.acme/config/1-0-0',
  ])('rejects %j', (uri) => {
    expect(parseSchemaUri(uri)).toBeNull();
  });
});

describe('parseJsonText', () => {
  it('reports a syntax error with its line and column', () => {
    const r = parseJsonText('{\n  "schema": "x",\n  "data": {},\n}\n', 'storage.json');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]?.source).toBe('storage.json');
    expect(r.issues[0]?.message).toMatch(/^invalid JSON at line 4, column 1: /);
    expect(r.issues[0]?.hint).toContain('trailing comma');
  });

  it('reports a truncated file at its end', () => {
    const r = parseJsonText('{\n  "schema": ', 's');
    expect(!r.ok && r.issues[0]?.message).toMatch(/^invalid JSON at line 2, column 13: /);
  });

  it('says when the file is empty', () => {
    const r = parseJsonText('  \n', 's');
    expect(!r.ok && r.issues[0]?.message).toBe('the file is empty');
  });

  it('accepts a byte-order mark', () => {
    expect(parseJsonText('\uFEFF{"a":1}', 's')).toEqual({ ok: true, value: { a: 1 } });
  });
});

describe('parseSelfDescribing', () => {
  it('splits schema and data', () => {
    const r = parseSelfDescribing({ schema: schemaKeyToUri(STORAGE_KEY), data: { a: 1 } }, 's');
    expect(r).toEqual({ ok: true, value: { key: STORAGE_KEY, data: { a: 1 } } });
  });

  it('reports a missing schema and a missing data together', () => {
    const r = parseSelfDescribing({ name: 'x' }, 'storage.json');
    expect(!r.ok && paths(r.issues)).toEqual(['/schema', '/data']);
    expect(!r.ok && r.issues[0]?.hint).toContain('"schema": "iglu:');
  });

  it('reports a malformed schema URI, showing how it should look', () => {
    const r = parseSelfDescribing({ schema: 'com.acme/x/jsonschema/1-0-0', data: {} }, 's');
    expect(!r.ok && r.issues[0]?.message).toBe('"com.acme/x/jsonschema/1-0-0" is not an Iglu schema URI');
    expect(!r.ok && r.issues[0]?.hint).toContain('iglu:<vendor>/<name>/jsonschema/<MODEL-REVISION-ADDITION>');
  });

  it('rejects an array or a bare value', () => {
    expect(parseSelfDescribing([], 's').ok).toBe(false);
    expect(parseSelfDescribing('iglu:x', 's').ok).toBe(false);
  });
});

describe('checkSchemaKey', () => {
  const family = { vendor: STORAGE_KEY.vendor, name: STORAGE_KEY.name, format: 'jsonschema' };

  it('names the expected schema when the file is something else', () => {
    const issues = checkSchemaKey(
      { vendor: 'com.acme', name: 'config', format: 'jsonschema', version: '1-0-0' },
      family,
      ['1-0-0', '2-0-0'],
      'storage.json',
      'Pass the storage config.',
    );
    expect(issues).toEqual([
      {
        source: 'storage.json',
        path: '/schema',
        message:
          'is iglu:com.acme/config/jsonschema/1-0-0, expected iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/<1-0-0|2-0-0>',
        hint: 'Pass the storage config.',
      },
    ]);
  });

  it('lists the supported versions for an unknown one', () => {
    const issues = checkSchemaKey({ ...STORAGE_KEY, version: '3-0-0' }, family, ['1-0-0', '2-0-0'], 's', '');
    expect(issues[0]?.message).toContain('version 3-0-0');
    expect(issues[0]?.message).toContain('supported: 1-0-0, 2-0-0');
  });
});

describe('validation against an Iglu schema', () => {
  it('passes valid data', () => {
    expect(storage200(validV2, 's', '/data')).toEqual([]);
    expect(storage200({ ...validV2, auth: null }, 's', '/data')).toEqual([]);
  });

  it('reports every problem, each at its JSON path under /data', () => {
    const issues = storage200(
      { name: 'm', auth: null, awsRegion: 3, id: 'not-a-uuid', purpose: 'DUPLICATE_TRACKING', extra: true },
      'storage.json',
      '/data',
    );
    expect(paths(issues).sort()).toEqual(
      ['/data/awsRegion', '/data/dynamodbTable', '/data/extra', '/data/id', '/data/purpose'].sort(),
    );
    const byPath = new Map(issues.map((i) => [i.path, i]));
    expect(byPath.get('/data/dynamodbTable')?.message).toBe('required property "dynamodbTable" is missing');
    expect(byPath.get('/data/awsRegion')?.message).toBe('must be string, not a number');
    expect(byPath.get('/data/id')?.message).toBe('must be a valid uuid, not "not-a-uuid"');
    expect(byPath.get('/data/purpose')?.message).toBe(
      'must be one of "EVENTS_MANIFEST", not "DUPLICATE_TRACKING"',
    );
    expect(byPath.get('/data/purpose')?.hint).toBe('Set it to "EVENTS_MANIFEST".');
    expect(byPath.get('/data/extra')?.message).toContain(
      'allowed here: name, auth, awsRegion, dynamodbTable, id, purpose',
    );
    expect(issues.every((i) => i.source === 'storage.json')).toBe(true);
  });

  it('points a 1-0-x layout under a 2-0-0 schema at the keys that moved', () => {
    const rest: Record<string, unknown> = { ...validV2 };
    delete rest.auth;
    const issues = storage200({ ...rest, accessKeyId: 'iam', secretAccessKey: 'iam' }, 's', '/data');
    expect(paths(issues).sort()).toEqual(['/data/accessKeyId', '/data/auth', '/data/secretAccessKey']);
  });

  it('reads a failed oneOf as the branch that was meant, not as contradictions', () => {
    const issues = storage200({ ...validV2, auth: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' } }, 's', '/data');
    expect(issues).toEqual([
      {
        source: 's',
        path: '/data/auth/secretAccessKey',
        message: 'required property "secretAccessKey" is missing',
        hint: 'Add "secretAccessKey".',
      },
    ]);
  });

  it('a wrongly typed auth says what it may be', () => {
    const issues = storage200({ ...validV2, auth: 'iam' }, 's', '/data');
    expect(paths(issues)).toEqual(['/data/auth']);
    expect(issues[0]?.message).toBe('must be object or null, not a string');
    expect(issues[0]?.hint).toBe('Make it match exactly one of the allowed forms.');
  });

  it('does not echo a secret in a type error', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const issues = storage101({ name: 'x', accessKeyId: 5, secretAccessKey: [secret] }, 's', '/data');
    expect(JSON.stringify(issues)).not.toContain(secret);
  });

  it('in a resolver, an invalid http uri is reported under its repository', () => {
    const issues = resolver103(
      {
        cacheSize: 500,
        repositories: [
          { name: 'c', priority: 0, vendorPrefixes: [], connection: { http: { uri: 'iglucentral.com' } } },
        ],
      },
      'resolver.json',
      '/data',
    );
    expect(issues).toEqual([
      {
        source: 'resolver.json',
        path: '/data/repositories/0/connection/http/uri',
        message: 'must be a valid uri, not "iglucentral.com"',
        hint: 'Use an absolute URI such as http://iglucentral.com.',
      },
    ]);
  });

  it('a connection that is neither embedded nor http says which forms are allowed', () => {
    const issues = resolver103(
      {
        cacheSize: 1,
        repositories: [{ name: 'c', priority: 0, vendorPrefixes: [], connection: { s3: { bucket: 'b' } } }],
      },
      'resolver.json',
      '/data',
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('/data/repositories/0/connection');
    expect(issues[0]?.message).toContain('required property "embedded" is missing');
    expect(issues[0]?.message).toContain('required property "http" is missing');
  });

  it('refuses a schema that is not JSON Schema', () => {
    const compiled = compileIgluSchema({ type: 'no-such-type' });
    expect(compiled.ok).toBe(false);
  });
});

function repo(
  name: string,
  priority: number,
  kind: 'embedded' | 'http',
  vendorPrefixes: string[],
): IgluRepository {
  return {
    name,
    priority,
    vendorPrefixes,
    connection: kind === 'http' ? { kind, uri: `http://${name}` } : { kind, path: `/${name}` },
    pointer: '/data/repositories/0',
  };
}

describe('prioritizeRepositories (Iglu order)', () => {
  it('puts matching vendor prefixes first, then embedded before HTTP, then lower priority first', () => {
    const order = prioritizeRepositories(
      [
        repo('other-http', 0, 'http', ['com.acme']),
        repo('central-10', 10, 'http', ['com.snowplowanalytics']),
        repo('central-1', 1, 'http', ['com.snowplowanalytics']),
        repo('local', 50, 'embedded', ['com.snowplowanalytics.snowplow']),
        repo('other-embedded', 0, 'embedded', []),
      ],
      STORAGE_KEY,
    ).map((r) => r.name);
    expect(order).toEqual(['local', 'central-1', 'central-10', 'other-embedded', 'other-http']);
  });

  it('keeps the file order for ties', () => {
    const order = prioritizeRepositories(
      [repo('a', 0, 'http', []), repo('b', 0, 'http', []), repo('c', 0, 'http', [])],
      STORAGE_KEY,
    ).map((r) => r.name);
    expect(order).toEqual(['a', 'b', 'c']);
  });
});

describe('schema locations', () => {
  it('HTTP: <uri>/schemas/<vendor>/<name>/jsonschema/<version>, whatever the trailing slashes', () => {
    expect(httpSchemaUrl('http://iglucentral.com/', STORAGE_KEY)).toBe(
      'http://iglucentral.com/schemas/com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
    );
  });

  it('embedded: relative to the resolver directory', () => {
    expect(embeddedSchemaFiles('repo', '/etc/snowplow', STORAGE_KEY)).toEqual([
      '/etc/snowplow/repo/schemas/com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
    ]);
  });

  it('embedded: an absolute (classpath-style) path is tried as is, then below the resolver directory', () => {
    expect(embeddedSchemaFiles('/iglu-embedded', '/etc/snowplow', STORAGE_KEY)).toEqual([
      '/iglu-embedded/schemas/com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
      '/etc/snowplow/iglu-embedded/schemas/com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0',
    ]);
  });

  it("schemaDescribes checks the schema's self", () => {
    const schema = bundled('com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0');
    expect(schemaDescribes(schema, STORAGE_KEY)).toBe(true);
    expect(schemaDescribes(schema, { ...STORAGE_KEY, version: '1-0-0' })).toBe(false);
    expect(schemaDescribes('<html>', STORAGE_KEY)).toBe(false);
  });
});

describe('normalizeResolverConfig', () => {
  const data = {
    cacheSize: 500,
    cacheTtl: 600,
    repositories: [
      {
        name: 'Local',
        priority: 0,
        vendorPrefixes: ['com.acme'],
        connection: { embedded: { path: '/repo' } },
      },
      {
        name: 'Private',
        priority: 1,
        vendorPrefixes: [],
        connection: { http: { uri: 'https://r.example.com', apikey: 'secret-api-key-123' } },
      },
      {
        name: 'Central',
        priority: 2,
        vendorPrefixes: [],
        connection: { http: { uri: 'http://iglucentral.com', apikey: null } },
      },
    ],
  };

  it('normalizes repositories with their JSON pointers', () => {
    const config = normalizeResolverConfig('1-0-3', data);
    expect(config.schemaVersion).toBe('1-0-3');
    expect(config.cacheTtl).toBe(600);
    expect(config.repositories.map((r) => [r.name, r.connection.kind, r.pointer])).toEqual([
      ['Local', 'embedded', '/data/repositories/0'],
      ['Private', 'http', '/data/repositories/1'],
      ['Central', 'http', '/data/repositories/2'],
    ]);
    const central = config.repositories[2]?.connection;
    expect(central?.kind === 'http' && central.apikey).toBeUndefined();
  });

  it('keeps the apikey usable but out of JSON and logs', () => {
    const config = normalizeResolverConfig('1-0-3', data);
    const connection = config.repositories[1]?.connection;
    expect(connection?.kind === 'http' && connection.apikey).toBe('secret-api-key-123');
    expect(JSON.stringify(config)).not.toContain('secret-api-key-123');
    expect(JSON.stringify(config)).toContain('"apikey":"****"');
    expect(inspect(config, { depth: 10 })).not.toContain('secret-api-key-123');
  });
});
