import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/domain/random.js';
import {
  DEFAULT_MIN_COVERAGE,
  DEFAULT_SAMPLE_SIZE,
  WeightedTally,
  Z_95,
  samplesToProve,
  weightedProportion,
  wilsonInterval,
} from '../../../src/domain/statistics.js';

describe('wilsonInterval', () => {
  it('gives the textbook values', () => {
    // 8 of 10: [0.4902, 0.9433] (Wilson 1927; Newcombe 1998, method 3).
    const a = wilsonInterval(0.8, 10);
    expect(a.lower).toBeCloseTo(0.4902, 4);
    expect(a.upper).toBeCloseTo(0.9433, 4);
    // 0 of 10: [0, 0.2775]; 10 of 10: [0.7225, 1].
    expect(wilsonInterval(0, 10).lower).toBe(0);
    expect(wilsonInterval(0, 10).upper).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(1, 10).lower).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(1, 10).upper).toBe(1);
    // 81 of 263 (Newcombe's example): [0.2553, 0.3662].
    const b = wilsonInterval(81 / 263, 263);
    expect(b.lower).toBeCloseTo(0.2553, 4);
    expect(b.upper).toBeCloseTo(0.3662, 4);
  });

  it('has n / (n + z²) as its lower bound when nothing is missing', () => {
    for (const n of [1, 100, 3838, 1e6])
      expect(wilsonInterval(1, n).lower).toBeCloseTo(n / (n + Z_95 * Z_95), 12);
  });

  it('holds the estimate, narrows as n grows, and says nothing without samples', () => {
    let width = 1;
    for (const n of [10, 100, 1000, 10_000]) {
      const i = wilsonInterval(0.97, n);
      expect(i.lower).toBeLessThan(0.97);
      expect(i.upper).toBeGreaterThan(0.97);
      expect(i.upper - i.lower).toBeLessThan(width);
      width = i.upper - i.lower;
    }
    expect(wilsonInterval(1, 0)).toMatchObject({ lower: 0, upper: 1 });
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError);
  });

  it('covers the true proportion about 95% of the time', () => {
    // 2000 experiments of 500 Bernoulli(0.97) draws each. (Wilson's actual coverage oscillates
    // around the nominal 95% with n and p: hence the tolerance.)
    const random = createRandom(12345);
    let covered = 0;
    for (let e = 0; e < 2000; e++) {
      let hits = 0;
      for (let i = 0; i < 500; i++) if (random.next() < 0.97) hits++;
      const { lower, upper } = wilsonInterval(hits / 500, 500);
      if (lower <= 0.97 && 0.97 <= upper) covered++;
    }
    expect(covered / 2000).toBeGreaterThan(0.93);
    expect(covered / 2000).toBeLessThan(0.97);
  });
});

describe('samplesToProve', () => {
  it('is 3838 for 0.999 with nothing missing: the default sample', () => {
    expect(samplesToProve(1, 0.999)).toBe(3838);
    expect(DEFAULT_SAMPLE_SIZE).toBe(3838);
    expect(DEFAULT_MIN_COVERAGE).toBe(0.999);
    expect(wilsonInterval(1, 3838).lower).toBeGreaterThanOrEqual(0.999);
    expect(wilsonInterval(1, 3837).lower).toBeLessThan(0.999);
  });

  it('is the smallest size whose lower bound reaches the threshold at the observed rate', () => {
    expect(samplesToProve(1, 0.99)).toBe(381);
    const n = samplesToProve(0.9995, 0.999) as number;
    expect(wilsonInterval(0.9995, n).lower).toBeGreaterThanOrEqual(0.999);
    expect(wilsonInterval(0.9995, n - 1).lower).toBeLessThan(0.999);
  });

  it('is null when the observed rate is at or under the threshold', () => {
    expect(samplesToProve(0.999, 0.999)).toBeNull();
    expect(samplesToProve(0.95, 0.999)).toBeNull();
  });
});

describe('weighted proportion', () => {
  it('is the plain proportion, with the count as effective size, when weights are equal', () => {
    const r = weightedProportion([
      { weight: 0.2, success: true },
      { weight: 0.2, success: true },
      { weight: 0.2, success: false },
      { weight: 0.2, success: true },
    ]);
    expect(r.estimate).toBeCloseTo(0.75, 12);
    expect(r.effectiveSize).toBe(4);
    const t = new WeightedTally();
    for (let i = 0; i < 3838; i++) t.add(1 / 185, true);
    expect(t.effectiveSize).toBe(3838);
  });

  it('weights by inverse probability and shrinks the effective size (Kish)', () => {
    // One sample three times as likely to be drawn as the others counts a third.
    const r = weightedProportion([
      { weight: 1, success: false },
      { weight: 3, success: true },
    ]);
    expect(r.estimate).toBeCloseTo(0.75, 12);
    expect(r.effectiveSize).toBeCloseTo(16 / 10, 12);
    expect(weightedProportion([]).effectiveSize).toBe(0);
    expect(() => new WeightedTally().add(0, true)).toThrow(RangeError);
  });
});
