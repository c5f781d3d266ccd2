import { describe, expect, it } from 'vitest';
import type { JobSummary, UnreadableFile } from '../../../src/domain/job-report.js';
import { renderSummary, renderUnreadableWarning } from '../../../src/output/summary.js';

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
  counters: {
    linesRead: 3,
    bad: 0,
    noFingerprint: 0,
    expired: 0,
    duplicatesInSelection: 0,
    written: 3,
    alreadyPresent: 0,
    conflicting: 0,
  },
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
  });
});
