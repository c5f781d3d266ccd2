import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/domain/errors.js';
import { resumeDifferences, resumedSettings, type RunRecord } from '../../../src/domain/run-record.js';
import { findResumableRun } from '../../../src/services/resume.js';
import { saveRunRecord } from '../../../src/services/run-records.js';
import { jobCounters, localRunRecord, RECORD_INPUTS } from '../../helpers/run-record.js';

let dir: string;
let records: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'populator-resume-'));
  records = path.join(dir, 'runs');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid no process has (the highest a Linux pid can be is 4194304). */
const DEAD_PID = 4_194_303;

function record(runName: string, over: Partial<RunRecord> = {}): RunRecord {
  const staging = path.join(dir, 'staging');
  const output = path.join(staging, 'runs', runName);
  mkdirSync(output, { recursive: true });
  return localRunRecord(runName, staging, {
    log: path.join(output, 'driver.log'),
    local: { pid: DEAD_PID, hostname: os.hostname() },
    ...over,
  });
}

/** The report a run that succeeded leaves in its folder. */
function succeeded(r: RunRecord, finishedAt: string): void {
  writeFileSync(
    path.join(r.output, 'summary.json'),
    JSON.stringify({ finishedAt, counters: jobCounters({ linesRead: 1, written: 1 }) }),
  );
}

async function refusal(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('not refused');
}

describe('finding the run to resume', () => {
  it('takes the newest run that ended without success, with what its last progress showed done', async () => {
    const r = record('populator-20261201T100000');
    writeFileSync(
      path.join(r.output, 'progress.json'),
      JSON.stringify({ phase: 'writing', written: 700, alreadyPresent: 20, conflicting: 5, expired: 3 }),
    );
    saveRunRecord(records, r);
    const found = await findResumableRun({ recordsDir: records, env: {} });
    expect(found.record.runName).toBe('populator-20261201T100000');
    expect(found.state).toBe('FAILED');
    expect(found.keysSettled).toBe(728);
  });

  it('has no figure when the run left no progress', async () => {
    saveRunRecord(records, record('populator-20261201T100000'));
    expect((await findResumableRun({ recordsDir: records, env: {} })).keysSettled).toBeNull();
  });

  it('picks the run named with --run', async () => {
    saveRunRecord(records, record('populator-a'));
    saveRunRecord(records, record('populator-b', { createdAt: '2026-12-01T11:00:00.000Z' }));
    expect(
      (await findResumableRun({ recordsDir: records, run: 'populator-a', env: {} })).record.runName,
    ).toBe('populator-a');
  });

  it('refuses a run that succeeded: there is nothing to resume', async () => {
    const r = record('populator-done');
    succeeded(r, '2026-12-01T10:05:00Z');
    saveRunRecord(records, r);
    const e = await refusal(findResumableRun({ recordsDir: records, env: {} }));
    expect(e.code).toBe('RESUME_NOT_NEEDED');
    expect(e.message).toBe('Run populator-done succeeded: there is nothing to resume.');
    expect(e.hint).toContain(path.join(r.output, 'summary.json'));
    expect(e.hint).toContain('--run NAME (populator runs lists them)');
  });

  it('refuses a run that is still running, saying how to stop or follow it', async () => {
    saveRunRecord(
      records,
      record('populator-live', { local: { pid: process.pid, hostname: os.hostname() } }),
    );
    const e = await refusal(findResumableRun({ recordsDir: records, env: {} }));
    expect(e.code).toBe('RESUME_RUNNING');
    expect(e.hint).toContain('populator cancel --run populator-live');
  });

  it('refuses a local run of another machine: its records are there', async () => {
    saveRunRecord(records, record('populator-away', { local: { pid: 1, hostname: 'elsewhere' } }));
    const e = await refusal(findResumableRun({ recordsDir: records, env: {}, hostname: 'here' }));
    expect(e.code).toBe('RESUME_ELSEWHERE');
    expect(e.message).toContain('ran on elsewhere');
  });

  it('refuses a run a later resume finished, naming it; one a later resume failed points at that one', async () => {
    saveRunRecord(records, record('populator-a', { createdAt: '2026-12-01T10:00:00.000Z' }));
    const b = record('populator-b', { createdAt: '2026-12-01T11:00:00.000Z', resumedFrom: 'populator-a' });
    saveRunRecord(records, b);
    // b failed too: resume b, whose records carry both runs' progress.
    const superseded = await refusal(findResumableRun({ recordsDir: records, run: 'populator-a', env: {} }));
    expect(superseded.code).toBe('RESUME_SUPERSEDED');
    expect(superseded.hint).toContain('--run populator-b');
    // c resumed b and succeeded: neither a nor b has anything left.
    const c = record('populator-c', { createdAt: '2026-12-01T12:00:00.000Z', resumedFrom: 'populator-b' });
    succeeded(c, '2026-12-01T12:05:00Z');
    saveRunRecord(records, c);
    for (const run of ['populator-a', 'populator-b']) {
      const e = await refusal(findResumableRun({ recordsDir: records, run, env: {} }));
      expect(e.code).toBe('RESUME_NOT_NEEDED');
      expect(e.message).toBe(
        `Run ${run} was finished by populator-c, which resumed it: there is nothing left to resume.`,
      );
    }
  });

  it('says so when there is no run to resume', async () => {
    expect((await refusal(findResumableRun({ recordsDir: records, env: {} }))).code).toBe('NO_RUNS');
  });
});

describe('resumeDifferences', () => {
  const base: Pick<RunRecord, 'runner' | 'table' | 'region' | 'inputs'> = {
    runner: 'local',
    table: 'manifest',
    region: 'us-east-1',
    inputs: RECORD_INPUTS,
  };

  it('finds none for the same inputs, whatever the config files are called', () => {
    expect(
      resumeDifferences(base, {
        ...base,
        inputs: { ...base.inputs, storageConfig: '/elsewhere/copy.json', resolver: '/elsewhere/r.json' },
      }),
    ).toEqual([]);
  });

  it('takes an archive folder with and without its trailing slash for the same', () => {
    expect(
      resumeDifferences(base, { ...base, inputs: { ...base.inputs, archive: 'file:///data/archive' } }),
    ).toEqual([]);
  });

  it('names every difference, recorded value first', () => {
    expect(
      resumeDifferences(base, {
        runner: 'emr-serverless',
        table: 'other',
        region: 'eu-west-1',
        inputs: {
          ...base.inputs,
          archive: 's3://acme/enriched/',
          since: null,
          until: '2022-01-01-00-00-00',
          etlTime: 'event',
          ttlSeconds: 100,
          writeExpired: true,
        },
      }),
    ).toEqual([
      'the runner was "local", now "emr-serverless"',
      'the archive was "file:///data/archive/", now "s3://acme/enriched/"',
      'the table was "manifest", now "other"',
      'the region was "us-east-1", now "eu-west-1"',
      '--since was "2021-01-01-00-00-00", now (none)',
      '--until was (none), now "2022-01-01-00-00-00"',
      '--etl-time was "run", now "event"',
      '--ttl-seconds was 15552000, now 100',
      '--write-expired was false, now true',
    ]);
  });
});

describe('a resume checks what the job checks, and keeps the run’s pacing', () => {
  const base: Pick<RunRecord, 'runner' | 'table' | 'region' | 'inputs'> = {
    runner: 'local',
    table: 'manifest',
    region: 'us-east-1',
    inputs: { ...RECORD_INPUTS, writeExpired: false, skipExpired: false },
  };

  it('refuses a resume whose expiry would differ with the same flags (TTL switched on between the runs)', () => {
    const diff = resumeDifferences(base, { ...base, inputs: { ...base.inputs, skipExpired: true } });
    expect(diff).toHaveLength(1);
    expect(diff[0]).toContain('now they would be skipped (TTL is on for ttl)');
    expect(diff[0]).toContain('--write-expired');
    // A record from before skipExpired was kept: nothing to compare.
    const old = { ...base, inputs: { ...RECORD_INPUTS, writeExpired: false } };
    expect(resumeDifferences(old, { ...base, inputs: { ...base.inputs, skipExpired: true } })).toEqual([]);
  });

  it('keeps --write-rate, --max-in-flight and the sizing of the run unless a flag is given, and says which', () => {
    const run = { writeRate: 150, maxInFlight: 8, sizing: { executors: 2, executorMemory: '768m' } };
    expect(resumedSettings(run, {})).toEqual({
      settings: { writeRate: 150, maxInFlight: 8, executors: 2, executorMemory: '768m' },
      fromRun: ['--write-rate 150', '--max-in-flight 8', '--executors 2', '--executor-memory 768m'],
    });
    expect(resumedSettings(run, { writeRate: 500 })).toMatchObject({
      settings: { writeRate: 500, maxInFlight: 8 },
      fromRun: ['--max-in-flight 8', '--executors 2', '--executor-memory 768m'],
    });
    expect(resumedSettings(undefined, { writeRate: 500 })).toEqual({
      settings: { writeRate: 500 },
      fromRun: [],
    });
  });
});
