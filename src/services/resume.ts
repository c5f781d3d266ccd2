/**
 * `submit --resume`: the run to resume (the newest, or `--run NAME`), refused unless it ended
 * without success, and the submit options it implies: its recorded inputs wherever the user gave
 * none. What the job then skips is decided by the job itself from the run's progress records
 * (`--resume-from <its folder>`), which also refuses another archive or other inputs.
 */
import os from 'node:os';
import path from 'node:path';
import { JOB_OUTPUT } from '../domain/contract.js';
import { UserError } from '../domain/errors.js';
import { keysDone, type JobSummary } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { joinS3Uri } from '../domain/s3-uri.js';
import { runnerFor } from './runs.js';
import { listRunRecords, loadRunRecord } from './run-records.js';

/** A run that can be resumed, and what its last progress showed done. */
export interface ResumableRun {
  record: RunRecord;
  /** How it ended: FAILED or CANCELLED (with the reason when known). */
  state: string;
  stateDetails: string | null;
  /** Keys its last progress.json showed settled; null when it wrote none. */
  keysSettled: number | null;
  /**
   * `submit --import`: the job succeeded and its files are there, but the import did not complete
   * (failed, cancelled, never started, or left running when submit stopped following it). The resume
   * runs no job: it imports those files (or follows the import still running).
   */
  importOnly?: { summary: JobSummary };
}

export interface FindResumableOptions {
  recordsDir: string;
  /** `--run NAME`; the newest run when absent. */
  run?: string;
  env: NodeJS.ProcessEnv;
  profile?: string;
  /** This machine's name (tests). */
  hostname?: string;
}

/**
 * The record of the run to resume, after one look at it: a run that succeeded has nothing left,
 * one still running (or queued) would be written beside, and a local run of another machine has
 * its records there.
 */
export async function findResumableRun(o: FindResumableOptions): Promise<ResumableRun> {
  const record = loadRunRecord(o.recordsDir, o.run);
  const name = record.runName;
  const host = o.hostname ?? os.hostname();
  if (record.runner === 'local' && record.local !== undefined && record.local.hostname !== host) {
    throw new UserError(
      `Run ${name} ran on ${record.local.hostname}: its progress records are in ${record.output} there.`,
      {
        code: 'RESUME_ELSEWHERE',
        hint: `Resume it on ${record.local.hostname} (populator submit --resume --run ${name}).`,
      },
    );
  }
  await requireNotResumedSince(o, record);
  const runner = runnerFor(record, o.env, o.profile);
  let s;
  try {
    s = await runner.status(record);
  } finally {
    runner.close();
  }
  if (!s.final) {
    throw new UserError(`Run ${name} is still ${s.state}: a resume would write beside it.`, {
      code: 'RESUME_RUNNING',
      hint: `Follow it to its end (populator status --watch --run ${name}) or stop it (populator cancel --run ${name}), then resume it.`,
    });
  }
  if (s.state === 'SUCCESS' && record.import !== undefined && !importDone(record) && s.summary !== null) {
    return {
      record,
      state: s.state,
      stateDetails: `the job succeeded; its import ${record.import.status ?? 'was not started'}`,
      keysSettled: null,
      importOnly: { summary: s.summary },
    };
  }
  if (s.state === 'SUCCESS') {
    const summary =
      record.runner === 'local'
        ? path.join(record.output, JOB_OUTPUT.summary)
        : joinS3Uri(record.output, JOB_OUTPUT.summary);
    throw new UserError(`Run ${name} succeeded: there is nothing to resume.`, {
      code: 'RESUME_NOT_NEEDED',
      hint: `Its report is ${summary} (populator status --run ${name}). To resume another run, name it with --run NAME (populator runs lists them); to write the same selection again, submit without --resume.`,
    });
  }
  return {
    record,
    state: s.state,
    stateDetails: s.stateDetails,
    keysSettled: s.progress === null ? null : keysDone(s.progress),
  };
}

/** An import run whose import completed and whose table has TTL on: nothing is left to do. */
function importDone(record: RunRecord): boolean {
  return record.import?.status === 'COMPLETED' && record.import.ttlEnabled === true;
}

/** The runs that resumed `name`, directly or through others, newest first. */
export function laterResumes(records: readonly RunRecord[], name: string): RunRecord[] {
  const out: RunRecord[] = [];
  let from = new Set([name]);
  while (from.size > 0) {
    const next = records.filter((r) => r.resumedFrom !== undefined && from.has(r.resumedFrom));
    out.push(...next);
    from = new Set(next.map((r) => r.runName));
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/**
 * A run that a later resume went on with is not resumed again: that run's records carry both
 * runs' progress (and when it succeeded, nothing is left to do). Refused, naming the later run.
 */
async function requireNotResumedSince(o: FindResumableOptions, record: RunRecord): Promise<void> {
  const later = laterResumes(listRunRecords(o.recordsDir).records, record.runName);
  const newest = later[0];
  if (newest === undefined) return;
  const runner = runnerFor(newest, o.env, o.profile);
  let state: string;
  try {
    state = (await runner.status(newest)).state;
  } finally {
    runner.close();
  }
  if (state === 'SUCCESS') {
    throw new UserError(
      `Run ${record.runName} was finished by ${newest.runName}, which resumed it: there is nothing left to resume.`,
      {
        code: 'RESUME_NOT_NEEDED',
        hint: `Its report: populator status --run ${newest.runName}. To write the same selection again, submit without --resume.`,
      },
    );
  }
  throw new UserError(
    `Run ${record.runName} was resumed by ${newest.runName} (${state}), whose records carry both runs' progress: resume that one.`,
    { code: 'RESUME_SUPERSEDED', hint: `populator submit --resume --run ${newest.runName}` },
  );
}
