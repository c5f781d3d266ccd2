/**
 * The import of a `submit --import` run, as `status` and `cancel` see it afterwards: the record
 * says whether one was started (and its ARN), DescribeImport says how it stands. An import run is
 * done when its job succeeded, its import COMPLETED and TTL was switched on.
 */
import { createDynamoDbImportClient, type ImportView } from '../aws/dynamodb-import.js';
import { resolveEndpoint } from '../domain/checks/flags.js';
import { EXIT_CODES, UserError, type ExitCode } from '../domain/errors.js';
import type { RunRecord } from '../domain/run-record.js';
import { followImport } from '../runners/follow-import.js';
import type { RunSnapshot } from '../runners/runner.js';

/** How a run's import stands. */
export interface RunImportState {
  /** `s3://.../runs/<run>/import/`. */
  folder: string;
  importArn: string | null;
  /** DescribeImport's status, `NOT_STARTED` when the run's job has not handed over (or submit stopped before). */
  status: string;
  /** DescribeImport's answer; null when no import was started. */
  view: ImportView | null;
  /** TTL switched on for `ttl` after the import (by submit). */
  ttlEnabled: boolean;
  /** What to do next, when something is left. */
  next: string | null;
}

/** A look at the run's import (with `watch`, followed until it ends); null for a run without one. */
export async function lookAtImport(
  record: RunRecord,
  job: RunSnapshot,
  o: {
    env: NodeJS.ProcessEnv;
    profile?: string;
    watch?: boolean;
    signal?: AbortSignal;
    onUpdate?: (v: ImportView) => void;
  },
): Promise<RunImportState | null> {
  const imp = record.import;
  if (imp === undefined) return null;
  const base = { folder: imp.folder, ttlEnabled: imp.ttlEnabled === true };
  const resume = `populator submit --resume --run ${record.runName}`;
  if (imp.importArn === undefined) {
    return {
      ...base,
      importArn: null,
      status: 'NOT_STARTED',
      view: null,
      next: job.state === 'SUCCESS' ? `The job's files were not imported yet: ${resume}` : null,
    };
  }
  const client = createDynamoDbImportClient({
    region: record.region,
    ...endpointOf(record, o.env),
    ...((o.profile ?? record.profile) ? { profile: o.profile ?? record.profile } : {}),
  });
  try {
    let view = await client.describeImport(imp.importArn);
    if (o.watch === true && !view.final) {
      o.onUpdate?.(view);
      view = await followImport(client, imp.importArn, { signal: o.signal, onUpdate: o.onUpdate });
    }
    return {
      ...base,
      importArn: imp.importArn,
      status: view.status,
      view,
      next: nextStep(view, base.ttlEnabled, resume),
    };
  } finally {
    client.destroy();
  }
}

function endpointOf(record: RunRecord, env: NodeJS.ProcessEnv): { endpoint?: string } {
  const url = resolveEndpoint('dynamodb', undefined, env, {}, record.endpoints?.dynamodb)?.url;
  return url === undefined ? {} : { endpoint: url };
}

function nextStep(v: ImportView, ttlEnabled: boolean, resume: string): string | null {
  if (!v.final)
    return `DynamoDB goes on with it; then switch TTL on: ${resume} (it follows the import to its end).`;
  if (v.status === 'COMPLETED')
    return ttlEnabled ? null : `The import completed; switch TTL on for ttl: ${resume}`;
  return `Import the job's files again (no job runs; delete the table a failed import left behind, or give a new table name): ${resume}`;
}

/** The exit code of a look at an import run: 0 only when the job, the import and TTL are all done. */
export function importExitCode(job: RunSnapshot, imp: RunImportState | null, jobExit: ExitCode): ExitCode {
  if (imp === null || job.state !== 'SUCCESS') return jobExit;
  if (imp.view !== null && !imp.view.final) return EXIT_CODES.notFinal;
  return imp.status === 'COMPLETED' && imp.ttlEnabled ? EXIT_CODES.ok : EXIT_CODES.jobFailed;
}

/** `cancel` on an import run whose job has ended: DynamoDB has no API to stop an import. */
export function refuseImportCancel(record: RunRecord, imp: RunImportState | null): void {
  if (imp?.view === undefined || imp.view === null || imp.view.final) return;
  throw new UserError(
    `Run ${record.runName}'s job has ended; its import ${imp.view.importArn} is ${imp.view.status}, and DynamoDB has no API to cancel an import.`,
    {
      code: 'IMPORT_NOT_CANCELLABLE',
      hint: `Let it end (populator status --watch --run ${record.runName}), then delete the table if you do not want it.`,
    },
  );
}
