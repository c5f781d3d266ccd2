/** The archive listing verify samples from follows the job's rules (ArchiveReader.scala). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hiddenBelowRun } from '../../../src/domain/contract.js';
import { localArchiveReader } from '../../../src/services/verify-archive.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'populator-verify-archive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const put = (rel: string, content: string): void => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
};

describe('localArchiveReader', () => {
  put('run=2017-01-01-00-00-00/part-00000', 'a\n');
  put('run=2017-01-01-00-00-00/sub/part-00001.gz', 'b');
  put('run=2017-01-01-00-00-00/_SUCCESS', '');
  put('run=2017-01-01-00-00-00/empty', '');
  put('run=2017-01-01-00-00-00/.part-00000.crc', 'x');
  put('run=2017-01-01-00-00-00/_temporary/0/part-00002', 'x');
  put('run=2017-13-01-00-00-00/part-00000', 'x');
  put('notes/readme', 'x');
  put('run=2017-01-02-00-00-00', 'a file named like a run');

  it('lists run folders only, and reports what else is there', async () => {
    const r = await localArchiveReader(root).listRuns();
    expect(r.runs).toEqual([
      { runId: '2017-01-01-00-00-00', location: path.join(root, 'run=2017-01-01-00-00-00') },
    ]);
    expect(r.ignored.map((p) => path.basename(p)).sort()).toEqual([
      'notes',
      'run=2017-01-02-00-00-00',
      'run=2017-13-01-00-00-00',
    ]);
  });

  it('lists every non-empty file below a run, hidden names (at any depth) left out', async () => {
    const reader = localArchiveReader(root);
    const [run] = (await reader.listRuns()).runs;
    const files = await reader.listFiles(run!);
    expect(files.map((f) => path.relative(root, f.path))).toEqual([
      'run=2017-01-01-00-00-00/part-00000',
      'run=2017-01-01-00-00-00/sub/part-00001.gz',
    ]);
    expect(files.map((f) => f.bytes)).toEqual([2, 1]);
  });

  it('reads ranges (short at the end of the file) and streams, counting requests and bytes', async () => {
    const reader = localArchiveReader(root);
    const file = path.join(root, 'run=2017-01-01-00-00-00/part-00000');
    expect(Buffer.from(await reader.readRange(file, 1, 10)).toString()).toBe('\n');
    const chunks: Uint8Array[] = [];
    for await (const c of reader.readStream(file, 1)) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('a');
    expect(reader.stats).toEqual({ requests: 2, bytes: 2 });
  });

  it('tells hidden paths as the job does', () => {
    expect(hiddenBelowRun('part-00000')).toBe(false);
    expect(hiddenBelowRun('sub/part-00000')).toBe(false);
    expect(hiddenBelowRun('_SUCCESS')).toBe(true);
    expect(hiddenBelowRun('.x.crc')).toBe(true);
    expect(hiddenBelowRun('_temporary/0/part-1')).toBe(true);
  });
});
