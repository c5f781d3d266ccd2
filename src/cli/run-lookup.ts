/**
 * The run that status, cancel and logs work on: their `job-run-id` argument, and the lookup the run
 * services take from it and `runFlags`.
 */
import { Args } from '@oclif/core';
import { runRecordsDir } from '../services/run-records.js';
import type { RunLookup } from '../services/runs.js';
import { configDir } from './paths.js';

/** The argument of the commands that work on one run (status, cancel, logs). */
export const runArgs = {
  'job-run-id': Args.string({
    description: 'An EMR Serverless job run id (default: the newest run recorded here).',
  }),
};

/** Which run `runFlags` and `runArgs` name, as the run services look it up. */
export function runLookup(
  flags: { run?: string; 'application-id'?: string; region?: string; profile?: string },
  args: { 'job-run-id'?: string },
): RunLookup {
  return {
    recordsDir: runRecordsDir(configDir(process.env)),
    run: flags.run,
    jobRunId: args['job-run-id'],
    applicationId: flags['application-id'],
    region: flags.region,
    profile: flags.profile,
    env: process.env,
  };
}
