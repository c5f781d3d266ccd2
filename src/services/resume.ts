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
import { keysDone } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { joinS3Uri } from '../domain/s3-uri.js';
import { runnerFor } from './runs.js';
import { loadRunRecord } from './run-records.js';

/** A run that can be resumed, and what its last progress showed done. */
export interface ResumableRun {
  record: RunRecord;
  /** How it ended: FAILED or CANCELLED (with the reason when known). */
  state: string;
  stateDetails: string | null;
  /** Keys its last progress.json showed settled; null when it wrote none. */
  keysSettled: number | null;
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
