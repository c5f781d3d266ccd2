/**
 * The storage config and the resolver as checks: what the config loader found (every problem with
 * its file and JSON Pointer), and what the credentials in the storage config will mean.
 */
import { checkFromIssue, checksOf, type Check } from '../checks.js';
import type { Credentials } from '../credentials.js';
import type { ValidationIssue } from '../errors.js';
import type { ResolverConfig } from '../iglu.js';
import type { StorageConfig } from '../storage-config.js';

const { pass, warn } = checksOf('inputs');

/** What the config loader returned, as far as the checks need it. */
export type LoadedInputs =
  | {
      ok: true;
      storage: StorageConfig;
      resolver: ResolverConfig;
      storageSchemaSource: { kind: string; location: string; repository?: string };
      warnings: ValidationIssue[];
    }
  | { ok: false; issues: ValidationIssue[]; warnings: ValidationIssue[] };

export interface ConfigCheckContext {
  storagePath: string;
  resolverPath: string;
  runner: 'local' | 'emr-serverless';
}

function idFor(issue: ValidationIssue, ctx: ConfigCheckContext): string {
  return issue.source === ctx.resolverPath ? 'inputs.resolver' : 'inputs.storage-config';
}

/** Every problem of both files, then what they hold when they are valid. */
export function configChecks(loaded: LoadedInputs, ctx: ConfigCheckContext): Check[] {
  const checks: Check[] = [];
  if (!loaded.ok) {
    for (const issue of loaded.issues)
      checks.push(checkFromIssue(idFor(issue, ctx), 'inputs', 'fail', issue));
    const failedIds = new Set(checks.map((c) => c.id));
    // A file without problems still says so: the user sees which of the two is fine.
    if (!failedIds.has('inputs.storage-config'))
      checks.push(pass('inputs.storage-config', `${ctx.storagePath} is valid`, { source: ctx.storagePath }));
    if (!failedIds.has('inputs.resolver'))
      checks.push(pass('inputs.resolver', `${ctx.resolverPath} is valid`, { source: ctx.resolverPath }));
  } else {
    const { storage, resolver, storageSchemaSource: src } = loaded;
    checks.push(
      pass(
        'inputs.storage-config',
        `table ${storage.table} in ${storage.region} (amazon_dynamodb_config ${storage.schemaVersion}, purpose ${storage.purpose})`,
        { source: ctx.storagePath },
      ),
      pass(
        'inputs.resolver',
        `resolver-config ${resolver.schemaVersion} with ${resolver.repositories.length} ${resolver.repositories.length === 1 ? 'repository' : 'repositories'}`,
        { source: ctx.resolverPath },
      ),
      pass(
        'inputs.schema',
        src.kind === 'bundled'
          ? `the storage config's schema is the bundled copy (${src.location})`
          : `the storage config's schema was resolved from repository "${src.repository ?? ''}" (${src.location})`,
        { source: ctx.storagePath, path: '/schema' },
      ),
    );
    checks.push(credentialsCheck(storage.credentials, ctx));
  }
  for (const w of loaded.warnings) checks.push(checkFromIssue(idFor(w, ctx), 'inputs', 'warn', w));
  return checks;
}

/** What the storage config's keys mean for this run. Never echoes the secret. */
function credentialsCheck(credentials: Credentials, ctx: ConfigCheckContext): Check {
  const where = { source: ctx.storagePath };
  if (credentials.kind === 'static') {
    return warn(
      'inputs.credentials',
      `the storage config holds static keys (accessKeyId ${credentials.accessKeyId}): ${
        ctx.runner === 'local'
          ? 'populator and the local job use them; they reach the job through its environment only, never its arguments'
          : 'they are not used with EMR Serverless: the job writes as its execution role, and populator reads the table and the archive with your own AWS credentials (--profile, the default chain)'
      }`,
      {
        ...where,
        hint: 'Prefer "auth": null (2-0-0) or "iam" for both keys: the default credentials chain (--profile, SSO, roles) keeps long-lived keys out of files.',
      },
    );
  }
  if (credentials.reason === 'auth is null') {
    return pass('inputs.credentials', 'auth is null: the default AWS credentials chain is used', where);
  }
  return warn(
    'inputs.credentials',
    `${credentials.reason}: populator uses the whole default AWS credentials chain (environment, --profile / AWS_PROFILE, SSO, container or instance role), not only what the keyword named`,
    {
      ...where,
      hint: 'Nothing to do if that is what you want; with several identities at hand, pick one with --profile.',
    },
  );
}
