/**
 * The EMR Serverless runner's half of submit: the jar staged (unless that exact jar is there), the
 * application found or created, one job run started with a client token derived from the whole
 * request (the same submit twice finds the same run), and with `--wait` followed to its end.
 */
import { JOB_MAIN_CLASS, JOB_OUTPUT } from '../domain/contract.js';
import { clientTokenFor, sparkSubmitParameters } from '../domain/emr.js';
import { sizingSparkConf } from '../domain/emr-sizing.js';
import { EXIT_CODES } from '../domain/errors.js';
import type { JobSummary } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { joinS3Uri } from '../domain/s3-uri.js';
import { createEmrServerlessRunner, type EmrJobSpec } from '../runners/emr-serverless.js';
import { followToEnd } from '../runners/follow.js';
import type { RunSnapshot } from '../runners/runner.js';
import type { EmrServerlessClient } from '../aws/emr-serverless.js';
import type { S3Client } from '../aws/s3.js';
import { ensureApplication, type EnsuredApplication } from './emr-application.js';
import { stageJar, type StagedJar } from './package-jar.js';
import { listRunRecords, saveRunRecord } from './run-records.js';
import type { CheckedEmr, CheckedSubmit } from './submit-inputs.js';
import { baseRecord, isoNow, jobArguments, throwIfInterrupted } from './submit-job.js';
import {
  JobFailedError,
  type PendingSubmit,
  type SubmitFacts,
  type SubmittedEmrRun,
  type SubmitOptions,
  type SubmitResult,
} from './submit-types.js';

/** How a second, identical submit is told it found the first one's job run. */
const REUSED_AFTER_MS = 5 * 60_000;

/** Starts one job run (or finds the one an identical submit started) and, with `--wait`, follows it. */
export async function runEmr(
  c: CheckedSubmit,
  facts: SubmitFacts,
  o: SubmitOptions,
): Promise<PendingSubmit | SubmitResult> {
  const e = c.emr;
  const s3 = c.clients.s3;
  const emr = c.clients.emr;
  if (e === undefined || s3 === undefined || emr === undefined)
    throw new Error('EMR runner without its settings');

  const { spec, runName, output, jar, app } = await prepareJobRun(c, o, e, s3, emr);
  const previous =
    o.recordsDir === undefined
      ? undefined
      : listRunRecords(o.recordsDir).records.find((r) => r.runName === runName);
  const runner = createEmrServerlessRunner({ emr, s3, job: spec });
  let record = baseRecord(c, o, {
    runName,
    createdAt: previous?.createdAt ?? isoNow(o.now),
    staging: e.staging,
    output,
    log: e.logUri,
    plan: facts.plan,
  });
  record = await runner.start({ record, jobArgs: jobArguments(c, o, output, undefined) });
  const recordFile = o.recordsDir === undefined ? null : saveRunRecord(o.recordsDir, record);
  let snapshot = await runner.status(record);
  const jobRunId = snapshot.jobRunId ?? '';
  const createdMs = snapshot.createdAt === null ? NaN : Date.parse(snapshot.createdAt);
  const reused =
    previous?.emr?.jobRunId === jobRunId ||
    (Number.isFinite(createdMs) && o.now.toMillis() - createdMs > REUSED_AFTER_MS);
  if (reused) {
    o.log(
      `This submit matches job run ${jobRunId}, started ${snapshot.createdAt ?? 'earlier'} with the same inputs (now ${snapshot.state}): nothing new was started. ` +
        'To start another run of the same inputs, give it a name of its own: --name NAME.',
    );
  } else {
    o.log(`Started job run ${jobRunId} on application ${app.applicationId} (run ${runName}).`);
  }
  const emrRun: SubmittedEmrRun = {
    applicationId: app.applicationId,
    jobRunId,
    createdApplication: app.created,
    reused,
    clientToken: spec.clientToken,
    jar: jar.uri,
    jarUploaded: jar.uploaded,
    logUri: e.logUri,
    releaseLabel: app.releaseLabel,
  };
  const pending = (status: 'SUBMITTED' | 'RUNNING', jobRun: RunSnapshot): PendingSubmit => ({
    ...facts,
    status,
    runName,
    output,
    recordFile,
    emr: emrRun,
    jobRun,
  });
  if (o.wait !== true && !snapshot.final) return pending('SUBMITTED', snapshot);

  snapshot = await followToEnd(runner, record, o);
  if (!snapshot.final) return pending('RUNNING', snapshot);
  const done = finalOutcome(snapshot, record);
  return {
    ...facts,
    status: 'SUCCEEDED',
    runName,
    output,
    recordFile,
    logFile: snapshot.logs.stderr ?? e.logUri,
    badRows: joinS3Uri(output, JOB_OUTPUT.badRows),
    unreadableFiles: done.unreadableFiles,
    summary: done,
    emr: emrRun,
    billed: snapshot.billed,
  };
}

/**
 * What a job run needs before it starts: the jar staged, the application there, and the request
 * (its client token and the run's name derived from it).
 */
async function prepareJobRun(
  c: CheckedSubmit,
  o: SubmitOptions,
  e: CheckedEmr,
  s3: S3Client,
  emr: EmrServerlessClient,
): Promise<{ spec: EmrJobSpec; runName: string; output: string; jar: StagedJar; app: EnsuredApplication }> {
  const jar = await stageJar({
    jar: e.jar,
    info: e.jarInfo,
    family: c.family,
    staging: e.staging,
    s3,
    env: o.env,
    log: o.log,
    onUpload: o.onUpload,
    signal: o.signal,
  });
  throwIfInterrupted(o.signal);
  const app = await ensureApplication({
    emr,
    application: e.application,
    region: c.region,
    log: o.log,
    signal: o.signal,
  });
  throwIfInterrupted(o.signal);

  const params = sparkSubmitParameters(JOB_MAIN_CLASS, sizingSparkConf(e.sizing));
  const outputOf = (runName: string): string => joinS3Uri(e.staging, 'runs', runName);
  // The token covers the whole request, the run's name aside (it is derived from the token unless
  // given): the same inputs give the same request, and EMR Serverless answers with the same run.
  const clientToken = clientTokenFor({
    applicationId: app.applicationId,
    executionRoleArn: e.executionRoleArn,
    entryPoint: jar.uri,
    jarSha256: jar.sha256,
    entryPointArguments: jobArguments(c, o, outputOf('<run>'), undefined),
    sparkSubmitParameters: params,
    logUri: e.logUri,
    tags: e.tags,
    executionTimeoutMinutes: e.timeoutMinutes,
    name: e.name ?? null,
    // The import's billing is not in the job's arguments; only with --import (other tokens stay as they were).
    ...(c.import !== undefined ? { importBilling: c.import.billing } : {}),
  });
  const runName = e.name ?? `populator-${clientToken.slice(-12)}`;
  const output = outputOf(runName);
  const spec: EmrJobSpec = {
    applicationId: app.applicationId,
    executionRoleArn: e.executionRoleArn,
    releaseLabel: app.releaseLabel,
    entryPoint: jar.uri,
    sparkSubmitParameters: params,
    logUri: e.logUri,
    tags: { ...e.tags, 'populator-run': runName },
    executionTimeoutMinutes: e.timeoutMinutes,
    clientToken,
  };
  return { spec, runName, output, jar, app };
}

/** A final run's summary, or the error that says why it has none. */
export function finalOutcome(s: RunSnapshot, record: RunRecord): JobSummary {
  if (s.state === 'SUCCESS' && s.summary !== null) return s.summary;
  if (s.state === 'SUCCESS') {
    throw new JobFailedError(
      `The job run succeeded but wrote no report at ${joinS3Uri(record.output, JOB_OUTPUT.summary)}.`,
      {
        code: 'JOB_NO_REPORT',
        exitCode: EXIT_CODES.jobFailed,
        hint: `See its driver log: populator logs --run ${record.runName} --stderr.`,
      },
    );
  }
  const cancelled = s.state === 'CANCELLED';
  throw new JobFailedError(
    `The job run ${s.jobRunId ?? record.runName} ${cancelled ? 'was cancelled' : 'failed'}${s.stateDetails ? `: ${s.stateDetails}` : '.'}`,
    {
      code: cancelled ? 'JOB_CANCELLED' : 'JOB_FAILED',
      exitCode: EXIT_CODES.jobFailed,
      hint:
        `Driver log: ${s.logs.stderr ?? 'none'} (populator logs --run ${record.runName} --stderr). ` +
        `populator submit --resume --run ${record.runName} goes on from where it stopped, sending only what it did not write.`,
    },
  );
}
