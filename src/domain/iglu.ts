/**
 * Iglu: schema keys, self-describing JSON, resolver configs and the order in which a resolver's
 * repositories are searched, plus JSON Schema validation that reports every problem with its
 * JSON Pointer. Pure: the caller reads files and talks HTTP (services/config-loader.ts).
 */
import path from 'node:path';

import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

import type { ValidationIssue } from './errors.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

/** An Iglu schema key: `iglu:<vendor>/<name>/<format>/<version>`. */
export interface SchemaKey {
  vendor: string;
  name: string;
  format: string;
  /** SchemaVer, `MODEL-REVISION-ADDITION`. */
  version: string;
}

const SCHEMA_URI =
  /^iglu:([a-zA-Z0-9_.-]+)\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)\/([1-9][0-9]*-(?:0|[1-9][0-9]*)-(?:0|[1-9][0-9]*))$/;

/** The key in an `iglu:` URI, or null when the URI is malformed. */
export function parseSchemaUri(uri: string): SchemaKey | null {
  const m = SCHEMA_URI.exec(uri);
  if (m === null) return null;
  const [, vendor, name, format, version] = m as unknown as [string, string, string, string, string];
  return { vendor, name, format, version };
}

/** `iglu:vendor/name/format/version`. */
export function schemaKeyToUri(key: SchemaKey): string {
  return `iglu:${schemaKeyPath(key)}`;
}

/** `vendor/name/format/version`: where the schema lives below a repository's `schemas/`. */
export function schemaKeyPath(key: SchemaKey): string {
  return `${key.vendor}/${key.name}/${key.format}/${key.version}`;
}

/** The same schema, any version: vendor, name and format agree. */
export function sameSchemaFamily(a: SchemaKey, b: Omit<SchemaKey, 'version'>): boolean {
  return a.vendor === b.vendor && a.name === b.name && a.format === b.format;
}

/** RFC 6901 escaping of one path segment. */
export function pointerSegment(segment: string | number): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Line and column (both 1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** Parses JSON text; a syntax error is reported with its line and column. A leading BOM is allowed. */
export function parseJsonText(text: string, source: string): ParseResult<unknown> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') {
    return {
      ok: false,
      issues: [{ source, path: '', message: 'the file is empty', hint: 'Give a self-describing JSON file.' }],
    };
  }
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(detail);
    const offset = position?.[1] !== undefined ? Number(position[1]) : body.length;
    const { line, column } = lineColumn(body, offset);
    // Node 22 appends its own "(line x column y)"; ours is given once, in the same words for every version.
    const reason = detail.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    return {
      ok: false,
      issues: [
        {
          source,
          path: '',
          message: `invalid JSON at line ${line}, column ${column}: ${reason}`,
          hint: 'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
        },
      ],
    };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A self-describing JSON document: `{"schema": "iglu:...", "data": ...}`. */
export interface SelfDescribing {
  key: SchemaKey;
  data: unknown;
}

const SELF_DESCRIBING_HINT =
  'A Snowplow config is self-describing JSON: {"schema": "iglu:<vendor>/<name>/jsonschema/<M-R-A>", "data": {...}}.';

/** Checks the self-describing envelope; every problem with it is reported. */
export function parseSelfDescribing(json: unknown, source: string): ParseResult<SelfDescribing> {
  if (!isPlainObject(json)) {
    return {
      ok: false,
      issues: [
        {
          source,
          path: '',
          message: 'must be a JSON object with "schema" and "data"',
          hint: SELF_DESCRIBING_HINT,
        },
      ],
    };
  }
  const issues: ValidationIssue[] = [];
  let key: SchemaKey | null = null;
  if (!('schema' in json)) {
    issues.push({
      source,
      path: '/schema',
      message: 'required property "schema" is missing',
      hint: SELF_DESCRIBING_HINT,
    });
  } else if (typeof json.schema !== 'string') {
    issues.push({
      source,
      path: '/schema',
      message: 'must be a string "iglu:..."',
      hint: SELF_DESCRIBING_HINT,
    });
  } else {
    key = parseSchemaUri(json.schema);
    if (key === null) {
      issues.push({
        source,
        path: '/schema',
        message: `${JSON.stringify(json.schema)} is not an Iglu schema URI`,
        hint: 'Write it as iglu:<vendor>/<name>/jsonschema/<MODEL-REVISION-ADDITION>, e.g. iglu:com.acme/config/jsonschema/1-0-0.',
      });
    }
  }
  if (!('data' in json)) {
    issues.push({
      source,
      path: '/data',
      message: 'required property "data" is missing',
      hint: SELF_DESCRIBING_HINT,
    });
  }
  if (issues.length > 0 || key === null) return { ok: false, issues };
  return { ok: true, value: { key, data: json.data } };
}

/**
 * Checks that a document's schema is of the expected family and a supported version.
 * `familyHint` explains what the file should be, for when it is some other self-describing JSON.
 */
export function checkSchemaKey(
  key: SchemaKey,
  expected: Omit<SchemaKey, 'version'>,
  versions: readonly string[],
  source: string,
  familyHint: string,
): ValidationIssue[] {
  const family = `iglu:${expected.vendor}/${expected.name}/${expected.format}`;
  if (!sameSchemaFamily(key, expected)) {
    return [
      {
        source,
        path: '/schema',
        message: `is ${schemaKeyToUri(key)}, expected ${family}/<${versions.join('|')}>`,
        hint: familyHint,
      },
    ];
  }
  if (!versions.includes(key.version)) {
    return [
      {
        source,
        path: '/schema',
        message: `version ${key.version} of ${family} is not supported (supported: ${versions.join(', ')})`,
        hint: `Use one of the supported versions, e.g. ${family}/${versions[versions.length - 1] ?? ''}.`,
      },
    ];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// JSON Schema validation

/** A compiled schema: returns every problem with `data`, as issues under `basePath`. */
export type DataValidator = (data: unknown, source: string, basePath: string) => ValidationIssue[];

/**
 * Compiles an Iglu JSON Schema (draft 4 style, as Iglu Central's are). Returns an error message
 * instead when the schema itself is not valid JSON Schema.
 */
export function compileIgluSchema(
  schema: unknown,
): { ok: true; validate: DataValidator } | { ok: false; message: string } {
  if (!isPlainObject(schema)) return { ok: false, message: 'the schema is not a JSON object' };
  // `$schema` names Iglu's meta-schema, which ajv does not know; `self` is Iglu metadata.
  const body: Record<string, unknown> = { ...schema };
  delete body.$schema;
  delete body.self;
  // One instance per schema: nothing is shared between calls (no module-level state).
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, validateSchema: true });
  addFormats(ajv);
  try {
    const check = ajv.compile(body);
    return {
      ok: true,
      validate: (data, source, basePath) =>
        check(data) ? [] : schemaErrorsToIssues(check.errors ?? [], source, basePath),
    };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const FORMAT_HINTS: Record<string, string> = {
  uuid: 'Use a UUID such as 5b8d3a4e-9e3f-4a7e-b8b2-5d1b1e0c6f21.',
  uri: 'Use an absolute URI such as http://iglucentral.com.',
};

const SAFE_TO_ECHO = new Set(['enum', 'format', 'const']);

/** One ajv error as the user should read it. Values are echoed only for keywords that never hold secrets' formats. */
function issueFromError(error: ErrorObject, source: string, basePath: string): ValidationIssue {
  const at = basePath + error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return {
        source,
        path: `${at}/${pointerSegment(missing)}`,
        message: `required property "${missing}" is missing`,
        hint: `Add "${missing}".`,
      };
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const properties = isPlainObject(error.parentSchema?.properties)
        ? Object.keys(error.parentSchema.properties)
        : [];
      const allowed = properties.length > 0 ? ` (allowed here: ${properties.join(', ')})` : '';
      return {
        source,
        path: `${at}/${pointerSegment(extra)}`,
        message: `property "${extra}" is not allowed${allowed}`,
        hint: `Remove "${extra}", or check the schema version in "schema": the properties differ between versions.`,
      };
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      const list = allowed.map((v) => JSON.stringify(v)).join(', ');
      return {
        source,
        path: at,
        message: `must be one of ${list}, not ${JSON.stringify(error.data)}`,
        hint: allowed.length === 1 ? `Set it to ${list}.` : `Set it to one of ${list}.`,
      };
    }
    case 'type': {
      const wanted = String(params.type).replaceAll(',', ' or ');
      return {
        source,
        path: at,
        message: `must be ${wanted}, not ${describeType(error.data)}`,
        hint: `Write ${wanted === 'array' || wanted === 'object' || wanted === 'integer' ? `an ${wanted}` : `a ${wanted}`} there.`,
      };
    }
    case 'format':
      return {
        source,
        path: at,
        message: `must be a valid ${String(params.format)}, not ${JSON.stringify(error.data)}`,
        hint: FORMAT_HINTS[String(params.format)],
      };
    case 'oneOf':
      return {
        source,
        path: at,
        message: error.message ?? 'matches none of the allowed forms',
        hint: 'Make it match exactly one of the allowed forms.',
      };
    default: {
      const detail = error.message ?? `fails "${error.keyword}"`;
      const value = SAFE_TO_ECHO.has(error.keyword) ? ` (value ${JSON.stringify(error.data)})` : '';
      return { source, path: at, message: `${detail}${value}`, hint: `Change the value: it ${detail}.` };
    }
  }
}

/** Which branch of `oneOf` an error comes from, or null when it is not from that oneOf on that value. */
function branchOf(error: ErrorObject, oneOf: ErrorObject): number | null {
  // The same schema applies to every item of an array: the value's path tells the items apart.
  const sameValue =
    error.instancePath === oneOf.instancePath || error.instancePath.startsWith(`${oneOf.instancePath}/`);
  if (!sameValue || !error.schemaPath.startsWith(`${oneOf.schemaPath}/`)) return null;
  const index = Number(error.schemaPath.slice(oneOf.schemaPath.length + 1).split('/')[0]);
  return Number.isInteger(index) ? index : null;
}

/**
 * ajv reports a failed `oneOf` as the errors of every branch plus the `oneOf` itself, which reads
 * as contradictions ("must be null", "accessKeyId is required"). When one branch is clearly the one
 * meant (its type fits, or it is the only one that fits at that level), only its errors are kept.
 */
function collapseOneOf(errors: ErrorObject[]): ErrorObject[] {
  let remaining = errors;
  const oneOfs = errors
    .filter((e) => e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const oneOf of oneOfs) {
    if (!remaining.includes(oneOf)) continue;
    const byBranch = new Map<number, ErrorObject[]>();
    for (const e of remaining) {
      const branch = branchOf(e, oneOf);
      if (branch !== null) byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    if (byBranch.size === 0) continue; // several branches matched: the oneOf error alone says so
    const atLevel = (e: ErrorObject) => e.instancePath === oneOf.instancePath;
    const typeFits = [...byBranch.entries()].filter(
      ([, es]) => !es.some((e) => atLevel(e) && e.keyword === 'type'),
    );
    const fitsAtLevel = typeFits.filter(([, es]) => !es.some(atLevel));
    const chosen =
      typeFits.length === 1 ? typeFits[0] : fitsAtLevel.length === 1 ? fitsAtLevel[0] : undefined;
    if (chosen !== undefined) {
      remaining = remaining.filter((e) => {
        if (e === oneOf) return false;
        const branch = branchOf(e, oneOf);
        return branch === null || branch === chosen[0];
      });
      continue;
    }
    // No branch is clearly meant: one issue at the oneOf's place says what the value may be.
    const forms = [...byBranch.values()].map((es) => {
      const typeError = es.find((e) => atLevel(e) && e.keyword === 'type');
      return typeError !== undefined
        ? `${String((typeError.params as Record<string, unknown>).type)}`
        : [...new Set(es.filter(atLevel).map((e) => issueFromError(e, '', '').message))].join(' and ');
    });
    const allTypes = [...byBranch.values()].every((es) => es.some((e) => atLevel(e) && e.keyword === 'type'));
    const message = allTypes
      ? `must be ${forms.join(' or ')}, not ${describeType(oneOf.data)}`
      : `matches none of the allowed forms (${forms.map((f, i) => `form ${i + 1}: ${f}`).join('; ')})`;
    const summary: ErrorObject = { ...oneOf, keyword: 'oneOf', message };
    remaining = remaining.filter((e) => branchOf(e, oneOf) === null).map((e) => (e === oneOf ? summary : e));
  }
  return remaining;
}

/** ajv errors as issues: one per problem, paths below `basePath`, duplicates removed. */
export function schemaErrorsToIssues(
  errors: ErrorObject[],
  source: string,
  basePath: string,
): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of collapseOneOf(errors)) {
    const issue = issueFromError(error, source, basePath);
    if (issue.hint === undefined) delete issue.hint;
    const id = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push(issue);
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Resolver config

export const RESOLVER_SCHEMA = {
  vendor: 'com.snowplowanalytics.iglu',
  name: 'resolver-config',
  format: 'jsonschema',
};
export const RESOLVER_VERSIONS = ['1-0-0', '1-0-1', '1-0-2', '1-0-3'] as const;
export type ResolverVersion = (typeof RESOLVER_VERSIONS)[number];

/** An HTTP repository's connection. `apikey` is a secret: hidden from JSON, spreads and `console.log`. */
export interface HttpConnection {
  kind: 'http';
  uri: string;
  apikey?: string;
}

export interface EmbeddedConnection {
  kind: 'embedded';
  /** As written: a directory, relative to the resolver file's directory, or absolute. */
  path: string;
}

export interface IgluRepository {
  name: string;
  priority: number;
  vendorPrefixes: string[];
  connection: EmbeddedConnection | HttpConnection;
  /** JSON Pointer of this repository in the resolver file, for messages. */
  pointer: string;
}

export interface ResolverConfig {
  schemaVersion: ResolverVersion;
  cacheSize: number;
  cacheTtl?: number | null;
  repositories: IgluRepository[];
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function httpConnection(uri: string, apikey: string | undefined): HttpConnection {
  const connection: HttpConnection = { kind: 'http', uri };
  if (apikey !== undefined) {
    Object.defineProperty(connection, 'apikey', { value: apikey, enumerable: false });
    const redacted = () => ({ kind: 'http', uri, apikey: '****' });
    Object.defineProperty(connection, 'toJSON', { value: redacted, enumerable: false });
    Object.defineProperty(connection, INSPECT, { value: redacted, enumerable: false });
  }
  return connection;
}

/** The resolver's `data`, already valid against its schema, as a `ResolverConfig`. */
export function normalizeResolverConfig(version: ResolverVersion, data: unknown): ResolverConfig {
  const d = data as {
    cacheSize: number;
    cacheTtl?: number | null;
    repositories: {
      name: string;
      priority: number;
      vendorPrefixes: string[];
      connection: { embedded?: { path: string }; http?: { uri: string; apikey?: string | null } };
    }[];
  };
  const repositories = d.repositories.map((r, i): IgluRepository => {
    const http = r.connection.http;
    const connection: EmbeddedConnection | HttpConnection =
      http !== undefined
        ? httpConnection(http.uri, http.apikey ?? undefined)
        : { kind: 'embedded', path: r.connection.embedded?.path ?? '' };
    return {
      name: r.name,
      priority: r.priority,
      vendorPrefixes: [...r.vendorPrefixes],
      connection,
      pointer: `/data/repositories/${i}`,
    };
  });
  const config: ResolverConfig = { schemaVersion: version, cacheSize: d.cacheSize, repositories };
  if (d.cacheTtl !== undefined) config.cacheTtl = d.cacheTtl;
  return config;
}

/** True when one of the repository's vendor prefixes starts the schema's vendor. */
export function vendorMatches(repository: IgluRepository, key: SchemaKey): boolean {
  return repository.vendorPrefixes.some((prefix) => key.vendor.startsWith(prefix));
}

/**
 * The order in which Iglu searches the repositories for a schema: those whose vendor prefixes
 * match first, then embedded before HTTP (local is cheap), then by `priority`, lower first;
 * ties keep the file's order. As in Iglu, repositories that do not match are still searched, last.
 */
export function prioritizeRepositories(
  repositories: readonly IgluRepository[],
  key: SchemaKey,
): IgluRepository[] {
  const rank = (r: IgluRepository): [number, number, number] => [
    vendorMatches(r, key) ? 0 : 1,
    r.connection.kind === 'embedded' ? 1 : 100,
    r.priority,
  ];
  return [...repositories].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2];
  });
}

/**
 * The files an embedded repository may hold the schema in: `<path>/schemas/<vendor>/<name>/<format>/<version>`.
 * Iglu's path is a classpath path (often `/something`), so an absolute path is tried as such and
 * then relative to the resolver file's directory, the stand-in for the classpath root.
 */
export function embeddedSchemaFiles(repoPath: string, resolverDir: string, key: SchemaKey): string[] {
  const below = path.join('schemas', ...schemaKeyPath(key).split('/'));
  return embeddedRepositoryRoots(repoPath, resolverDir).map((root) => path.join(root, below));
}

/** The folders an embedded repository's path may name (see `embeddedSchemaFiles`). */
export function embeddedRepositoryRoots(repoPath: string, resolverDir: string): string[] {
  const candidates = path.isAbsolute(repoPath)
    ? [repoPath, path.join(resolverDir, repoPath)]
    : [path.join(resolverDir, repoPath)];
  return [...new Set(candidates.map((c) => path.normalize(c)))];
}

/** The URL of a schema in an HTTP repository: `<uri>/schemas/<vendor>/<name>/<format>/<version>`. */
export function httpSchemaUrl(uri: string, key: SchemaKey): string {
  return `${uri.replace(/\/+$/, '')}/schemas/${schemaKeyPath(key)}`;
}

/** True when a fetched schema says (in `self`) that it is the schema of `key`. */
export function schemaDescribes(schema: unknown, key: SchemaKey): boolean {
  if (!isPlainObject(schema) || !isPlainObject(schema.self)) return false;
  const self = schema.self;
  return (
    self.vendor === key.vendor &&
    self.name === key.name &&
    self.format === key.format &&
    self.version === key.version
  );
}
