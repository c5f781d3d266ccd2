import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { formatIssue, type ValidationIssue } from '../../../src/domain/errors.js';
import {
  loadInputs,
  type FetchLike,
  type LoadInputsOptions,
  type LoadInputsResult,
} from '../../../src/services/config-loader.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/configs/', import.meta.url));
const BUNDLED = fileURLToPath(new URL('../../../schemas/iglu/', import.meta.url));
const fixture = (name: string) => path.join(FIXTURES, name);

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const STORAGE_SCHEMA_PATH = 'com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema';
const CENTRAL_URL = `http://iglucentral.com/schemas/${STORAGE_SCHEMA_PATH}/2-0-0`;

/** Files given here are served from memory; any other path is read from disk (fixtures, bundled schemas). */
function files(virtual: Record<string, string>): (file: string) => Promise<string> {
  return async (file) => {
    const text = virtual[file];
    if (text !== undefined) return text;
    return readFile(file, 'utf8');
  };
}

interface FetchCall {
  url: string;
  headers: Record<string, string>;
}

/** A fetch that never touches the network: answers by URL, records every call. */
function fakeFetch(answer: (url: string) => Promise<{ status: number; body?: string }>): {
  fetch: FetchLike;
  calls: FetchCall[];
} {
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, headers: init.headers });
    const { status, body } = await answer(url);
    return { status, text: async () => body ?? '' };
  };
  return { fetch, calls };
}

async function bundledSchema(version: string): Promise<string> {
  return readFile(path.join(BUNDLED, STORAGE_SCHEMA_PATH, version), 'utf8');
}

/** Iglu Central as a fake: serves the bundled copies. */
const igluCentral = () =>
  fakeFetch(async (url) => {
    const version = url.split('/').pop() ?? '';
    if (!url.startsWith('http://iglucentral.com/schemas/')) return { status: 404 };
    try {
      return { status: 200, body: await bundledSchema(version) };
    } catch {
      return { status: 404 };
    }
  });

const offline = () =>
  fakeFetch(async () => {
    throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND iglucentral.com') });
  });

function expectOk(result: LoadInputsResult): Extract<LoadInputsResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got:\n${result.issues.map(formatIssue).join('\n')}`);
  return result;
}

function expectIssues(result: LoadInputsResult): ValidationIssue[] {
  if (result.ok) throw new Error('expected issues');
  return result.issues;
}

function load(
  options: Partial<LoadInputsOptions> & Pick<LoadInputsOptions, 'storageConfigPath' | 'resolverPath'>,
) {
  return loadInputs({ fetch: offline().fetch, ...options });
}

describe('loadInputs: valid configs of every version', () => {
  it.each([
    ['storage-1-0-0.json', '1-0-0', 'DUPLICATE_TRACKING', 'us-east-1', undefined, 'static'],
    [
      'storage-1-0-1.json',
      '1-0-1',
      'DUPLICATE_TRACKING',
      'eu-west-1',
      '56799a26-980c-4148-8bd9-c021b988c669',
      'static',
    ],
    [
      'storage-1-0-1-iam.json',
      '1-0-1',
      'DUPLICATE_TRACKING',
      'eu-west-1',
      '56799a26-980c-4148-8bd9-c021b988c669',
      'default-chain',
    ],
    [
      'storage-2-0-0.json',
      '2-0-0',
      'EVENTS_MANIFEST',
      'us-west-2',
      'ce3b5fc6-ae2e-4e5a-a5cb-0a1bd6fa8a2c',
      'static',
    ],
    [
      'storage-2-0-0-auth-null.json',
      '2-0-0',
      'EVENTS_MANIFEST',
      'us-west-2',
      'ce3b5fc6-ae2e-4e5a-a5cb-0a1bd6fa8a2c',
      'default-chain',
    ],
  ])('%s, resolved through an embedded repository', async (file, version, purpose, region, id, kind) => {
    const result = expectOk(
      await load({ storageConfigPath: fixture(file), resolverPath: fixture('resolver-embedded.json') }),
    );
    expect(result.storage).toMatchObject({
      schemaVersion: version,
      purpose,
      region,
      table: 'snowplow-event-manifest',
    });
    expect(result.storage.id).toBe(id);
    expect(result.storage.credentials.kind).toBe(kind);
    expect(result.storageSchemaSource).toEqual({
      kind: 'embedded',
      repository: 'Local embedded repository',
      location: path.join(FIXTURES, 'embedded-repo', 'schemas', STORAGE_SCHEMA_PATH, version),
    });
    expect(result.warnings).toEqual([]);
    expect(result.resolver.schemaVersion).toBe('1-0-3');
  });

  it('gives the secret to the code but never to JSON', async () => {
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-embedded.json'),
      }),
    );
    const credentials = result.storage.credentials;
    expect(credentials.kind === 'static' && credentials.secretAccessKey).toBe(SECRET);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result.storage)).toContain('"secretAccessKey":"****"');
  });

  it('"iam" keys mean the default chain, with the reason', async () => {
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-1-0-1-iam.json'),
        resolverPath: fixture('resolver-embedded.json'),
      }),
    );
    expect(result.storage.credentials).toEqual({
      kind: 'default-chain',
      reason: 'accessKeyId and secretAccessKey are "iam"',
    });
  });
});

describe('loadInputs: HTTP repositories', () => {
  it('fetches the schema from Iglu Central at <uri>/schemas/<vendor>/<name>/jsonschema/<version>', async () => {
    const central = igluCentral();
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-iglucentral.json'),
        fetch: central.fetch,
      }),
    );
    expect(central.calls).toEqual([{ url: CENTRAL_URL, headers: {} }]);
    expect(result.storageSchemaSource).toEqual({
      kind: 'http',
      repository: 'Iglu Central',
      location: CENTRAL_URL,
    });
    expect(result.warnings).toEqual([]);
  });

  it('offline, uses the bundled copy and warns, naming the repository and the reason', async () => {
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-iglucentral.json'),
        fetch: offline().fetch,
      }),
    );
    expect(result.storageSchemaSource.kind).toBe('bundled');
    expect(result.warnings).toHaveLength(1);
    const warning = result.warnings[0];
    expect(warning?.source).toBe(fixture('resolver-iglucentral.json'));
    expect(warning?.path).toBe('/data/repositories/0/connection/http/uri');
    expect(warning?.message).toContain('"Iglu Central" (http://iglucentral.com) could not be reached');
    expect(warning?.message).toContain('ENOTFOUND');
    expect(warning?.message).toContain('the bundled copy was used');
    expect(warning?.hint).toMatch(/network/);
  });

  it('gives up on a repository that does not answer within the timeout', async () => {
    const hanging = fakeFetch(() => new Promise(() => undefined));
    const started = Date.now();
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-iglucentral.json'),
        fetch: hanging.fetch,
        httpTimeoutMs: 50,
      }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.storageSchemaSource.kind).toBe('bundled');
    expect(result.warnings[0]?.message).toContain('no answer within 0.05 s');
  });

  it('uses the bundled copy, with a warning, when no repository has the schema', async () => {
    const notFound = fakeFetch(async () => ({ status: 404 }));
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-iglucentral.json'),
        fetch: notFound.fetch,
      }),
    );
    expect(result.storageSchemaSource.kind).toBe('bundled');
    expect(result.warnings.map((w) => w.message)).toEqual([
      'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0 is in none of the resolver\'s repositories (tried "Iglu Central"); the bundled copy was used',
    ]);
  });

  it('treats an HTML page (captive portal) as unusable, not as a schema', async () => {
    const portal = fakeFetch(async () => ({ status: 200, body: '<html>Sign in to the Wi-Fi</html>' }));
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-iglucentral.json'),
        fetch: portal.fetch,
      }),
    );
    expect(result.storageSchemaSource.kind).toBe('bundled');
    expect(result.warnings[0]?.message).toContain('not valid JSON');
  });

  it('asks repositories in priority order (lower first), sending the apikey only where configured', async () => {
    const both = fakeFetch(async (url) =>
      url.startsWith('https://registry.example.com/')
        ? { status: 401 }
        : { status: 200, body: await bundledSchema('1-0-0') },
    );
    const result = expectOk(
      await load({
        storageConfigPath: fixture('storage-1-0-0.json'),
        resolverPath: fixture('resolver-private-http.json'),
        fetch: both.fetch,
      }),
    );
    expect(both.calls).toEqual([
      {
        url: `https://registry.example.com/api/schemas/${STORAGE_SCHEMA_PATH}/1-0-0`,
        headers: { apikey: 'b1a6f5c2-7d4e-4b9a-9c1f-3e8d2a7b6c50' },
      },
      { url: `http://iglucentral.com/schemas/${STORAGE_SCHEMA_PATH}/1-0-0`, headers: {} },
    ]);
    expect(result.storageSchemaSource.repository).toBe('Iglu Central');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]?.path).toBe('/data/repositories/1/connection/http/uri');
    expect(result.warnings[0]?.message).toContain('HTTP 401: the apikey was refused');
    expect(result.warnings[0]?.message).toContain('it was found in repository "Iglu Central"');
    expect(JSON.stringify(result)).not.toContain('b1a6f5c2-7d4e-4b9a-9c1f-3e8d2a7b6c50');
  });

  it('is an error, naming every repository tried, when neither the resolver nor the bundle has the schema', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: fixture('storage-2-0-0.json'),
        resolverPath: fixture('resolver-iglucentral.json'),
        fetch: offline().fetch,
        bundledFallback: false,
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.source).toBe(fixture('storage-2-0-0.json'));
    expect(issues[0]?.path).toBe('/schema');
    expect(issues[0]?.message).toContain(
      'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0 could not be resolved',
    );
    expect(issues[0]?.message).toContain('repository "Iglu Central" (http://iglucentral.com): fetch failed');
    expect(issues[0]?.hint).toContain('http://iglucentral.com');
  });
});

const V = '/virtual';
const STORAGE = `${V}/storage.json`;
const RESOLVER = `${V}/resolver.json`;

function storageDoc(version: string, data: Record<string, unknown>): string {
  return JSON.stringify({
    schema: `iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/${version}`,
    data,
  });
}

function resolverDoc(repositories: unknown[], version = '1-0-3'): string {
  return JSON.stringify({
    schema: `iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/${version}`,
    data: { cacheSize: 500, repositories },
  });
}

const EMBEDDED_REPO = {
  name: 'Local',
  priority: 0,
  vendorPrefixes: ['com.snowplowanalytics'],
  connection: { embedded: { path: path.join(FIXTURES, 'embedded-repo') } },
};

const GOOD_V2 = {
  name: 'manifest',
  auth: null,
  awsRegion: 'us-east-1',
  dynamodbTable: 'snowplow-event-manifest',
  id: 'ce3b5fc6-ae2e-4e5a-a5cb-0a1bd6fa8a2c',
  purpose: 'EVENTS_MANIFEST',
};

describe('loadInputs: embedded repositories', () => {
  it('accepts an absolute path', async () => {
    const result = expectOk(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: RESOLVER,
        readFile: files({
          [STORAGE]: storageDoc('2-0-0', GOOD_V2),
          [RESOLVER]: resolverDoc([EMBEDDED_REPO]),
        }),
      }),
    );
    expect(result.storageSchemaSource.kind).toBe('embedded');
  });

  it('reads a classpath-style "/path" below the resolver\'s directory', async () => {
    const resolverPath = path.join(FIXTURES, 'virtual-resolver.json');
    const result = expectOk(
      await load({
        storageConfigPath: STORAGE,
        resolverPath,
        readFile: files({
          [STORAGE]: storageDoc('2-0-0', GOOD_V2),
          [resolverPath]: resolverDoc([
            { ...EMBEDDED_REPO, connection: { embedded: { path: '/embedded-repo' } } },
          ]),
        }),
      }),
    );
    expect(result.storageSchemaSource.location).toBe(
      path.join(FIXTURES, 'embedded-repo', 'schemas', STORAGE_SCHEMA_PATH, '2-0-0'),
    );
  });

  it('warns about a corrupt schema file and falls back to the bundled copy', async () => {
    const corrupt = path.join(FIXTURES, 'embedded-repo', 'schemas', STORAGE_SCHEMA_PATH, '2-0-0');
    const result = expectOk(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: RESOLVER,
        readFile: files({
          [STORAGE]: storageDoc('2-0-0', GOOD_V2),
          [RESOLVER]: resolverDoc([EMBEDDED_REPO]),
          [corrupt]: '{ "self": ',
        }),
      }),
    );
    expect(result.storageSchemaSource.kind).toBe('bundled');
    expect(result.warnings[0]?.path).toBe('/data/repositories/0/connection/embedded/path');
    expect(result.warnings[0]?.message).toContain('holds an unusable copy');
  });
});

describe('loadInputs: every problem at once', () => {
  it('reports a missing storage config and a missing resolver together', async () => {
    const issues = expectIssues(
      await load({ storageConfigPath: '/nope/storage.json', resolverPath: '/nope/resolver.json' }),
    );
    expect(issues).toEqual([
      {
        source: '/nope/storage.json',
        path: '',
        message: 'storage config: file not found',
        hint: 'Check the path of the storage config.',
      },
      {
        source: '/nope/resolver.json',
        path: '',
        message: 'Iglu resolver: file not found',
        hint: 'Check the path of the Iglu resolver.',
      },
    ]);
  });

  it('reports invalid JSON in one file and invalid data in the other', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: RESOLVER,
        readFile: files({
          [STORAGE]: '{\n  "schema": "iglu:x",\n  "data": {\n}',
          [RESOLVER]: resolverDoc([{ ...EMBEDDED_REPO, priority: 'high' }]),
        }),
      }),
    );
    expect(issues.map(formatIssue)).toEqual([
      expect.stringMatching(/^\/virtual\/storage\.json: invalid JSON at line 4, column 2: .*trailing comma/),
      `${RESOLVER}: /data/repositories/0/priority: must be number, not a string. Write a number there.`,
    ]);
  });

  it("still checks the storage config's data (against the bundled schema) when the resolver is invalid", async () => {
    const withoutId: Record<string, unknown> = { ...GOOD_V2 };
    delete withoutId.id;
    const issues = expectIssues(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: RESOLVER,
        readFile: files({
          [STORAGE]: storageDoc('2-0-0', { ...withoutId, purpose: 'DUPLICATE_TRACKING' }),
          [RESOLVER]: JSON.stringify({
            schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1',
            data: { repositories: [] },
          }),
        }),
      }),
    );
    expect(issues.map((i) => `${i.source} ${i.path}`)).toEqual([
      `${STORAGE} /data/id`,
      `${STORAGE} /data/purpose`,
      `${RESOLVER} /data/cacheSize`,
    ]);
  });

  it('says when the two files look swapped', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: fixture('resolver-embedded.json'),
        resolverPath: fixture('storage-2-0-0.json'),
      }),
    );
    expect(issues).toHaveLength(2);
    for (const issue of issues) {
      expect(issue.path).toBe('/schema');
      expect(issue.hint).toContain('look swapped');
    }
  });

  it('names the expected schema when the storage config is some other self-describing JSON', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: fixture('resolver-embedded.json'),
        readFile: files({
          [STORAGE]: JSON.stringify({
            schema: 'iglu:com.snowplowanalytics.snowplow.storage/redshift_config/jsonschema/2-1-0',
            data: {},
          }),
        }),
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain(
      'expected iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config',
    );
    expect(issues[0]?.hint).toContain('DynamoDB storage config');
  });

  it('lists the supported versions for an unknown one', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: RESOLVER,
        readFile: files({
          [STORAGE]: storageDoc('3-0-0', GOOD_V2),
          [RESOLVER]: resolverDoc([], '1-0-4'),
        }),
      }),
    );
    expect(issues.map((i) => [i.source, i.message])).toEqual([
      [
        STORAGE,
        'version 3-0-0 of iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema is not supported (supported: 1-0-0, 1-0-1, 2-0-0)',
      ],
      [
        RESOLVER,
        'version 1-0-4 of iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema is not supported (supported: 1-0-0, 1-0-1, 1-0-2, 1-0-3)',
      ],
    ]);
  });

  it('reports a 1-0-x body under a 2-0-0 schema property by property, and the half-"iam" keys', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: RESOLVER,
        readFile: files({
          [STORAGE]: storageDoc('2-0-0', {
            ...GOOD_V2,
            auth: { accessKeyId: 'iam', secretAccessKey: SECRET },
            dynamodbTable: 'x',
          }),
          [RESOLVER]: resolverDoc([EMBEDDED_REPO]),
        }),
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(['/data/dynamodbTable', '/data/auth/secretAccessKey']);
    expect(JSON.stringify(issues)).not.toContain(SECRET);
  });

  it('says what a self-describing file looks like when "schema" or "data" is missing', async () => {
    const issues = expectIssues(
      await load({
        storageConfigPath: STORAGE,
        resolverPath: fixture('resolver-embedded.json'),
        readFile: files({ [STORAGE]: JSON.stringify(GOOD_V2) }),
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(['/schema', '/data']);
    expect(issues[0]?.hint).toContain('self-describing JSON');
  });
});
