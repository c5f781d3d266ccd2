/** `populator demo` as a user runs it: offline, everything started is stopped, the table matches. */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { countersAddUp, type JobCounters } from '../../src/domain/job-report.js';
import type { VerifyResult } from '../../src/services/verify.js';

describe('populator demo', () => {
  it('back-fills the generated archive and proves the table matches it', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.resolve('bin/run.js'), 'demo', '--events', '800', '--master', 'local[2]', '--json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout) as {
      tableMatchesArchive: boolean;
      tableItemCount: number;
      dir: string | null;
      submit: { summary: { counters: JobCounters; filesRead: number } };
      verify: VerifyResult;
    };
    expect(result.tableMatchesArchive).toBe(true);
    const c = result.submit.summary.counters;
    expect(countersAddUp(c)).toBe(true);
    expect(c.linesRead).toBe(800);
    expect(c.bad).toBeGreaterThan(0);
    expect(c.noFingerprint).toBeGreaterThan(0);
    expect(c.duplicatesInSelection).toBeGreaterThan(0);
    expect(result.tableItemCount).toBe(c.written);
    expect(result.dir).toBeNull();
    // It ends with verify on the table it filled: complete, so the default sample proves 99.9%,
    // with each run's etlTime from the job's report.
    expect(result.verify.coverage).toMatchObject({ estimate: 1, verdict: 'proven' });
    expect(result.verify.counts.missing).toBe(0);
    expect(result.verify.counts.foundOtherEtlTime).toBe(0);
    expect(result.verify.etlTimeCheck).toBe('exact');
    expect(result.verify.jobCounters).toEqual(c);
  }, 300_000);
});

describe('npm run demo:emr (the repository’s demo against the EMR Serverless emulator)', () => {
  it('runs the same submit against the EMR Serverless emulator and moto offline, and the table matches', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.resolve('scripts/demo-emr.ts'), '--events', '600', '--json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout) as {
      runner: string;
      tableMatchesArchive: boolean;
      verify: VerifyResult;
      submit: {
        runner: string;
        summary: { counters: JobCounters; writerExecutors?: number };
        emr: { applicationId: string; jobRunId: string; createdApplication: boolean };
        billed: { usd: number } | null;
        plan: { writes: number };
      };
    };
    expect(result.runner).toBe('emr-serverless');
    expect(result.tableMatchesArchive).toBe(true);
    expect(result.submit.runner).toBe('emr-serverless');
    expect(result.submit.emr.createdApplication).toBe(true);
    expect(result.submit.emr.jobRunId).not.toBe('');
    expect(result.submit.billed?.usd).toBeGreaterThan(0);
    expect(countersAddUp(result.submit.summary.counters)).toBe(true);
    expect(result.submit.plan.writes).toBeGreaterThan(0);
    // The emulated job run's executors were JVMs of their own, and verify proves the table they wrote.
    expect(result.submit.summary.writerExecutors).toBe(2);
    expect(result.verify.counts.missing).toBe(0);
    expect(result.verify.coverage).toMatchObject({ estimate: 1 });
  }, 600_000);
});

describe('populator demo, interrupted', () => {
  it('stops the Spark job and everything it started on Ctrl-C, saying a re-run is safe', async () => {
    const child = spawn(
      process.execPath,
      [path.resolve('bin/run.js'), 'demo', '--events', '20000', '--master', 'local[2]'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const sent = new Promise<void>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        // Interrupt once the job JVM runs.
        if (/writing|reading|listing/.test(stderr) && !child.killed) {
          child.kill('SIGINT');
          resolve();
        }
      });
    });
    const workDir = await new Promise<string>((resolve) => {
      const check = (): void => {
        const m = /Writing a demo archive of \d+ events to (\S+)\/archive/.exec(stderr);
        if (m?.[1]) resolve(m[1]);
        else setTimeout(check, 50);
      };
      check();
    });
    await sent;
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(4);
    expect(stderr).toMatch(/stopped \(Ctrl-C\)|Interrupted before the job started/);
    expect(stderr).toMatch(/again/);
    // Nothing it started is left: no JVM reading the demo archive, no work folder.
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(workDir);
    expect(existsSync(workDir)).toBe(false);
  }, 300_000);
});
