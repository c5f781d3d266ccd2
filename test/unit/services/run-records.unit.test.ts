import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/domain/errors.js';
import { parseRunRecord, type RunRecord } from '../../../src/domain/run-record.js';
import {
  listRunRecords,
  loadRunRecord,
  reserveRunRecord,
  saveRunRecord,
} from '../../../src/services/run-records.js';
import { localRunRecord } from '../../helpers/run-record.js';

let dir: string;
beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'populator-records-')), 'runs');
});
afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

function record(runName: string, createdAt: string, extra: Partial<RunRecord> = {}): RunRecord {
  return localRunRecord(runName, '/tmp/staging', { createdAt, ...extra });
}

describe('run records', () => {
  it('saves, lists newest first and loads by name or the newest, readable only by the user', () => {
    saveRunRecord(dir, record('populator-20261201T100000', '2026-12-01T10:00:00.000Z'));
    const file = saveRunRecord(dir, record('populator-20261201T110000', '2026-12-01T11:00:00.000Z'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(listRunRecords(dir).records.map((r) => r.runName)).toEqual([
      'populator-20261201T110000',
      'populator-20261201T100000',
    ]);
    expect(loadRunRecord(dir).runName).toBe('populator-20261201T110000');
    expect(loadRunRecord(dir, 'populator-20261201T100000').createdAt).toBe('2026-12-01T10:00:00.000Z');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(
      record('populator-20261201T110000', '2026-12-01T11:00:00.000Z'),
    );
  });

  it('reserves a name once: a second submit of the same name at the same moment gets none', () => {
    const first = record('populator-abc123', '2026-12-01T10:00:00.000Z');
    expect(reserveRunRecord(dir, first)).toBe(path.join(dir, 'populator-abc123.json'));
    expect(reserveRunRecord(dir, record('populator-abc123', '2026-12-01T10:00:01.000Z'))).toBeNull();
    expect(loadRunRecord(dir, 'populator-abc123').createdAt).toBe('2026-12-01T10:00:00.000Z');
  });

  it('says what to do when there is no run, or no run of that name', () => {
    let none: unknown;
    try {
      loadRunRecord(dir);
    } catch (e) {
      none = e;
    }
    expect(none).toBeInstanceOf(UserError);
    expect((none as UserError).code).toBe('NO_RUNS');
    expect((none as UserError).hint).toMatch(/populator submit/);
    saveRunRecord(dir, record('populator-20261201T100000', '2026-12-01T10:00:00.000Z'));
    expect(() => loadRunRecord(dir, 'populator-19990101T000000')).toThrow(
      /No run named populator-19990101T000000/,
    );
    expect(() => loadRunRecord(dir, '../../etc/passwd')).toThrow(/is not a run name/);
  });

  it('lists a broken record file with its problem instead of failing', () => {
    saveRunRecord(dir, record('populator-20261201T100000', '2026-12-01T10:00:00.000Z'));
    writeFileSync(path.join(dir, 'populator-broken.json'), '{"version": 1, "runName": ');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a record');
    const { records, broken } = listRunRecords(dir);
    expect(records).toHaveLength(1);
    expect(broken).toEqual([
      { file: path.join(dir, 'populator-broken.json'), problem: expect.stringMatching(/^not JSON/) },
    ]);
    expect(() => loadRunRecord(dir, 'populator-broken')).toThrow(/cannot be read: not JSON/);
  });

  it('rejects records with missing or wrong fields, naming the field', () => {
    const good = record('populator-20261201T100000', '2026-12-01T10:00:00.000Z');
    expect(parseRunRecord(JSON.stringify(good))).toEqual({ ok: true, record: good });
    const cases: [unknown, RegExp][] = [
      [{ ...good, version: 2 }, /version 2/],
      [{ ...good, runner: 'yarn' }, /runner "yarn"/],
      [{ ...good, output: 3 }, /output/],
      [{ ...good, inputs: { ...good.inputs, etlTime: 'late' } }, /etlTime/],
      [{ ...good, inputs: { ...good.inputs, since: 5 } }, /inputs.since/],
      [{ ...good, emr: { applicationId: 'a', jobRunId: 'b' } }, /emr.executionRoleArn/],
      [[], /not a JSON object|version/],
    ];
    for (const [doc, problem] of cases) {
      const parsed = parseRunRecord(JSON.stringify(doc));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problem).toMatch(problem);
    }
  });
});
