/**
 * The EMR Serverless runner: StartJobRun with everything DESIGN 3.4 lists, GetJobRun for the state,
 * the job's own progress.json / summary.json from the run's S3 folder, the driver logs gunzipped
 * from the log URI, CancelJobRun.
 */
import { constants, gunzipSync } from 'node:zlib';
import type { EmrServerlessClient } from '../aws/emr-serverless.js';
import type { S3Client } from '../aws/s3.js';
import { JOB_OUTPUT } from '../domain/contract.js';
import { driverLogObjects, emrCost, isFinalJobRunState, jobRunLogPrefix } from '../domain/emr.js';
import { parseJobSummary, type JobProgress, type JobSummary } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { joinS3Uri, parseS3Uri } from '../domain/s3-uri.js';
import { pollUntilFinal } from './follow.js';
import type { DriverLog, FollowOptions, JobLaunch, Runner, RunSnapshot } from './runner.js';

/** What StartJobRun needs besides the job's arguments and the run's name (the jar is uploaded, the application checked). */
export interface EmrJobSpec {
  applicationId: string;
  executionRoleArn: string;
  releaseLabel: string;
  /** The jar on S3. */
  entryPoint: string;
  sparkSubmitParameters: string;
  logUri: string;
  tags: Record<string, string>;
  executionTimeoutMinutes: number | undefined;
  clientToken: string;
}

export interface EmrRunnerOptions {
  emr: EmrServerlessClient;
  s3: S3Client;
  /** Needed by `start` only. */
  job?: EmrJobSpec;
}

function emrOf(record: RunRecord): { applicationId: string; jobRunId: string } {
  if (record.emr === undefined) throw new Error(`run ${record.runName} has no EMR Serverless coordinates`);
  return record.emr;
}

/** The EMR Serverless runner over the given clients (it closes them in `close`). */
export function createEmrServerlessRunner(o: EmrRunnerOptions): Runner {
  const readJson = async (uri: string): Promise<string | null> => {
    const loc = parseS3Uri(uri);
    if (loc === null) return null;
    const bytes = await o.s3.getObject(loc.bucket, loc.key);
    return bytes === null ? null : Buffer.from(bytes).toString('utf8');
  };

  const status = async (record: RunRecord, opts: { dashboard?: boolean } = {}): Promise<RunSnapshot> => {
    const { applicationId, jobRunId } = emrOf(record);
    const j = await o.emr.getJobRun(applicationId, jobRunId);
    let progress: JobProgress | null = null;
    let summary: JobSummary | null = null;
    const progressText = await readJson(joinS3Uri(record.output, JOB_OUTPUT.progress));
    if (progressText !== null) {
      try {
        progress = JSON.parse(progressText) as JobProgress;
      } catch {
        progress = null; // not the job's (S3 never shows half an object)
      }
    }
    if (j.state === 'SUCCESS') {
      const text = await readJson(joinS3Uri(record.output, JOB_OUTPUT.summary));
      summary = text === null ? null : parseJobSummary(text);
    }
    const logUri = j.logUri ?? record.log;
    const prefix = logUri === undefined ? null : jobRunLogPrefix(logUri, applicationId, jobRunId);
    let dashboardUrl: string | null = null;
    if (opts.dashboard === true) {
      // A convenience: a refusal here (no permission, an emulator without it) must not hide the state.
      dashboardUrl =
        (await o.emr.getDashboardForJobRun(applicationId, jobRunId).catch(() => undefined)) ?? null;
    }
    const attemptDir = j.attempt !== undefined && j.attempt > 1 ? `attempts/${j.attempt}/` : '';
    return {
      runName: record.runName,
      runner: 'emr-serverless',
      state: j.state,
      final: isFinalJobRunState(j.state),
      stateDetails: j.stateDetails ?? null,
      createdAt: j.createdAt ?? null,
      startedAt: j.startedAt ?? null,
      endedAt: j.endedAt ?? null,
      queuedSeconds: j.queuedMilliseconds === undefined ? null : j.queuedMilliseconds / 1000,
      progress,
      summary,
      billed: j.billed === undefined ? null : { ...j.billed, usd: emrCost(j.billed) },
      dashboardUrl,
      logs: {
        stdout: prefix === null ? null : `${prefix}${attemptDir}SPARK_DRIVER/stdout.gz`,
        stderr: prefix === null ? null : `${prefix}${attemptDir}SPARK_DRIVER/stderr.gz`,
      },
      applicationId,
      jobRunId,
    };
  };

  return {
    name: 'emr-serverless',

    async start(launch: JobLaunch) {
      const job = o.job;
      if (job === undefined) throw new Error('this EMR Serverless runner was not given a job to start');
      const r = await o.emr.startJobRun({
        applicationId: job.applicationId,
        clientToken: job.clientToken,
        executionRoleArn: job.executionRoleArn,
        name: launch.record.runName,
        entryPoint: job.entryPoint,
        entryPointArguments: [...launch.jobArgs],
        sparkSubmitParameters: job.sparkSubmitParameters,
        logUri: job.logUri,
        tags: job.tags,
        executionTimeoutMinutes: job.executionTimeoutMinutes,
      });
      return {
        ...launch.record,
        log: job.logUri,
        emr: {
          applicationId: r.applicationId,
          jobRunId: r.jobRunId,
          executionRoleArn: job.executionRoleArn,
          jar: job.entryPoint,
          releaseLabel: job.releaseLabel,
          clientToken: job.clientToken,
        },
      };
    },

    status,

    follow(record: RunRecord, f: FollowOptions = {}) {
      return pollUntilFinal(() => status(record), f);
    },

    async cancel(record) {
      const { applicationId, jobRunId } = emrOf(record);
      await o.emr.cancelJobRun(applicationId, jobRunId);
    },

    async logs(record, stream) {
      const { applicationId, jobRunId } = emrOf(record);
      if (record.log === undefined) return [];
      const prefixUri = jobRunLogPrefix(record.log, applicationId, jobRunId);
      const prefix = parseS3Uri(prefixUri);
      if (prefix === null) return [];
      const keys: string[] = [];
      for await (const obj of o.s3.listObjects(prefix.bucket, prefix.key))
        keys.push(obj.key.slice(prefix.key.length));
      const out: DriverLog[] = [];
      for (const d of driverLogObjects(keys).filter((x) => x.stream === stream)) {
        const bytes = await o.s3.getObject(prefix.bucket, prefix.key + d.relativeKey);
        if (bytes === null) continue;
        out.push({
          attempt: d.attempt,
          stream,
          location: `${prefixUri}${d.relativeKey}`,
          text: gunzipLog(bytes),
        });
      }
      return out;
    },

    close() {
      o.emr.destroy();
      o.s3.destroy();
    },
  };
}

/** A driver log as uploaded: gzip, possibly caught mid-upload (what inflates is kept). */
function gunzipLog(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  try {
    return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}
