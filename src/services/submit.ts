/**
 * `populator submit`, the pipeline:
 *
 *   inputs    submit-request.ts: the command line, and a resumed run's own inputs where none is given
 *   validate  validate.ts: every check of `populator validate`, all problems at once
 *   prepare   submit-inputs.ts: what the checks found, resolved for the run (nothing is read twice)
 *   plan      submit-plan.ts: what it reads, writes and costs; printed first, and all --dry-run does
 *   runner    submit-local.ts | submit-emr.ts: the runner's half (its jar, application, run name,
 *             record), then the job started and followed
 *   report    the outcome (`SubmitOutcome`), rendered by the command
 *
 * A new runner is one file like submit-local.ts and one line in RUNNERS.
 */
import path from 'node:path';
import { DEFAULT_TTL_SECONDS, JOB_OUTPUT } from '../domain/contract.js';
import { joinS3Uri } from '../domain/s3-uri.js';
import type { ResumableRun } from './resume.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import type { Plan } from '../domain/plan.js';
import type { RunnerName } from '../domain/run-record.js';
import { toJobRunId } from '../domain/time-range.js';
import { runEmr } from './submit-emr.js';
import { chooseRunner, prepareSubmit, type CheckedSubmit } from './submit-inputs.js';
import { requireSameInputs } from './submit-job.js';
import { importAfterJob } from './submit-import.js';
import { runLocal } from './submit-local.js';
import { planSubmit } from './submit-plan.js';
import { submitRequest, type RequestKey, type SubmitCommandLine } from './submit-request.js';
import type {
  SubmitFacts,
  SubmitOptions,
  SubmitOutcome,
  SubmitResult,
  SubmitRunner,
} from './submit-types.js';
import { requireValid, validateInputs, warningLines, type ValidateOptions } from './validate.js';

export { DEFAULT_LOCAL_STAGING } from './submit-inputs.js';
export { jobArguments, jobEnvironment } from './submit-job.js';
export type { SubmitCommandLine } from './submit-request.js';
export * from './submit-types.js';

/** Each runner's half of submit. */
const RUNNERS: Record<RunnerName, SubmitRunner> = {
  local: runLocal,
  'emr-serverless': runEmr,
};

/** What the command adds to its command line: how the run is followed and where things are. */
export type SubmitContext = Omit<SubmitOptions, RequestKey> & { recordsDir: string };

/**
 * The whole pipeline from a command line: its inputs (a resume's merged in), then `submit`.
 * `onResume` hears which pacing and sizing flags a resume kept from the run.
 */
export async function submitCommandLine(
  cl: SubmitCommandLine,
  ctx: SubmitContext,
  onResume?: (runName: string, keptFromRun: string[]) => void,
): Promise<SubmitOutcome> {
  const request = await submitRequest(cl, ctx);
  if (request.resumed !== undefined) onResume?.(request.resumed.record.runName, request.keptFromRun);
  return submit({ ...ctx, ...request.options });
}

/** Checks, plans and (unless a dry run) runs a back-fill. */
export async function submit(o: SubmitOptions): Promise<SubmitOutcome> {
  // Every check `validate` makes comes first: all problems at once, and nothing is planned, built,
  // uploaded or started (not even Java) for inputs validate would refuse.
  const validation = await validateInputs(validateOptionsFor(o));
  const validated = requireValid(validation);
  // What the checks found is what submit plans and runs from: nothing is read twice.
  const c = await prepareSubmit(o, validated);
  c.warnings = [...new Set([...warningLines(validation), ...ttlWarnings(o.ttlSeconds)])];
  try {
    if (o.resume !== undefined) requireSameInputs(o.resume.record, c, o);
    const plan = await planSubmit(c, validated, o);
    o.onPlan?.(plan);
    requireImportable(plan);
    const facts = factsOf(c, o, plan);
    if (o.dryRun === true) return { ...facts, status: 'PLANNED' };
    // --import: the job's files become the table once the job succeeded (so it is followed to its end).
    if (c.import === undefined) return await RUNNERS[c.runner](c, facts, o);
    if (o.resume?.importOnly !== undefined) return await importAfterJob(c, resumedJob(facts, o.resume), o);
    const run = await RUNNERS[c.runner](c, facts, { ...o, wait: true });
    return run.status === 'SUCCEEDED' ? await importAfterJob(c, run, o) : run;
  } finally {
    c.close();
  }
}

/** Runs a whole local back-fill and returns the job's report (`submit --runner local`). */
export async function submitLocal(o: SubmitOptions): Promise<SubmitResult> {
  const r = await submit({ ...o, runner: 'local', dryRun: false });
  if (r.status !== 'SUCCEEDED') throw new Error(`a local run ended ${r.status}`);
  return r;
}

/** The validator's view of a submit: the same inputs, the runner submit picks, no write for --dry-run. */
function validateOptionsFor(o: SubmitOptions): ValidateOptions {
  const runner = chooseRunner(o.runner, o.emr);
  return {
    ...o,
    runner,
    applicationId: o.emr?.applicationId,
    ...(o.emr?.createApplication === true ? { createApplication: { releaseLabel: o.emr.releaseLabel } } : {}),
    executionRoleArn: o.emr?.executionRoleArn,
    submitFlags: o.emr,
    // The local runner takes --executors/--executor-cpu/--executor-memory as a local cluster.
    sizing: { driverMemory: o.driverMemory, ...o.emr?.sizing },
    offline: false,
    writes: o.dryRun !== true,
  };
}

/** A resumed import run's job, which succeeded: its files are imported again, no job runs. */
function resumedJob(facts: SubmitFacts, resume: ResumableRun): SubmitResult {
  const r = resume.record;
  const summary = resume.importOnly?.summary;
  if (summary === undefined) throw new Error('an import-only resume without its job summary');
  const join = (part: string): string =>
    r.runner === 'local' ? path.join(r.output, part) : joinS3Uri(r.output, part);
  return {
    ...facts,
    status: 'SUCCEEDED',
    runName: r.runName,
    output: r.output,
    recordFile: null,
    logFile: r.log ?? join('driver.log'),
    badRows: join(JOB_OUTPUT.badRows),
    unreadableFiles: summary.unreadableFiles,
    summary,
    emr: null,
    billed: null,
  };
}

/** Refuses (exit 2, after the plan is shown) an `--import` over ImportTable's limits. */
function requireImportable(plan: Plan): void {
  const problems = plan.import?.problems ?? [];
  if (problems.length === 0) return;
  throw new UserError(problems.join(' '), {
    code: 'IMPORT_LIMIT',
    exitCode: EXIT_CODES.usage,
    hint: 'Import a narrower selection (--since/--until) and fill the rest with conditional writes (submit without --import). Nothing was started.',
  });
}

/** What every outcome says: the inputs as resolved, and the plan. */
function factsOf(c: CheckedSubmit, o: SubmitOptions, plan: Plan): SubmitFacts {
  return {
    runner: c.runner,
    archive: c.archive.uri,
    table: c.storage.table,
    region: c.region,
    etlTime: o.etlTime,
    since: c.range.since ? toJobRunId(c.range.since) : null,
    until: c.range.until ? toJobRunId(c.range.until) : null,
    writeRate: c.rate.rate,
    writeRateSource: c.rate.source,
    skipExpired: c.skipExpired,
    staging: c.emr?.staging ?? c.local?.staging ?? '',
    resumedFrom: o.resume?.record.runName ?? null,
    plan,
    warnings: c.warnings,
  };
}

/**
 * Warnings about a `--ttl-seconds` other than the shredder's: the manifest's items then expire at
 * another time than the shredder's own, and a put with the same etlTime replaces an item that is
 * already there, so existing items get this run's ttl too.
 */
export function ttlWarnings(ttlSeconds: number): string[] {
  if (ttlSeconds === DEFAULT_TTL_SECONDS) return [];
  const days = (s: number): string => `${Number((s / 86_400).toFixed(2))} days`;
  return [
    `--ttl-seconds ${ttlSeconds} (${days(ttlSeconds)}) differs from the shredder's default ${DEFAULT_TTL_SECONDS} (${days(DEFAULT_TTL_SECONDS)}): ` +
      'items written now expire at etlTime + that, and items already in the manifest with the same etlTime are rewritten with it ' +
      '(DynamoDB TTL deletes them then, whatever the shredder would have chosen).',
  ];
}
