/**
 * Reads the storage config and the Iglu resolver, resolves the storage config's schema through the
 * resolver's repositories (the bundled Iglu Central copies are the offline fallback) and validates
 * both, returning every problem at once. File reads and HTTP are injectable.
 */
import { statSync } from 'node:fs';
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ValidationIssue } from '../domain/errors.js';
import {
  RESOLVER_SCHEMA,
  RESOLVER_VERSIONS,
  checkSchemaKey,
  compileIgluSchema,
  embeddedRepositoryRoots,
  embeddedSchemaFiles,
  httpSchemaUrl,
  normalizeResolverConfig,
  parseJsonText,
  parseSelfDescribing,
  prioritizeRepositories,
  sameSchemaFamily,
  schemaDescribes,
  schemaKeyPath,
  schemaKeyToUri,
  type IgluRepository,
  type ResolverConfig,
  type ResolverVersion,
  type SchemaKey,
  type SelfDescribing,
} from '../domain/iglu.js';
import {
  STORAGE_CONFIG_SCHEMA,
  STORAGE_CONFIG_VERSIONS,
  normalizeStorageConfig,
  type StorageConfig,
  type StorageConfigVersion,
} from '../domain/storage-config.js';

/** The part of a fetch `Response` used here. */
export interface HttpResponseLike {
  status: number;
  text(): Promise<string>;
}

/** The part of `fetch` used here; `globalThis.fetch` fits. */
export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<HttpResponseLike>;

/** Reads a UTF-8 file; rejects with a Node-style error (`code: 'ENOENT'`, ...) when it cannot. */
export type ReadTextFile = (file: string) => Promise<string>;

export interface LoadInputsOptions {
  storageConfigPath: string;
  resolverPath: string;
  /** Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Default: `fs.readFile(file, 'utf8')`. Also used for embedded repositories and the bundled schemas. */
  readFile?: ReadTextFile;
  /** Time allowed for one HTTP repository to answer; default 2000 ms. */
  httpTimeoutMs?: number;
  /** Directory of the bundled schemas (`<vendor>/<name>/jsonschema/<version>`); default: the package's `schemas/iglu`. */
  bundledSchemasDir?: string;
  /** Fall back to the bundled copy when the resolver's repositories do not yield the storage config's schema; default true. */
  bundledFallback?: boolean;
  /** Ask no HTTP repository (validate --offline): the bundled copy stands in for them, without a warning. */
  skipHttp?: boolean;
}

/** Where the storage config's schema came from. */
export interface SchemaSource {
  kind: 'embedded' | 'http' | 'bundled';
  /** The file or URL it was read from. */
  location: string;
  /** The resolver repository's name (absent for the bundled copy). */
  repository?: string;
}

export type LoadInputsResult =
  | {
      ok: true;
      storage: StorageConfig;
      resolver: ResolverConfig;
      storageSchemaSource: SchemaSource;
      warnings: ValidationIssue[];
    }
  | { ok: false; issues: ValidationIssue[]; warnings: ValidationIssue[] };

export const DEFAULT_HTTP_TIMEOUT_MS = 2000;

/** The package's `schemas/iglu` (the same relative place from `src/services` and `dist/services`). */
export function defaultBundledSchemasDir(): string {
  return fileURLToPath(new URL('../../schemas/iglu/', import.meta.url));
}

interface Deps {
  fetch: FetchLike;
  readFile: ReadTextFile;
  /** Whether a folder exists; undefined when files are injected (their folders are not real). */
  dirExists: ((dir: string) => boolean) | undefined;
  httpTimeoutMs: number;
  bundledSchemasDir: string;
  bundledFallback: boolean;
  skipHttp: boolean;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function readFailure(error: unknown): string {
  switch (errorCode(error)) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
  }
}

async function readDocument(
  file: string,
  what: string,
  deps: Deps,
): Promise<{ ok: true; doc: SelfDescribing } | { ok: false; issues: ValidationIssue[] }> {
  let text: string;
  try {
    text = await deps.readFile(file);
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          source: file,
          path: '',
          message: `${what}: ${readFailure(error)}`,
          hint: `Check the path of the ${what}.`,
        },
      ],
    };
  }
  const json = parseJsonText(text, file);
  if (!json.ok) return json;
  const doc = parseSelfDescribing(json.value, file);
  return doc.ok ? { ok: true, doc: doc.value } : doc;
}

/** Reads a schema file: the parsed schema, `null` when absent, or why it is unusable. */
async function readSchemaFile(file: string, key: SchemaKey, deps: Deps): Promise<unknown> {
  let text: string;
  try {
    text = await deps.readFile(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new Error(readFailure(error), { cause: error });
  }
  return parseSchemaText(text, key);
}

function parseSchemaText(text: string, key: SchemaKey): unknown {
  let schema: unknown;
  try {
    schema = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch {
    throw new Error('it is not valid JSON');
  }
  if (!schemaDescribes(schema, key)) throw new Error(`its "self" is not ${schemaKeyToUri(key)}`);
  return schema;
}

type Attempt =
  | { repository: IgluRepository; outcome: 'not-found' }
  | { repository: IgluRepository; outcome: 'unreachable' | 'invalid'; detail: string };

async function fetchSchema(
  url: string,
  apikey: string | undefined,
  key: SchemaKey,
  deps: Deps,
): Promise<unknown> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${deps.httpTimeoutMs / 1000} s`));
    }, deps.httpTimeoutMs);
  });
  try {
    const headers: Record<string, string> = apikey === undefined ? {} : { apikey };
    let response: HttpResponseLike;
    try {
      response = await Promise.race([deps.fetch(url, { headers, signal: controller.signal }), timeout]);
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new UnreachableError(`${error instanceof Error ? error.message : String(error)}${cause}`);
    }
    if (response.status === 404) return null;
    if (response.status === 401 || response.status === 403) {
      throw new UnreachableError(`HTTP ${response.status}: the apikey was refused or is missing`);
    }
    if (response.status !== 200) throw new UnreachableError(`HTTP ${response.status}`);
    const text = await Promise.race([response.text(), timeout]);
    return parseSchemaText(text, key);
  } finally {
    clearTimeout(timer);
  }
}

class UnreachableError extends Error {}

/** Looks the schema up in one repository: the schema and where, `null` if absent; throws when the repository fails. */
async function lookupInRepository(
  repository: IgluRepository,
  key: SchemaKey,
  resolverDir: string,
  deps: Deps,
): Promise<{ schema: unknown; location: string } | null> {
  const connection = repository.connection;
  if (connection.kind === 'embedded') {
    const files = embeddedSchemaFiles(connection.path, resolverDir, key);
    for (const file of files) {
      const schema = await readSchemaFile(file, key, deps);
      if (schema !== null) return { schema, location: file };
    }
    // A repository whose folder is not there is a broken path, not a schema it lacks.
    const roots = embeddedRepositoryRoots(connection.path, resolverDir);
    if (deps.dirExists !== undefined && !roots.some((r) => deps.dirExists?.(r))) {
      throw new UnreachableError(`there is no folder ${roots.join(' or ')}`);
    }
    return null;
  }
  const url = httpSchemaUrl(connection.uri, key);
  const schema = await fetchSchema(url, connection.apikey, key, deps);
  return schema === null ? null : { schema, location: url };
}

function repositoryLabel(repository: IgluRepository): string {
  const c = repository.connection;
  return `repository "${repository.name}" (${c.kind === 'http' ? c.uri : `embedded ${c.path}`})`;
}

function repositoryPointer(repository: IgluRepository): string {
  return repository.connection.kind === 'http'
    ? `${repository.pointer}/connection/http/uri`
    : `${repository.pointer}/connection/embedded/path`;
}

interface Resolution {
  schema?: unknown;
  source?: SchemaSource;
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
}

async function readBundled(
  key: SchemaKey,
  deps: Deps,
): Promise<{ schema: unknown; location: string } | null> {
  const file = path.join(deps.bundledSchemasDir, ...schemaKeyPath(key).split('/'));
  const schema = await readSchemaFile(file, key, deps);
  return schema === null ? null : { schema, location: file };
}

/** Resolves the storage config's schema through the resolver, in Iglu's order, with the bundled copy as fallback. */
async function resolveThroughResolver(
  key: SchemaKey,
  resolver: ResolverConfig,
  paths: { storage: string; resolver: string },
  deps: Deps,
): Promise<Resolution> {
  const attempts: Attempt[] = [];
  const resolverDir = path.dirname(paths.resolver);
  let skippedHttp = 0;
  for (const repository of prioritizeRepositories(resolver.repositories, key)) {
    if (deps.skipHttp && repository.connection.kind === 'http') {
      skippedHttp++;
      continue;
    }
    try {
      const found = await lookupInRepository(repository, key, resolverDir, deps);
      if (found !== null) {
        return {
          schema: found.schema,
          source: { kind: repository.connection.kind, location: found.location, repository: repository.name },
          issues: [],
          warnings: attemptWarnings(
            attempts,
            key,
            paths.resolver,
            `it was found in ${repositoryLabel(repository)}`,
          ),
        };
      }
      attempts.push({ repository, outcome: 'not-found' });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      attempts.push({
        repository,
        outcome: error instanceof UnreachableError ? 'unreachable' : 'invalid',
        detail,
      });
    }
  }
  const uri = schemaKeyToUri(key);
  const bundled = deps.bundledFallback ? await readBundledSafely(key, deps) : null;
  if (bundled !== null) {
    const warnings = attemptWarnings(attempts, key, paths.resolver, 'the bundled copy was used');
    // Offline, the HTTP repositories were not asked: the bundled copy is what they would have served.
    const onlyHttpSkipped = skippedHttp > 0 && attempts.every((a) => a.outcome === 'not-found');
    if (warnings.length === 0 && !onlyHttpSkipped) {
      const tried = attempts.map((a) => `"${a.repository.name}"`).join(', ');
      warnings.push({
        source: paths.resolver,
        path: '/data/repositories',
        message:
          attempts.length === 0
            ? `the resolver lists no repositories; the bundled copy of ${uri} was used`
            : `${uri} is in none of the resolver's repositories (tried ${tried}); the bundled copy was used`,
        hint: 'Add Iglu Central (http://iglucentral.com) or a repository holding the schema to the resolver.',
      });
    }
    return {
      schema: bundled.schema,
      source: { kind: 'bundled', location: bundled.location },
      issues: [],
      warnings,
    };
  }
  const tried =
    attempts.length === 0
      ? 'the resolver lists no repositories'
      : attempts
          .map(
            (a) => `${repositoryLabel(a.repository)}: ${a.outcome === 'not-found' ? 'not found' : a.detail}`,
          )
          .join('; ');
  return {
    issues: [
      {
        source: paths.storage,
        path: '/schema',
        message: `${uri} could not be resolved through ${paths.resolver} (${tried})${deps.bundledFallback ? ', and there is no bundled copy' : ''}`,
        hint: 'Add a repository holding the schema to the resolver (Iglu Central, http://iglucentral.com, has it), or check the network.',
      },
    ],
    warnings: [],
  };
}

async function readBundledSafely(
  key: SchemaKey,
  deps: Deps,
): Promise<{ schema: unknown; location: string } | null> {
  try {
    return await readBundled(key, deps);
  } catch {
    return null;
  }
}

function attemptWarnings(
  attempts: Attempt[],
  key: SchemaKey,
  resolverPath: string,
  outcome: string,
): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  for (const attempt of attempts) {
    if (attempt.outcome === 'not-found') continue;
    const what = attempt.outcome === 'unreachable' ? 'could not be reached' : 'holds an unusable copy';
    warnings.push({
      source: resolverPath,
      path: repositoryPointer(attempt.repository),
      message: `${repositoryLabel(attempt.repository)} ${what} for ${schemaKeyToUri(key)} (${attempt.detail}); ${outcome}`,
      hint:
        attempt.outcome !== 'unreachable'
          ? 'Fix or remove the schema file in that repository.'
          : attempt.repository.connection.kind === 'embedded'
            ? "Fix the embedded repository's path: relative to the resolver file's folder, or absolute."
            : 'Check the network, proxy or apikey; offline, an embedded repository avoids the lookup.',
    });
  }
  return warnings;
}

/** A wrong `purpose` is nearly always a config of the other major version: say which goes with which. */
function explainPurpose(issues: ValidationIssue[], version: string): ValidationIssue[] {
  return issues.map((i) =>
    i.path === '/data/purpose'
      ? {
          ...i,
          hint: `${version} configs have purpose ${version === '2-0-0' ? 'EVENTS_MANIFEST' : 'DUPLICATE_TRACKING'}; DUPLICATE_TRACKING goes with 1-0-0 and 1-0-1, EVENTS_MANIFEST with 2-0-0: change the purpose, or the schema version to the one this config was written for.`,
        }
      : i,
  );
}

const STORAGE_FAMILY_HINT =
  'The second argument must be the DynamoDB storage config (iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0).';
const RESOLVER_FAMILY_HINT =
  'The third argument must be an Iglu resolver config (iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3).';
const SWAPPED_HINT =
  'The storage config and the resolver look swapped: the storage config comes first, then the resolver.';

async function loadResolver(
  doc: SelfDescribing,
  resolverPath: string,
  deps: Deps,
): Promise<{ resolver?: ResolverConfig; issues: ValidationIssue[] }> {
  const keyIssues = checkSchemaKey(
    doc.key,
    RESOLVER_SCHEMA,
    RESOLVER_VERSIONS,
    resolverPath,
    sameSchemaFamily(doc.key, STORAGE_CONFIG_SCHEMA) ? SWAPPED_HINT : RESOLVER_FAMILY_HINT,
  );
  if (keyIssues.length > 0) return { issues: keyIssues };
  // The resolver is validated against the bundled schema: it cannot resolve its own.
  const bundled = await readBundled(doc.key, deps);
  if (bundled === null)
    throw new Error(`bundled schema ${schemaKeyToUri(doc.key)} is missing from ${deps.bundledSchemasDir}`);
  const compiled = compileIgluSchema(bundled.schema);
  if (!compiled.ok)
    throw new Error(`bundled schema ${schemaKeyToUri(doc.key)} does not compile: ${compiled.message}`);
  const issues = compiled.validate(doc.data, resolverPath, '/data');
  if (issues.length > 0) return { issues };
  return { resolver: normalizeResolverConfig(doc.key.version as ResolverVersion, doc.data), issues: [] };
}

/**
 * Reads, resolves and validates the storage config and the resolver. Both files are always
 * checked, so every problem comes back in one go; warnings (e.g. an unreachable HTTP repository
 * replaced by the bundled schema) never make the result fail.
 */
export async function loadInputs(options: LoadInputsOptions): Promise<LoadInputsResult> {
  const deps: Deps = {
    fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    readFile: options.readFile ?? ((file) => fsReadFile(file, 'utf8')),
    dirExists: options.readFile === undefined ? isDirectory : undefined,
    httpTimeoutMs: options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
    bundledSchemasDir: options.bundledSchemasDir ?? defaultBundledSchemasDir(),
    bundledFallback: options.bundledFallback ?? true,
    skipHttp: options.skipHttp ?? false,
  };
  const paths = { storage: options.storageConfigPath, resolver: options.resolverPath };
  const [storageDoc, resolverDoc] = await Promise.all([
    readDocument(paths.storage, 'storage config', deps),
    readDocument(paths.resolver, 'Iglu resolver', deps),
  ]);

  const issues: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];

  let resolver: ResolverConfig | undefined;
  if (resolverDoc.ok) {
    const loaded = await loadResolver(resolverDoc.doc, paths.resolver, deps);
    resolver = loaded.resolver;
    issues.push(...loaded.issues);
  } else {
    issues.push(...resolverDoc.issues);
  }

  const loaded: LoadedStorage = storageDoc.ok
    ? await loadStorage(storageDoc.doc, resolver, paths, deps)
    : { issues: storageDoc.issues, warnings: [] };
  issues.push(...loaded.issues);
  warnings.push(...loaded.warnings);
  const { storage, source: storageSchemaSource } = loaded;

  if (
    issues.length === 0 &&
    storage !== undefined &&
    resolver !== undefined &&
    storageSchemaSource !== undefined
  ) {
    return { ok: true, storage, resolver, storageSchemaSource, warnings };
  }
  // In the order of the command line: the storage config's problems, then the resolver's.
  const rank = (issue: ValidationIssue) =>
    issue.source === paths.storage ? 0 : issue.source === paths.resolver ? 1 : 2;
  return { ok: false, issues: [...issues].sort((a, b) => rank(a) - rank(b)), warnings };
}

/** The storage config, when valid, and the source of the schema it was validated against. */
interface LoadedStorage {
  storage?: StorageConfig;
  source?: SchemaSource;
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Checks the storage config's schema key, resolves that schema and validates the config's data. */
async function loadStorage(
  doc: SelfDescribing,
  resolver: ResolverConfig | undefined,
  paths: { storage: string; resolver: string },
  deps: Deps,
): Promise<LoadedStorage> {
  const { key, data } = doc;
  const keyIssues = checkSchemaKey(
    key,
    STORAGE_CONFIG_SCHEMA,
    STORAGE_CONFIG_VERSIONS,
    paths.storage,
    sameSchemaFamily(key, RESOLVER_SCHEMA) ? SWAPPED_HINT : STORAGE_FAMILY_HINT,
  );
  if (keyIssues.length > 0) return { issues: keyIssues, warnings: [] };
  const resolution = await storageSchema(key, resolver, paths, deps);
  if (resolution.schema === undefined) return { issues: resolution.issues, warnings: resolution.warnings };
  const validated = validateStorage(key, data, resolution.schema, resolution.source, paths.storage);
  return {
    storage: validated.storage,
    source: validated.source,
    issues: [...resolution.issues, ...validated.issues],
    warnings: resolution.warnings,
  };
}

/** The storage config's schema, through the resolver; without a usable one, the bundled copy. */
async function storageSchema(
  key: SchemaKey,
  resolver: ResolverConfig | undefined,
  paths: { storage: string; resolver: string },
  deps: Deps,
): Promise<Resolution> {
  // Without a usable resolver the data is still checked, against the bundled schema, so that
  // its problems are reported together with the resolver's.
  if (resolver !== undefined) return resolveThroughResolver(key, resolver, paths, deps);
  const bundled = await readBundledSafely(key, deps);
  return bundled === null
    ? { issues: [], warnings: [] }
    : {
        schema: bundled.schema,
        source: { kind: 'bundled', location: bundled.location },
        issues: [],
        warnings: [],
      };
}

/** The storage config's data, validated against its schema and normalized. */
function validateStorage(
  key: SchemaKey,
  data: unknown,
  schema: unknown,
  source: SchemaSource | undefined,
  storagePath: string,
): Pick<LoadedStorage, 'storage' | 'source' | 'issues'> {
  const compiled = compileIgluSchema(schema);
  if (!compiled.ok) {
    return {
      issues: [
        {
          source: storagePath,
          path: '/schema',
          message: `the schema ${schemaKeyToUri(key)} from ${source?.location ?? 'the resolver'} is not valid JSON Schema: ${compiled.message}`,
          hint: 'Fix that schema in its repository, or remove the repository from the resolver.',
        },
      ],
    };
  }
  const dataIssues = explainPurpose(compiled.validate(data, storagePath, '/data'), key.version);
  if (dataIssues.length > 0) return { issues: dataIssues };
  const normalized = normalizeStorageConfig(key.version as StorageConfigVersion, data, storagePath);
  if (!normalized.ok) return { issues: normalized.issues };
  return { storage: normalized.config, source, issues: [] };
}

/** Options of `loadStorageConfig`. */
export interface LoadStorageConfigOptions {
  storageConfigPath: string;
  readFile?: ReadTextFile;
  bundledSchemasDir?: string;
}

export type LoadStorageConfigResult =
  | { ok: true; storage: StorageConfig }
  | { ok: false; issues: ValidationIssue[] };

/**
 * Reads and validates the storage config alone, against the bundled copy of its schema: for the
 * commands that take no resolver (`verify`, `iam-policy`), which only need the table, region and credentials.
 */
export async function loadStorageConfig(options: LoadStorageConfigOptions): Promise<LoadStorageConfigResult> {
  const deps: Deps = {
    fetch: () => Promise.reject(new Error('no resolver: nothing is fetched')),
    readFile: options.readFile ?? ((file) => fsReadFile(file, 'utf8')),
    dirExists: undefined,
    httpTimeoutMs: DEFAULT_HTTP_TIMEOUT_MS,
    bundledSchemasDir: options.bundledSchemasDir ?? defaultBundledSchemasDir(),
    bundledFallback: true,
    skipHttp: true,
  };
  const file = options.storageConfigPath;
  const doc = await readDocument(file, 'storage config', deps);
  if (!doc.ok) return doc;
  const { key, data } = doc.doc;
  const keyIssues = checkSchemaKey(
    key,
    STORAGE_CONFIG_SCHEMA,
    STORAGE_CONFIG_VERSIONS,
    file,
    sameSchemaFamily(key, RESOLVER_SCHEMA) ? SWAPPED_HINT : STORAGE_FAMILY_HINT,
  );
  if (keyIssues.length > 0) return { ok: false, issues: keyIssues };
  const bundled = await readBundled(key, deps);
  if (bundled === null)
    throw new Error(`bundled schema ${schemaKeyToUri(key)} is missing from ${deps.bundledSchemasDir}`);
  const compiled = compileIgluSchema(bundled.schema);
  if (!compiled.ok)
    throw new Error(`bundled schema ${schemaKeyToUri(key)} does not compile: ${compiled.message}`);
  const issues = explainPurpose(compiled.validate(data, file, '/data'), key.version);
  if (issues.length > 0) return { ok: false, issues };
  const normalized = normalizeStorageConfig(key.version as StorageConfigVersion, data, file);
  return normalized.ok ? { ok: true, storage: normalized.config } : { ok: false, issues: normalized.issues };
}
