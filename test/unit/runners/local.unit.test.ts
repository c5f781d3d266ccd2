import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_RECORD_VERSION, type RunRecord } from '../../../src/domain/run-record.js';
import { UserError } from '../../../src/domain/errors.js';
import { processStartTime } from '../../../src/local/process.js';
import { createLocalRunner } from '../../../src/runners/local.js';
import { jobCounters } from '../../helpers/run-record.js';

let dir: string;

function record(over: Partial<RunRecord> = {}): RunRecord {
  const output = path.join(dir, 'runs', 'r1');
  mkdirSync(output, { recursive: true });
  return {
    version: RUN_RECORD_VERSION,
    runName: 'r1',
    runner: 'local',
    createdAt: '2026-12-01T10:00:00.000Z',
    region: 'us-east-1',
    table: 't',
    staging: dir,
    output,
    log: path.join(output, 'driver.log'),
    inputs: {
      archive: 'file:///a/',
      storageConfig: '/s.json',
      resolver: '/r.json',
      since: null,
      until: null,
      etlTime: 'run',
      ttlSeconds: 1,
      writeExpired: false,
    },
    local: { pid: 4242, hostname: 'here' },
    ...over,
  };
}

const SUMMARY = {
  status: 'SUCCEEDED',
  counters: jobCounters({ linesRead: 3, written: 3 }),
  finishedAt: '2026-12-01T10:05:00.000Z',
};

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'populator-local-runner-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the local runner, seen from another process', () => {
  it('is RUNNING while the submit process lives, with the progress it wrote', async () => {
    const r = record();
    writeFileSync(
      path.join(r.output, 'progress.json'),
      JSON.stringify({ phase: 'writing', written: 2, uniqueKeys: 3 }),
    );
    const runner = createLocalRunner({ pid: 1, hostname: 'here', isAlive: (pid) => pid === 4242 });
    const s = await runner.status(r);
    expect(s.state).toBe('RUNNING');
    expect(s.final).toBe(false);
    expect(s.progress?.written).toBe(2);
  });

  it("is SUCCESS with its summary once written, FAILED with the job's message, FAILED when the process is gone", async () => {
    const r = record();
    const gone = createLocalRunner({ pid: 1, hostname: 'here', isAlive: () => false });
    const dead = await gone.status(r);
    expect(dead).toMatchObject({ state: 'FAILED', final: true });
    expect(dead.stateDetails).toMatch(/ended before the job wrote its report/);

    writeFileSync(
      path.join(r.output, 'progress.json'),
      JSON.stringify({ phase: 'failed', message: 'table t not found' }),
    );
    expect(await gone.status(r)).toMatchObject({ state: 'FAILED', stateDetails: 'table t not found' });

    writeFileSync(path.join(r.output, 'summary.json'), JSON.stringify(SUMMARY));
    const ok = await gone.status(r);
    expect(ok).toMatchObject({ state: 'SUCCESS', final: true, endedAt: SUMMARY.finishedAt });
    expect(ok.summary?.counters.written).toBe(3);
  });

  it('is CANCELLED, with when, once the run was stopped (Ctrl-C, populator cancel), whatever the job wrote on its way out', async () => {
    const r = record({ local: { pid: 4242, hostname: 'here', stoppedAt: '2026-12-01T10:03:00.000Z' } });
    writeFileSync(
      path.join(r.output, 'progress.json'),
      JSON.stringify({
        phase: 'failed',
        message: 'SparkException: Job 1 cancelled because SparkContext was shut down',
      }),
    );
    const s = await createLocalRunner({ pid: 1, hostname: 'here', isAlive: () => false }).status(r);
    expect(s).toMatchObject({ state: 'CANCELLED', final: true, endedAt: '2026-12-01T10:03:00.000Z' });
    expect(s.stateDetails).toContain('stopped');
    // A run that failed by itself has its end time too (the log's last write).
    writeFileSync(r.log!, 'the job said goodbye\n');
    const failed = await createLocalRunner({ pid: 1, hostname: 'here', isAlive: () => false }).status(
      record(),
    );
    expect(failed.state).toBe('FAILED');
    expect(failed.endedAt).not.toBeNull();
  });

  it('cancels a run of another process on this host with SIGINT (as Ctrl-C there), refuses one that is not running', async () => {
    const sent: [number, string][] = [];
    const runner = createLocalRunner({
      pid: 1,
      hostname: 'here',
      isAlive: (pid) => pid === 4242,
      signalProcess: (pid, sig) => sent.push([pid, sig]),
    });
    await runner.cancel(record());
    expect(sent).toEqual([[4242, 'SIGINT']]);
    const elsewhere = record({ local: { pid: 4242, hostname: 'other-host' } });
    await expect(runner.cancel(elsewhere)).rejects.toBeInstanceOf(UserError);
    expect((await runner.status(elsewhere)).stateDetails).toMatch(/submitted on other-host/);
  });

  it('takes a live process that reuses the recorded pid for what it is: not the run (status, cancel)', async () => {
    const r = record({ local: { pid: 4242, hostname: 'here', pidStart: '1000' } });
    const signals: number[] = [];
    const reused = createLocalRunner({
      pid: 1,
      hostname: 'here',
      isAlive: () => true,
      startTime: () => '2000',
      signalProcess: (pid) => signals.push(pid),
    });
    expect(await reused.status(r)).toMatchObject({ state: 'FAILED', final: true });
    await expect(reused.cancel(r)).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
    expect(signals).toEqual([]);
    const same = createLocalRunner({
      pid: 1,
      hostname: 'here',
      isAlive: () => true,
      startTime: () => '1000',
    });
    expect((await same.status(r)).state).toBe('RUNNING');
    // The real thing on this system: a start time is read for a live process.
    if (process.platform === 'linux') expect(processStartTime(process.pid)).toMatch(/^\d+$/);
  });

  it('reads the driver log, both streams being in one file', async () => {
    const r = record();
    writeFileSync(r.log as string, 'line 1\nline 2\n');
    const runner = createLocalRunner({ pid: 1, hostname: 'here' });
    expect(await runner.logs(r, 'stderr')).toEqual([
      { attempt: 1, stream: 'stderr', location: r.log, text: 'line 1\nline 2\n' },
    ]);
  });
});
