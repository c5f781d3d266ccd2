/**
 * The statistics `verify` reasons with (pure): the Wilson score interval for a proportion, the
 * weighted (Hajek) estimate with Kish's effective sample size for samples whose lines were drawn
 * with unequal probabilities, and how many samples prove a coverage threshold.
 */

/** The standard normal quantile of a two-sided 95% interval (97.5th percentile). */
export const Z_95 = 1.959963984540054;

/** The coverage `verify` requires by default. */
export const DEFAULT_MIN_COVERAGE = 0.999;

/** A proportion's estimate and its confidence interval, all in [0, 1]. */
export interface ProportionInterval {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * The Wilson score interval of a proportion `p` observed on `n` samples (`n` may be an effective,
 * non-integer size). Unlike the normal ("Wald") interval it stays inside [0, 1] and is not
 * degenerate at p = 1, which is exactly the case `verify` cares most about: no key missing.
 * With n = 0 nothing is known: [0, 1].
 */
export function wilsonInterval(p: number, n: number, z: number = Z_95): ProportionInterval {
  if (!(n > 0)) return { estimate: Number.NaN, lower: 0, upper: 1 };
  if (p < 0 || p > 1 || Number.isNaN(p)) throw new RangeError(`a proportion must be in [0, 1], got ${p}`);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Rounding must not push the bounds past the estimate's own extremes.
  return {
    estimate: p,
    lower: p === 0 ? 0 : Math.max(0, center - half),
    upper: p === 1 ? 1 : Math.min(1, center + half),
  };
}

/** One observation of a weighted proportion. */
export interface WeightedObservation {
  /** Proportional to 1 / (the probability the sample was drawn with); any positive scale. */
  weight: number;
  success: boolean;
}

/** A weighted proportion and the sample size it is worth. */
export interface WeightedProportion {
  /** Σ w·success / Σ w (the Hajek estimator); NaN without observations. */
  estimate: number;
  /** Kish's effective sample size (Σw)² / Σw²: the observation count when all weights are equal. */
  effectiveSize: number;
  count: number;
  /** Every weight was the same (the estimate is then the plain proportion). */
  equalWeights: boolean;
}

/** Accumulates weighted observations one at a time (the sampler's stopping rule reads it as it goes). */
export class WeightedTally {
  private sum = 0;
  private sumSquares = 0;
  private successes = 0;
  private n = 0;
  private firstWeight = 0;
  private equalWeights = true;

  add(weight: number, success: boolean): void {
    if (!(weight > 0) || !Number.isFinite(weight))
      throw new RangeError(`a weight must be positive, got ${weight}`);
    if (this.n === 0) this.firstWeight = weight;
    else if (weight !== this.firstWeight) this.equalWeights = false;
    this.sum += weight;
    this.sumSquares += weight * weight;
    if (success) this.successes += weight;
    this.n++;
  }

  /** Kish's effective sample size; exactly `count` when every weight is the same. */
  get effectiveSize(): number {
    // (k·w)² / (k·w²) is k only up to rounding: 3838 equal weights must count as 3838, not 3837.9999.
    if (this.equalWeights) return this.n;
    return (this.sum * this.sum) / this.sumSquares;
  }

  get count(): number {
    return this.n;
  }

  result(): WeightedProportion {
    return {
      estimate: this.n === 0 ? Number.NaN : Math.min(1, this.successes / this.sum),
      effectiveSize: this.effectiveSize,
      count: this.n,
      equalWeights: this.equalWeights,
    };
  }
}

/** The weighted proportion of a list of observations. */
export function weightedProportion(observations: readonly WeightedObservation[]): WeightedProportion {
  const tally = new WeightedTally();
  for (const o of observations) tally.add(o.weight, o.success);
  return tally.result();
}

/**
 * The smallest sample size at which a proportion observed at `p` has a Wilson lower bound of at
 * least `threshold`; null when no size does (p <= threshold and p < 1: the bound stays below p).
 * With p = 1 this is the size that proves the threshold with not a single miss:
 * n / (n + z²) >= t, i.e. n >= t·z² / (1 - t).
 */
export function samplesToProve(p: number, threshold: number, z: number = Z_95): number | null {
  if (!(threshold > 0 && threshold < 1))
    throw new RangeError(`a threshold must be in (0, 1), got ${threshold}`);
  if (p < 1 && p <= threshold) return null;
  const proves = (n: number): boolean => wilsonInterval(p, n, z).lower >= threshold;
  if (p === 1) {
    // The closed form, then a step either way for floating-point rounding at the boundary.
    let n = Math.max(1, Math.ceil((threshold * z * z) / (1 - threshold)));
    while (n > 1 && proves(n - 1)) n--;
    while (!proves(n)) n++;
    return n;
  }
  // The lower bound grows with n for a fixed p: double, then bisect.
  let high = 1;
  while (!proves(high)) {
    high *= 2;
    if (high > Number.MAX_SAFE_INTEGER) return null;
  }
  let low = Math.floor(high / 2);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (proves(mid)) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * The default sample size: the smallest that proves DEFAULT_MIN_COVERAGE on a complete table
 * (every sampled event found). 3838 = ceil(0.999 · 1.96² / 0.001).
 */
export const DEFAULT_SAMPLE_SIZE = samplesToProve(1, DEFAULT_MIN_COVERAGE) as number;
