import { describe, expect, it } from 'vitest';
import type { JobSummary, UnreadableFile } from '../../../src/domain/job-report.js';
import { renderSummary, renderUnreadableWarning } from '../../../src/output/summary.js';
import { jobCounters } from '../../helpers/run-record.js';

const summary: JobSummary = {
  status: 'SUCCEEDED',
  archive: 'file:/data/archive',
  table: 'manifest',
  region: 'us-east-1',
  etlTimeMode: 'run',
  since: null,
  until: null,
  ttlSeconds: 15552000,
  skipExpired: false,
  writeRate: 100,
  writerTasks: 2,
  runsSelected: ['2017-01-01-00-00-00'],
  runsExcluded: 0,
  ignoredPaths: [],
  filesRead: 5,
  bytesRead: 1000,
  unreadableFiles: [],
  counters: jobCounters({ linesRead: 3, written: 3 }),
  badByReason: {},
  throttledRetries: 0,
  otherRetries: 0,
  startedAt: '2017-01-01T00:00:00Z',
  finishedAt: '2017-01-01T00:00:10Z',
  durationSeconds: 10,
};

const files: UnreadableFile[] = [1, 2, 3, 4].map((i) => ({
  path: `file:/data/archive/run=2017-01-01-00-00-00/part-${i}.gz`,
  error: 'EOFException: Unexpected end of input stream',
  linesRead: i * 10,
}));

const row = (text: string): string | undefined =>
  text.split('\n').find((l) => l.startsWith('unreadable files'));

describe('the summary', () => {
  it('shows no unreadable file normally, and no warning', () => {
    expect(row(renderSummary(summary))).toMatch(/^unreadable files\s+0$/);
    expect(renderUnreadableWarning([])).toEqual([]);
  });

  it('shows the count of unreadable files and the first few paths', () => {
    const text = row(renderSummary({ ...summary, unreadableFiles: files }));
    expect(text).toContain('4 (');
    expect(text).toContain('part-1.gz, file:/data/archive/run=2017-01-01-00-00-00/part-2.gz');
    expect(text).toContain('part-3.gz, and 1 more');
    expect(text).not.toContain('part-4.gz');
  });

  it('warns naming every file, what was kept, and how to finish safely', () => {
    const text = renderUnreadableWarning(files).join('\n');
    for (const f of files) expect(text).toContain(`${f.path}: ${f.error} (${f.linesRead} line(s) read`);
    expect(text).toContain('The rest of the archive was read and written');
    expect(text).toContain('the lines before each failure were kept');
    expect(text).toContain('--since/--until');
    expect(text).toContain('a re-run is safe');
    // A put with the same etlTime does replace the item (and its ttl): never say "never changed".
    expect(text).not.toMatch(/never changed/);
  });

  it('shows the budget with the executors and partitions it was split over', () => {
    const text = renderSummary({ ...summary, writerExecutors: 4, writerTasks: 16, writePartitions: 320 });
    expect(text).toMatch(
      /write rate budget\s+100 WCU\/s over 4 executor\(s\), 16 writer task\(s\) \(320 write partitions\)/,
    );
    expect(renderSummary(summary)).toMatch(/write rate budget\s+100 WCU\/s over 2 writer task\(s\)$/m);
  });

  it('says which run a resume went on from and how many writes its records saved', () => {
    const text = renderSummary({
      ...summary,
      resume: {
        resumedFrom: '/data/staging/runs/populator-20261201T100000',
        writesSaved: 1234,
        partitionsAlreadyDone: 3,
        recorded: { written: 1200, alreadyPresent: 30, conflicting: 4, expired: 7 },
        thisRun: { written: 800, alreadyPresent: 20, conflicting: 1, expired: 2 },
      },
    });
    expect(text).toMatch(/^resumed from\s+\/data\/staging\/runs\/populator-20261201T100000$/m);
    expect(text).toMatch(
      /^ {2}writes saved\s+1,234 \(recorded as done there: 1,200 written, 30 already present, 4 conflicting, 7 expired; 3 write partition\(s\) finished\)$/m,
    );
    expect(text).toMatch(
      /^ {2}sent by this run\s+821 put\(s\) \(800 written, 20 already present, 1 conflicting\)$/m,
    );
    expect(renderSummary(summary)).not.toMatch(/resumed from/);
    expect(renderSummary({ ...summary, resume: null })).not.toMatch(/resumed from/);
  });

  it('does not count the keys a resume found with --skip-present as puts it sent', () => {
    const text = renderSummary({
      ...summary,
      resume: {
        resumedFrom: '/data/staging/runs/populator-20261201T100000',
        writesSaved: 100,
        partitionsAlreadyDone: 0,
        recorded: { written: 100, alreadyPresent: 0, conflicting: 0, expired: 0 },
        thisRun: { written: 50, alreadyPresent: 30, conflicting: 5, expired: 0 },
      },
      skipPresent: {
        lookedUp: 85,
        skippedPresent: 28,
        skippedConflicting: 4,
        putsSaved: 32,
        requests: 1,
        throttledRetries: 0,
      },
    });
    expect(text).toMatch(
      /^ {2}sent by this run\s+53 put\(s\) \(50 written, 2 already present, 1 conflicting\); 32 key\(s\) found by --skip-present, not put$/m,
    );
  });

  it('says what --skip-present found and left alone, and what was rewritten', () => {
    const text = renderSummary({
      ...summary,
      counters: { ...summary.counters, linesRead: 13, written: 3, alreadyPresent: 8, conflicting: 2 },
      skipPresent: {
        lookedUp: 13,
        skippedPresent: 6,
        skippedConflicting: 2,
        putsSaved: 8,
        requests: 1,
        throttledRetries: 0,
      },
    });
    expect(text).toMatch(
      /^skip present\s+13 keys looked up in 1 request\(s\): 8 found, not written \(6 with this etlTime, 2 with another; counted above, left as they were\)$/m,
    );
    expect(text).toMatch(
      /already present\s+8 \(same etlTime: 6 found by --skip-present and left as they were, 2 rewritten with ttl = etlTime \+ 15,552,000\)/,
    );
    expect(renderSummary(summary)).not.toMatch(/skip present/);
  });

  it('shows how long the slowest item waited through its retries', () => {
    const text = renderSummary({ ...summary, throttledRetries: 40, longestWaitSeconds: 83.25 });
    expect(text).toMatch(/longest wait \(one item\)\s+83\.3 s/);
    expect(renderSummary(summary)).not.toMatch(/longest wait/);
  });

  it('explains conflicting items where they are counted', () => {
    const line = (t: string): string | undefined => t.split('\n').find((l) => l.includes('conflicting'));
    expect(line(renderSummary(summary))).toMatch(/conflicting etlTime\s+0$/);
    const text = line(
      renderSummary({ ...summary, counters: { ...summary.counters, written: 1, conflicting: 2 } }),
    );
    expect(text).toContain('2 (already in the manifest with another etlTime');
    expect(text).toMatch(/cross-batch duplicate/);
    expect(text).toMatch(/live shredder/);
    expect(text).toMatch(/left as it is/);
  });

  it("explains what already present means: rewritten with the same etlTime and this run's ttl", () => {
    const text = renderSummary({
      ...summary,
      counters: { ...summary.counters, written: 1, alreadyPresent: 2 },
    });
    expect(text.split('\n').find((l) => l.includes('already present'))).toMatch(
      /2 \(same etlTime: rewritten with ttl = etlTime \+ 15,552,000\)/,
    );
  });
});
