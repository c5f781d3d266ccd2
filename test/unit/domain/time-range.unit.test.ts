import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';

import { UserError } from '../../../src/domain/errors.js';
import {
  isInRange,
  parseTimeRange,
  requireTimeRange,
  selectRuns,
  toJobRunId,
  type TimeRange,
} from '../../../src/domain/time-range.js';

function range(flags: { since?: string; until?: string }): TimeRange {
  const result = parseTimeRange(flags);
  if (!result.ok) throw new Error(`unexpected error: ${result.error.message}`);
  return result.range;
}

function error(flags: { since?: string; until?: string }): UserError {
  const result = parseTimeRange(flags);
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('parseTimeRange', () => {
  it('is unbounded without flags', () => {
    expect(range({})).toEqual({});
  });

  it('reads a date as midnight UTC', () => {
    expect(range({ since: '2017-01-26' }).since?.toISO()).toBe('2017-01-26T00:00:00.000Z');
  });

  it('reads a run-id-shaped time as UTC', () => {
    expect(range({ until: '2017-01-26-00-01-25' }).until?.toISO()).toBe('2017-01-26T00:01:25.000Z');
  });

  it.each([
    '2017-01-26T00:01:25',
    '26/01/2017',
    '2017-02-30',
    '2017-1-2',
    'yesterday',
    '',
    '2017-01-26-24-00-00',
  ])('rejects --since %j, naming the flag, the value and both formats', (value) => {
    const e = error({ since: value });
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('INVALID_TIME_RANGE');
    expect(e.message).toContain('--since');
    expect(e.message).toContain(JSON.stringify(value));
    expect(e.message).toContain('YYYY-MM-dd ');
    expect(e.message).toContain('YYYY-MM-dd-HH-mm-ss');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.source).toBe('--since');
    expect(e.hint).toContain('--since 2017-01-26');
  });

  it('reports both flags when both are wrong', () => {
    const e = error({ since: 'last week', until: '2017-13-01' });
    expect(e.issues.map((i) => i.source)).toEqual(['--since', '--until']);
    expect(e.message).toContain('"last week"');
    expect(e.message).toContain('"2017-13-01"');
  });

  it('refuses --since at or after --until: --until is exclusive, so nothing could be selected', () => {
    for (const flags of [
      { since: '2017-01-26', until: '2017-01-26' },
      { since: '2017-01-27', until: '2017-01-26-23-59-59' },
    ]) {
      const e = error(flags);
      expect(e.message).toMatch(/--since .* is not before --until/);
      expect(e.issues[0]?.source).toBe('--until');
    }
  });

  it('accepts a one-second window', () => {
    expect(range({ since: '2017-01-26-00-00-00', until: '2017-01-26-00-00-01' }).until).toBeDefined();
  });

  it('requireTimeRange throws the same UserError', () => {
    expect(() => requireTimeRange({ since: 'bad' })).toThrow(UserError);
    expect(requireTimeRange({ since: '2017-01-26' }).since?.toISO()).toBe('2017-01-26T00:00:00.000Z');
  });
});

describe('toJobRunId', () => {
  it('gives the job the normalized UTC form of a date-only flag', () => {
    expect(toJobRunId(range({ since: '2017-01-26' }).since as DateTime)).toBe('2017-01-26-00-00-00');
  });

  it('converts other zones to UTC', () => {
    expect(toJobRunId(DateTime.fromISO('2017-01-26T02:00:00+02:00', { setZone: true }))).toBe(
      '2017-01-26-00-00-00',
    );
  });
});

describe('selectRuns', () => {
  const runs = [
    '2017-01-27-00-00-00',
    '2017-01-25-23-59-59',
    '2017-01-26-00-00-00',
    'not-a-run',
    '2017-01-26-12-00-00',
  ];

  it('keeps every valid run, oldest first, when unbounded', () => {
    expect(selectRuns(runs, {})).toEqual([
      '2017-01-25-23-59-59',
      '2017-01-26-00-00-00',
      '2017-01-26-12-00-00',
      '2017-01-27-00-00-00',
    ]);
  });

  it('includes --since and excludes --until', () => {
    expect(selectRuns(runs, range({ since: '2017-01-26', until: '2017-01-27' }))).toEqual([
      '2017-01-26-00-00-00',
      '2017-01-26-12-00-00',
    ]);
  });

  it('selects a run given exactly as --since', () => {
    expect(selectRuns(runs, range({ since: '2017-01-26-12-00-00' }))).toEqual([
      '2017-01-26-12-00-00',
      '2017-01-27-00-00-00',
    ]);
  });

  it('lists a run once even if given twice', () => {
    expect(selectRuns(['2017-01-26-00-00-00', '2017-01-26-00-00-00'], {})).toEqual(['2017-01-26-00-00-00']);
  });

  it('isInRange agrees with the bounds', () => {
    const r = range({ since: '2017-01-26', until: '2017-01-27' });
    expect(isInRange(DateTime.fromISO('2017-01-26T00:00:00Z'), r)).toBe(true);
    expect(isInRange(DateTime.fromISO('2017-01-27T00:00:00Z'), r)).toBe(false);
    expect(isInRange(DateTime.fromISO('2017-01-25T23:59:59Z'), r)).toBe(false);
  });
});
