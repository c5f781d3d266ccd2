import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';

import {
  formatRunId,
  isRunId,
  parseRunId,
  runFolderName,
  runIdFromFolderName,
} from '../../../src/domain/run-id.js';

describe('parseRunId', () => {
  it('reads a run id as a UTC instant', () => {
    const dt = parseRunId('2017-01-26-00-01-25');
    expect(dt?.toISO()).toBe('2017-01-26T00:01:25.000Z');
  });

  it.each([
    ['2017-02-30-00-00-00', 'no 30 February'],
    ['2017-01-26-24-00-00', 'hour 24 (luxon would roll it over to the next day)'],
    ['2017-01-26-23-59-60', 'second 60'],
    ['2017-13-01-00-00-00', 'month 13'],
    ['2017-1-26-00-01-25', 'one-digit month'],
    ['2017-01-26', 'date only'],
    ['2017-01-26T00:01:25', 'ISO form'],
    [' 2017-01-26-00-01-25', 'leading space'],
    ['2017-01-26-00-01-25/', 'trailing slash'],
    ['', 'empty'],
  ])('rejects %j (%s)', (id) => {
    expect(parseRunId(id)).toBeNull();
    expect(isRunId(id)).toBe(false);
  });

  it('accepts 29 February of a leap year only', () => {
    expect(isRunId('2016-02-29-00-00-00')).toBe(true);
    expect(isRunId('2017-02-29-00-00-00')).toBe(false);
  });
});

describe('formatRunId', () => {
  it('formats in UTC whatever the zone of the instant, truncating milliseconds', () => {
    const dt = DateTime.fromISO('2017-01-26T01:01:25.999+01:00', { setZone: true });
    expect(formatRunId(dt)).toBe('2017-01-26-00-01-25');
  });

  it('round-trips with parseRunId', () => {
    const id = '1999-12-31-23-59-59';
    const dt = parseRunId(id);
    expect(dt).not.toBeNull();
    expect(formatRunId(dt as DateTime)).toBe(id);
  });
});

describe('runIdFromFolderName', () => {
  it('takes the id out of run=<id>, with or without the trailing slash of an S3 prefix', () => {
    expect(runIdFromFolderName('run=2017-01-26-00-01-25')).toBe('2017-01-26-00-01-25');
    expect(runIdFromFolderName('run=2017-01-26-00-01-25/')).toBe('2017-01-26-00-01-25');
  });

  it.each([
    '2017-01-26-00-01-25',
    'run=2017-02-30-00-00-00',
    'run=',
    'RUN=2017-01-26-00-01-25',
    'run=latest',
    '_SUCCESS',
  ])('returns null for %j', (name) => {
    expect(runIdFromFolderName(name)).toBeNull();
  });

  it('builds the folder name back', () => {
    expect(runFolderName('2017-01-26-00-01-25')).toBe('run=2017-01-26-00-01-25');
  });
});
