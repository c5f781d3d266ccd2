import { describe, expect, it } from 'vitest';
import { countersAddUp, keysDone, parseJobSummary } from '../../../src/domain/job-report.js';

const counters = {
  linesRead: 10,
  bad: 1,
  noFingerprint: 1,
  expired: 1,
  duplicatesInSelection: 2,
  written: 3,
  alreadyPresent: 1,
  conflicting: 1,
};

describe('job report', () => {
  it('checks that every line read is accounted for', () => {
    expect(countersAddUp(counters)).toBe(true);
    expect(countersAddUp({ ...counters, written: 4 })).toBe(false);
  });

  it('refuses a summary without counters, naming the missing field', () => {
    expect(() => parseJobSummary('{"status":"SUCCEEDED"}')).toThrow(/counters/);
    const { written: _w, ...partial } = counters;
    expect(() => parseJobSummary(JSON.stringify({ counters: partial }))).toThrow(/counters.written/);
    expect(parseJobSummary(JSON.stringify({ status: 'SUCCEEDED', counters })).counters.written).toBe(3);
  });

  it('reads unreadableFiles, as none when an older job jar wrote no such field', () => {
    const files = [{ path: 'file:/a/run=x/part-1.gz', error: 'EOFException: Unexpected end', linesRead: 4 }];
    expect(parseJobSummary(JSON.stringify({ counters, unreadableFiles: files })).unreadableFiles).toEqual(
      files,
    );
    expect(parseJobSummary(JSON.stringify({ counters })).unreadableFiles).toEqual([]);
    expect(() => parseJobSummary(JSON.stringify({ counters, unreadableFiles: 'x' }))).toThrow(
      /unreadableFiles/,
    );
  });

  it('reads runEtlTimes (run id -> epoch seconds), absent from older job jars, and refuses another shape', () => {
    const runEtlTimes = { '2017-01-01-00-00-00': 1483229160 };
    expect(parseJobSummary(JSON.stringify({ counters, runEtlTimes })).runEtlTimes).toEqual(runEtlTimes);
    expect(parseJobSummary(JSON.stringify({ counters })).runEtlTimes).toBeUndefined();
    expect(() => parseJobSummary(JSON.stringify({ counters, runEtlTimes: { x: '1' } }))).toThrow(
      /runEtlTimes/,
    );
    expect(() => parseJobSummary(JSON.stringify({ counters, runEtlTimes: [1] }))).toThrow(/runEtlTimes/);
  });

  it('counts the keys the write stage has handled', () => {
    expect(keysDone({ phase: 'writing', written: 5, alreadyPresent: 2, conflicting: 1, expired: 1 })).toBe(9);
    expect(keysDone({ phase: 'reading' })).toBe(0);
  });
});
