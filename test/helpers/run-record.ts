/** What a run leaves, for the tests that read it back: its record as `populator submit` saves it, the job's counters. */
import path from 'node:path';
import { COUNTER_NAMES, type JobCounters } from '../../src/domain/job-report.js';
import { RUN_RECORD_VERSION, type RunRecord } from '../../src/domain/run-record.js';

export const RECORD_INPUTS: RunRecord['inputs'] = {
  archive: 'file:///data/archive/',
  storageConfig: '/etc/dynamodb.json',
  resolver: '/etc/resolver.json',
  since: '2021-01-01-00-00-00',
  until: null,
  etlTime: 'run',
  ttlSeconds: 15552000,
  writeExpired: false,
};

/** The record of local run `runName` staged under `staging` (its output in `<staging>/runs/<runName>`), `over` on top. */
export function localRunRecord(runName: string, staging: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: RUN_RECORD_VERSION,
    runName,
    runner: 'local',
    createdAt: '2026-12-01T10:00:00.000Z',
    region: 'us-east-1',
    table: 'manifest',
    staging,
    output: path.join(staging, 'runs', runName),
    inputs: RECORD_INPUTS,
    ...over,
  };
}

/** The job's counters, 0 but for `over`. */
export function jobCounters(over: Partial<JobCounters> = {}): JobCounters {
  return { ...(Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as unknown as JobCounters), ...over };
}
