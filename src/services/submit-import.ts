/**
 * The import step of `submit --import`, after the runner's job wrote the deduplicated items as
 * gzip DynamoDB JSON under `<staging>runs/<run>/import/`: ImportTable creates the table from them
 * (a ClientToken derived from the inputs: the same submit gets the same import back), DescribeImport
 * is followed to the end, then TTL is switched on for `ttl` (ImportTable cannot set it), and the
 * outcome carries the import's own counters and what it cost.
 */
import { createDynamoDbClient, type DynamoDbClientOptions } from '../aws/dynamodb.js';
import {
  createDynamoDbImportClient,
  type DynamoDbImportClient,
  type ImportView,
} from '../aws/dynamodb-import.js';
import { EXIT_CODES, isUserError, UserError } from '../domain/errors.js';
import { importClientToken, importCost } from '../domain/import-plan.js';
import type { JobImportReport } from '../domain/job-report.js';
import type { RunImport } from '../domain/run-record.js';
import { parseS3Uri } from '../domain/s3-uri.js';
import { followImport } from '../runners/follow-import.js';
import { loadRunRecord, saveRunRecord } from './run-records.js';
import type { CheckedSubmit } from './submit-inputs.js';
import { recordedInputs } from './submit-job.js';
import {
  JobFailedError,
  type SubmitImportOutcome,
  type SubmitOptions,
  type SubmitResult,
} from './submit-types.js';

/** Creates the table from the files the job wrote, follows the import, turns TTL on. */
export async function importAfterJob(
  c: CheckedSubmit,
  run: SubmitResult,
  o: SubmitOptions,
): Promise<SubmitResult> {
  const request = c.import;
  if (request === undefined) return run;
  const files = importFilesOf(run);
  const table = c.storage.table;
  const access = {
    region: c.region,
    ...(c.dynamodbEndpoint !== undefined ? { endpoint: c.dynamodbEndpoint } : {}),
    ...(c.cliCredentials !== undefined
      ? { credentials: c.cliCredentials }
      : o.credentials !== undefined
        ? { credentials: o.credentials }
        : {}),
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
  };
  const client = createDynamoDbImportClient(access);
  const step: ImportStep = {
    client,
    files,
    table,
    remember: (patch) => recordImport(o, run.runName, files.folder, request, patch),
    o,
  };
  try {
    const prior = o.recordsDir === undefined ? undefined : loadRunRecord(o.recordsDir, run.runName).import;
    const last = (await priorImport(step, prior)) ?? (await startImport(step, c, run, prior, access));
    step.remember({ status: last.status });
    // Ctrl-C while following: the import goes on at DynamoDB; requireCompleted says how to finish it.
    requireCompleted(last, run.runName, table);
    const ttl = await client.enableTtl(table);
    step.remember({ ttlEnabled: true });
    return { ...run, import: outcomeOf(last, files, table, request.billing, ttl) };
  } finally {
    client.destroy();
  }
}

/** What the steps of one import share. */
interface ImportStep {
  client: DynamoDbImportClient;
  files: JobImportReport;
  table: string;
  remember: (patch: Partial<RunImport>) => void;
  o: SubmitOptions;
}

/**
 * The import a run started before (a resume): followed while it runs, taken when it completed;
 * undefined when there is none, or it failed or was cancelled (a new one is started then).
 */
async function priorImport(step: ImportStep, prior: RunImport | undefined): Promise<ImportView | undefined> {
  if (prior?.importArn === undefined) return undefined;
  const seen = await step.client.describeImport(prior.importArn).catch((e: unknown) => {
    if (isUserError(e) && e.code === 'IMPORT_NOT_FOUND') return null;
    throw e;
  });
  if (seen === null || seen.status === 'FAILED' || seen.status === 'CANCELLED') return undefined;
  if (seen.status === 'COMPLETED') {
    step.o.log(`The run's import ${seen.importArn} completed: nothing is imported again.`);
    return seen;
  }
  step.o.log(
    `The run's import ${seen.importArn} is still ${seen.status}: following it (nothing new is started).`,
  );
  return follow(step, seen.importArn);
}

/** ImportTable for the job's files (after a failed import: into a table that is not there). */
async function startImport(
  step: ImportStep,
  c: CheckedSubmit,
  run: SubmitResult,
  prior: RunImport | undefined,
  access: DynamoDbClientOptions,
): Promise<ImportView> {
  const { files, table, o } = step;
  const folder = parseS3Uri(files.folder);
  if (folder === null) throw new Error(`the job's import folder ${files.folder} is not on S3`);
  const attempt = (prior?.attempts ?? (prior?.importArn !== undefined ? 1 : 0)) + 1;
  if (attempt > 1) await requireNoTableLeft(access, table, run.runName);
  const billing = c.import?.billing ?? { mode: 'on-demand' };
  // For 8 hours the same token answers with the import it started: a new attempt needs its own.
  const clientToken = importClientToken({
    archive: c.archive.uri,
    selection: { ...recordedInputs(c, o), runName: run.runName },
    table,
    region: c.region,
    billing,
    attempt,
  });
  o.log(
    `Importing ${files.items.toLocaleString('en-US')} items (${files.objects} objects, ${(files.bytes / 1e6).toFixed(1)} MB) ` +
      `from ${files.folder} into the new table ${table} (DynamoDB import from S3; it takes minutes even for a few items).`,
  );
  step.remember({
    clientToken,
    attempts: attempt,
    status: 'STARTING',
    startedAt: o.now.toUTC().toISO() ?? undefined,
  });
  const started = await step.client.startImport({
    table,
    bucket: folder.bucket,
    keyPrefix: folder.key,
    billing,
    clientToken,
  });
  step.remember({ importArn: started.importArn, status: started.status });
  o.log(`Import ${started.importArn} ${started.status}.`);
  return follow(step, started.importArn, true);
}

function follow(step: ImportStep, importArn: string, startedHere = false): Promise<ImportView> {
  return followImport(step.client, importArn, {
    startedHere,
    signal: step.o.signal,
    ...(step.o.importFollowIntervalMs !== undefined ? { intervalMs: step.o.importFollowIntervalMs } : {}),
    onUpdate: (v) => step.o.onImport?.(v),
  });
}

/** After a failed import, its table (with what it loaded) is in the way of the next one. */
async function requireNoTableLeft(
  access: DynamoDbClientOptions,
  table: string,
  runName: string,
): Promise<void> {
  const dynamo = createDynamoDbClient(access);
  try {
    if (!(await dynamo.describeManifestTable(table)).exists) return;
  } finally {
    dynamo.destroy();
  }
  throw new UserError(
    `The failed import of run ${runName} left the table ${table} behind, with the items it loaded.`,
    {
      code: 'TABLE_EXISTS',
      hint:
        `Delete it (aws dynamodb delete-table --table-name ${table}) and run populator submit --resume --run ${runName} again, ` +
        'or give a storage config with a new table name to the resume. No job runs: the files are imported again.',
    },
  );
}

/** The job's own report of the files it wrote; a run without it wrote none (an older jar). */
function importFilesOf(run: SubmitResult): JobImportReport {
  const files = run.summary.import;
  if (files === undefined || files === null) {
    throw new JobFailedError('The job succeeded but reported no import files (is --jar an older job jar?).', {
      code: 'JOB_NO_IMPORT',
      exitCode: EXIT_CODES.jobFailed,
      hint: 'Leave out --jar to run the job that ships with populator, then submit again.',
    });
  }
  return files;
}

/** Refuses an import that did not complete, with what DynamoDB said and what to do. */
function requireCompleted(v: ImportView, runName: string, table: string): void {
  if (v.status === 'COMPLETED') return;
  const logs =
    v.cloudWatchLogGroupArn !== null ? ` Its item errors are logged in ${v.cloudWatchLogGroupArn}.` : '';
  if (!v.final) {
    throw new JobFailedError(
      `The import ${v.importArn} is still ${v.status}: populator stopped following it.`,
      {
        code: 'IMPORT_NOT_FINAL',
        exitCode: EXIT_CODES.notFinal,
        hint: `DynamoDB goes on with it (there is no API to cancel an import). Finish it (follow it, then TTL on): populator submit --resume --run ${runName}.`,
      },
    );
  }
  const why = [v.failureCode, v.failureMessage].filter((x) => x !== null).join(': ');
  throw new JobFailedError(
    `The import into ${table} ended ${v.status}${why !== '' ? ` (${why})` : ''}.${logs}`,
    {
      code: v.status === 'CANCELLED' ? 'IMPORT_CANCELLED' : 'IMPORT_FAILED',
      exitCode: EXIT_CODES.jobFailed,
      hint:
        `Fix what the failure names (access to the staging prefix, the /aws-dynamodb/* log group), then import the job's files again without running the job: ` +
        `populator submit --resume --run ${runName}. A failed import may leave ${table} behind with the items it loaded: delete it first, or give the resume a storage config with a new table name.`,
    },
  );
}

function outcomeOf(
  v: ImportView,
  files: JobImportReport,
  table: string,
  billing: NonNullable<CheckedSubmit['import']>['billing'],
  ttl: 'ENABLED' | 'ALREADY_ENABLED',
): SubmitImportOutcome {
  return {
    importArn: v.importArn,
    status: v.status,
    table,
    billing,
    folder: files.folder,
    objects: files.objects,
    items: files.items,
    bytes: files.bytes,
    // Priced from the job's own count of uncompressed bytes: DescribeImport's is the same on AWS,
    // and a stand-in's (moto counts attributes) says nothing.
    usd: importCost(files.bytes),
    processedItemCount: v.processedItemCount,
    importedItemCount: v.importedItemCount,
    processedSizeBytes: v.processedSizeBytes,
    errorCount: v.errorCount,
    logGroup: v.cloudWatchLogGroupArn,
    ttl,
    startedAt: v.startTime,
    endedAt: v.endTime,
  };
}

/** Keeps the import's progress in the run's record (status and a later resume read it). */
function recordImport(
  o: SubmitOptions,
  runName: string,
  folder: string,
  request: NonNullable<CheckedSubmit['import']>,
  patch: Partial<RunImport>,
): void {
  if (o.recordsDir === undefined) return;
  const record = loadRunRecord(o.recordsDir, runName);
  const before: RunImport = record.import ?? { folder, billing: request.billing };
  const merged = {
    ...before,
    ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
  };
  saveRunRecord(o.recordsDir, { ...record, import: merged as RunImport });
}
