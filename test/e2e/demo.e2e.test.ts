/** `populator demo` as a user runs it: offline, everything started is stopped, the table matches. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { countersAddUp, type JobCounters } from '../../src/domain/job-report.js';

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
  }, 300_000);
});
