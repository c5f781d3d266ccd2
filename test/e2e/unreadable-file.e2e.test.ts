/**
 * A truncated .gz file among good ones, end to end (real job jar, Spark local[*], dynalite): the
 * job succeeds, the table holds exactly what the oracle prescribes for the lines that could be
 * read, and the report names the file.
 */
import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_ROW_REASONS } from '../../src/domain/contract.js';
import { compareKeys, type RunLines } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import {
  writeDemoArchive,
  type DemoArchiveManifest,
  type WrittenDemoFile,
} from '../../src/services/demo-archive.js';
import { submitLocal } from '../../src/services/submit.js';
import { startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
let stack: LocalStack;
let archive: DemoArchiveManifest;
let cut: WrittenDemoFile;
/** The complete lines of the truncated file that can still be decompressed. */
let readable: string[];
/** The runs as the job can read them: the truncated file's lost lines removed. */
let readableRuns: RunLines[];

/**
 * The complete lines in what zlib can decompress of a truncated gzip file. Z_SYNC_FLUSH makes zlib
 * return everything the data up to the cut yields instead of failing; the job's reader (Hadoop's
 * gzip codec over the same deflate stream) yields the same bytes, then fails, and keeps only lines
 * that ended before the failure: so up to the last line end, without the partial line after it.
 */
function completeLines(gz: Buffer): string[] {
  const text = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete === ''
    ? []
    : complete
        .slice(0, -1)
        .split('\n')
        .map((l) => l.replace(/\r$/, ''));
}

beforeAll(async () => {
  stack = await startLocalStack();
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 11,
    events: 1200,
    firstRun: NOW.minus({ days: 3 }),
  });
  // The biggest .gz data file, cut half way: some lines before the cut, some after.
  cut = archive.files
    .filter((f) => f.role === 'data' && f.relativePath.endsWith('.gz'))
    .sort((a, b) => b.bytes - a.bytes)[0]!;
  const original = readFileSync(cut.path);
  const full = completeLines(original);
  truncateSync(cut.path, Math.floor(cut.bytes / 2));
  readable = completeLines(readFileSync(cut.path));
  // Guards that keep the assertions below exact: a real cut, a prefix of the file, no stray CR.
  expect(full).toHaveLength(cut.lineCount);
  expect(readable.length).toBeGreaterThan(0);
  expect(readable.length).toBeLessThan(cut.lineCount);
  expect(full.slice(0, readable.length)).toEqual(readable);
  expect(readable.some((l) => l.includes('\r'))).toBe(false);

  // A run's lines are its files' lines; which copy of a repeated line is dropped changes neither
  // the items nor the counters, so removing the lost lines one occurrence each is exact.
  const runFolder = cut.relativePath.split('/')[0]!;
  readableRuns = archive.runs.map((run) => {
    if (run.folder !== runFolder) return run;
    const lines = [...run.lines];
    for (const lost of full.slice(readable.length)) {
      const i = lines.indexOf(lost);
      expect(i, 'a lost line is one of its run').toBeGreaterThanOrEqual(0);
      lines.splice(i, 1);
    }
    return { runId: run.runId, lines };
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('submit with a truncated .gz file in the archive', () => {
  it('succeeds, writes every readable line as prescribed, and reports the file', async () => {
    const table = 'manifest-unreadable';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const staging = path.join(stack.dir, 'staging');
    const result = await submitLocal(stack.submitOptions({ archive: archive.dir, table, staging, now: NOW }));
    const expected = defaultManifest(readableRuns, NOW);

    expect(result.status).toBe('SUCCEEDED');
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
    expect(result.summary.counters).toEqual(expected.counters);
    expect(countersAddUp(result.summary.counters)).toBe(true);
    expect(result.summary.filesRead).toBe(archive.files.filter((f) => f.role === 'data').length);

    expect(result.unreadableFiles).toEqual(result.summary.unreadableFiles);
    expect(result.unreadableFiles).toHaveLength(1);
    const [unreadable] = result.unreadableFiles;
    expect(new URL(unreadable!.path).pathname).toBe(cut.path);
    expect(unreadable!.linesRead).toBe(readable.length);
    expect(unreadable!.error).not.toBe('');

    const badRows = readdirSync(result.badRows)
      .filter((f) => !f.startsWith('.') && statSync(path.join(result.badRows, f)).isFile())
      .flatMap((f) => readFileSync(path.join(result.badRows, f), 'utf8').split('\n'))
      .filter((l) => l.trim() !== '')
      .map(
        (l) => JSON.parse(l) as { line: string | null; reason: string; sourceFile: string; error?: string },
      );
    const fileRows = badRows.filter((r) => r.reason === BAD_ROW_REASONS.unreadableFile);
    expect(fileRows).toEqual([
      {
        line: null,
        reason: 'UNREADABLE_FILE',
        sourceFile: unreadable!.path,
        error: unreadable!.error,
        linesRead: readable.length,
      },
    ]);
    expect(badRows.length - fileRows.length).toBe(expected.counters.bad);
  }, 300_000);
});
