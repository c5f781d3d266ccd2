import { describe, expect, it } from 'vitest';
import { REFERENCE_ENRICHED_LINE } from '../../../src/domain/demo-archive.js';
import {
  VerifyTally,
  classifySampledLine,
  judgeFoundEtlTime,
  verifyExitCode,
  type VerifyExpectations,
} from '../../../src/domain/verify.js';

// The reference line: etl_tstamp 2016-11-27 08:46:40.000 (1480236400), a fingerprint.
const OWN_ETL = 1480236400;
const RUN = '2016-11-27-08-00-00';
const line = REFERENCE_ENRICHED_LINE;
const withField = (i: number, v: string): string => {
  const f = line.split('\t');
  f[i] = v;
  return f.join('\t');
};

const base: VerifyExpectations = {
  etlTime: 'run',
  runEtlTimes: { [RUN]: OWN_ETL - 600, '2016-11-26-00-00-00': OWN_ETL - 90_000 },
  ttlSeconds: 1000,
  skipExpired: false,
  jobNowSeconds: OWN_ETL,
  ttlDeletes: false,
  nowSeconds: OWN_ETL,
};

describe('classifySampledLine', () => {
  it("expects the run's etlTime in run mode, the line's own in event mode", () => {
    expect(classifySampledLine(line, RUN, base)).toMatchObject({
      kind: 'valid',
      key: {
        eventId: '1799a90f-f570-4414-b91a-b0db8f39cc2e',
        fingerprint: 'bed9a39a0917874d2ff072033a6413d9',
      },
      etlTime: { value: OWN_ETL - 600, exact: true },
      expired: null,
    });
    expect(classifySampledLine(line, RUN, { ...base, etlTime: 'event' })).toMatchObject({
      etlTime: { value: OWN_ETL, exact: true },
    });
    // Run mode without the run's etlTime: the line's own is an upper bound, not the value.
    expect(classifySampledLine(line, RUN, { ...base, runEtlTimes: undefined })).toMatchObject({
      etlTime: { value: OWN_ETL, exact: false },
    });
  });

  it('passes bad lines and lines without fingerprint through, as the job counts them', () => {
    expect(classifySampledLine('a\tb', RUN, base)).toEqual({ kind: 'bad', reason: 'FIELD_COUNT' });
    expect(classifySampledLine(withField(129, ''), RUN, base)).toEqual({ kind: 'noFingerprint' });
  });

  it('tells items the job skipped as expired from items past their ttl since, which TTL may have deleted', () => {
    const ttl = OWN_ETL - 600 + 1000;
    // Skipped at write: the job ran after the ttl, with expired items skipped.
    expect(
      classifySampledLine(line, RUN, { ...base, skipExpired: true, jobNowSeconds: ttl, nowSeconds: ttl + 5 }),
    ).toMatchObject({ expired: 'atWrite' });
    // Written (the job ran before the ttl) but past it now, with TTL on: may be gone.
    expect(
      classifySampledLine(line, RUN, {
        ...base,
        skipExpired: true,
        jobNowSeconds: ttl - 1,
        ttlDeletes: true,
        nowSeconds: ttl,
      }),
    ).toMatchObject({ expired: 'sinceWritten' });
    // Past its ttl, but nothing deletes it (TTL off) and the job wrote it: expected as any other.
    expect(classifySampledLine(line, RUN, { ...base, nowSeconds: ttl + 5 })).toMatchObject({ expired: null });
  });
});

describe('judgeFoundEtlTime', () => {
  const exact = { value: OWN_ETL - 600, exact: true };
  it('accepts the expected value, an earlier run of the selection, and calls anything else other', () => {
    expect(judgeFoundEtlTime(OWN_ETL - 600, exact, base)).toBe('expected');
    expect(judgeFoundEtlTime(OWN_ETL - 90_000, exact, base)).toBe('earlier');
    expect(judgeFoundEtlTime(OWN_ETL - 1, exact, base)).toBe('other');
    expect(judgeFoundEtlTime(OWN_ETL - 50_000, exact, base)).toBe('other');
    expect(judgeFoundEtlTime(OWN_ETL + 1, exact, base)).toBe('other');
    expect(judgeFoundEtlTime(undefined, exact, base)).toBe('other');
  });

  it('in event mode, takes any earlier etlTime as an earlier occurrence', () => {
    const e = { ...base, etlTime: 'event' as const };
    expect(judgeFoundEtlTime(OWN_ETL, { value: OWN_ETL, exact: true }, e)).toBe('expected');
    expect(judgeFoundEtlTime(OWN_ETL - 5, { value: OWN_ETL, exact: true }, e)).toBe('earlier');
  });

  it('checks in event terms only when the run is not known: not after the line', () => {
    const bound = { value: OWN_ETL, exact: false };
    expect(judgeFoundEtlTime(OWN_ETL - 600, bound, base)).toBe('expected');
    expect(judgeFoundEtlTime(OWN_ETL, bound, base)).toBe('expected');
    expect(judgeFoundEtlTime(OWN_ETL + 1, bound, base)).toBe('other');
  });
});

describe('VerifyTally', () => {
  it('counts every outcome, and only expected events in the coverage', () => {
    const t = new VerifyTally();
    t.add({ kind: 'bad', reason: 'FIELD_COUNT' }, 1);
    t.add({ kind: 'noFingerprint' }, 1);
    t.add({ kind: 'expired', when: 'sinceWritten', present: false }, 1);
    t.add({ kind: 'expired', when: 'atWrite', present: true }, 1);
    for (let i = 0; i < 97; i++) t.add({ kind: 'found', etlTime: 'expected' }, 1);
    t.add({ kind: 'found', etlTime: 'other' }, 1);
    t.add({ kind: 'found', etlTime: 'earlier' }, 1);
    t.add({ kind: 'missing' }, 1);
    expect(t.snapshot()).toEqual({
      sampled: 104,
      bad: 1,
      badByReason: { FIELD_COUNT: 1 },
      noFingerprint: 1,
      expiredAtWrite: 1,
      expiredSinceWritten: 1,
      expiredStillPresent: 1,
      expected: 100,
      foundExpectedEtlTime: 97,
      foundEarlierEtlTime: 1,
      foundOtherEtlTime: 1,
      missing: 1,
    });
    const v = t.verdict(0.9);
    expect(v.estimate).toBeCloseTo(0.99, 12);
    expect(v.effectiveSampleSize).toBe(100);
    expect(v.weighted).toBe(false);
    expect(v.verdict).toBe('proven');
    // 99 of 100: the interval (0.946 .. 0.998) neither proves nor refutes 99%, and is all under 99.9%.
    expect(t.verdict(0.99).verdict).toBe('notProven');
    expect(t.verdict(0.99).samplesToProve).toBeNull();
    expect(t.verdict(0.98).samplesToProve).toBeGreaterThan(100);
    expect(t.verdict(0.999).verdict).toBe('belowThreshold');
  });

  it('is below the threshold when the upper bound is, and weighs unequal samples', () => {
    const t = new VerifyTally();
    for (let i = 0; i < 900; i++) t.add({ kind: 'found', etlTime: 'expected' }, 1);
    for (let i = 0; i < 100; i++) t.add({ kind: 'missing' }, 3);
    const v = t.verdict(0.999);
    expect(v.verdict).toBe('belowThreshold');
    expect(v.weighted).toBe(true);
    expect(v.estimate).toBeCloseTo(900 / 1200, 12);
    expect(v.effectiveSampleSize).toBeCloseTo(1200 ** 2 / 1800, 9);
    expect(v.upper).toBeLessThan(0.999);
  });

  it('proves nothing without expected events', () => {
    const v = new VerifyTally().verdict(0.999);
    expect(v).toMatchObject({ verdict: 'notProven', lower: 0, upper: 1, samplesToProve: 3838 });
  });
});

describe('verifyExitCode', () => {
  it('is 3 when shown below, 0 otherwise, and 3 for not proven under --strict', () => {
    expect(verifyExitCode('belowThreshold', false)).toBe(3);
    expect(verifyExitCode('proven', true)).toBe(0);
    expect(verifyExitCode('notProven', false)).toBe(0);
    expect(verifyExitCode('notProven', true)).toBe(3);
  });
});
