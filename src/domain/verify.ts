/**
 * What `verify` concludes from a sample (pure): what the job should have written for a sampled
 * line (DESIGN 3.2), how a looked-up item compares with it, the tally with its weighted coverage
 * estimate and Wilson interval, and the verdict against the required coverage.
 */
import type { EtlTimeMode } from './contract.js';
import { classifyLine, type BadRowReason, type ManifestKey } from './enriched.js';
import { EXIT_CODES, type ExitCode } from './errors.js';
import { WeightedTally, samplesToProve, wilsonInterval, Z_95 } from './statistics.js';

/** What the job was asked to do, as far as verify knows it. */
export interface VerifyExpectations {
  etlTime: EtlTimeMode;
  /**
   * Each run's etlTime in run mode (the job's summary.json); undefined when the run is not known:
   * a run's earliest etl_tstamp cannot be told from a sample, so run mode is then checked in event
   * terms only (an item's etlTime must not be later than the sampled line's own etl_tstamp).
   */
  runEtlTimes: Readonly<Record<string, number>> | undefined;
  ttlSeconds: number;
  /** The job skipped items whose ttl had passed when it ran (TTL was enabled, no --write-expired). */
  skipExpired: boolean;
  /** The time the job judged expiry against (epoch seconds). */
  jobNowSeconds: number;
  /** DynamoDB TTL is enabled on `ttl` now: items past their ttl may be gone, legitimately. */
  ttlDeletes: boolean;
  /** Now (epoch seconds). */
  nowSeconds: number;
}

/** The etlTime the job writes for a line: exact, or (run mode, run unknown) an upper bound. */
export interface ExpectedEtlTime {
  value: number;
  exact: boolean;
}

/** A sampled line, as the job would have treated it. */
export type SampledLineClass =
  | { kind: 'bad'; reason: BadRowReason }
  | { kind: 'noFingerprint' }
  | {
      kind: 'valid';
      key: ManifestKey;
      etlTime: ExpectedEtlTime;
      /**
       * `atWrite`: its ttl had passed when the job ran and it skipped it; `sinceWritten`: its ttl
       * has passed since and DynamoDB TTL may have deleted it. Either way not counted for coverage.
       */
      expired: 'atWrite' | 'sinceWritten' | null;
    };

/** How the job treats one sampled line of run `runId`. */
export function classifySampledLine(line: string, runId: string, e: VerifyExpectations): SampledLineClass {
  const c = classifyLine(line);
  if (c.kind === 'bad') return { kind: 'bad', reason: c.reason };
  if (c.kind === 'noFingerprint') return { kind: 'noFingerprint' };
  const runEtl = e.etlTime === 'run' ? e.runEtlTimes?.[runId] : undefined;
  const etlTime: ExpectedEtlTime =
    e.etlTime === 'event'
      ? { value: c.etlTime, exact: true }
      : runEtl !== undefined
        ? { value: runEtl, exact: true }
        : { value: c.etlTime, exact: false };
  // With an upper bound on etlTime, this ttl is an upper bound too: a line counts as expired only
  // when it certainly is.
  const ttl = etlTime.value + e.ttlSeconds;
  const expired =
    e.skipExpired && ttl <= e.jobNowSeconds
      ? ('atWrite' as const)
      : e.ttlDeletes && ttl <= e.nowSeconds
        ? ('sinceWritten' as const)
        : null;
  return { kind: 'valid', key: { eventId: c.eventId, fingerprint: c.fingerprint }, etlTime, expired };
}

/** How a found item's etlTime compares with what the job writes for the sampled line. */
export type FoundEtlTime =
  /** As the job writes it (exact), or not later than the line's etl_tstamp (run mode, run unknown). */
  | 'expected'
  /**
   * Earlier: the key occurs in an earlier run of the selection too, and the job writes a key's
   * earliest etlTime (run mode: the value is one of the selected runs' etlTimes).
   */
  | 'earlier'
  /** Anything else: the live shredder or another batch wrote the key first (a cross-batch duplicate). */
  | 'other';

/** Compares a found item's etlTime with the expected one. */
export function judgeFoundEtlTime(
  stored: number | undefined,
  expected: ExpectedEtlTime,
  e: Pick<VerifyExpectations, 'etlTime' | 'runEtlTimes'>,
): FoundEtlTime {
  if (stored === undefined) return 'other';
  if (!expected.exact) return stored <= expected.value ? 'expected' : 'other';
  if (stored === expected.value) return 'expected';
  if (stored > expected.value) return 'other';
  if (e.etlTime === 'event') return 'earlier';
  return Object.values(e.runEtlTimes ?? {}).includes(stored) ? 'earlier' : 'other';
}

/** What became of one sampled line. */
export type SampleOutcome =
  | { kind: 'bad'; reason: BadRowReason }
  | { kind: 'noFingerprint' }
  | { kind: 'expired'; when: 'atWrite' | 'sinceWritten'; present: boolean }
  | { kind: 'found'; etlTime: FoundEtlTime }
  | { kind: 'missing' };

/** The counts of a sample; `expected` = found (any etlTime) + missing. */
export interface VerifyCounts {
  sampled: number;
  bad: number;
  badByReason: Record<string, number>;
  noFingerprint: number;
  expiredAtWrite: number;
  /** Past their ttl since the job ran, with TTL enabled: not counted either way. */
  expiredSinceWritten: number;
  /** Of the expired ones (either kind), those still in the table. */
  expiredStillPresent: number;
  expected: number;
  foundExpectedEtlTime: number;
  foundEarlierEtlTime: number;
  foundOtherEtlTime: number;
  missing: number;
}

/** The coverage estimate and its 95% interval, and what it says about the threshold. */
export interface CoverageVerdict {
  /** Share of the expected events found in the table (weighted when lines were drawn unequally). */
  estimate: number;
  lower: number;
  upper: number;
  /** The sample size the interval is computed for (Kish's effective size when weighted). */
  effectiveSampleSize: number;
  /** False when every expected sample has the same weight (then the effective size is the count). */
  weighted: boolean;
  confidence: 0.95;
  minCoverage: number;
  /**
   * `belowThreshold`: the interval's upper bound is under the threshold (coverage is shown to be
   * too low); `proven`: the lower bound is at or above it; `notProven`: the sample neither proves
   * nor refutes it.
   */
  verdict: 'proven' | 'notProven' | 'belowThreshold';
  /**
   * The (effective) sample size that would prove the threshold if coverage stayed at the estimate;
   * null when it cannot (the estimate is at or under the threshold).
   */
  samplesToProve: number | null;
}

/** Counts outcomes and weighs the expected ones into a coverage estimate. */
export class VerifyTally {
  private readonly counts: VerifyCounts = {
    sampled: 0,
    bad: 0,
    badByReason: {},
    noFingerprint: 0,
    expiredAtWrite: 0,
    expiredSinceWritten: 0,
    expiredStillPresent: 0,
    expected: 0,
    foundExpectedEtlTime: 0,
    foundEarlierEtlTime: 0,
    foundOtherEtlTime: 0,
    missing: 0,
  };
  private readonly coverage = new WeightedTally();

  /** Adds one sampled line's outcome; `weight` is proportional to 1 / its draw probability. */
  add(outcome: SampleOutcome, weight: number): void {
    const c = this.counts;
    c.sampled++;
    switch (outcome.kind) {
      case 'bad':
        c.bad++;
        c.badByReason[outcome.reason] = (c.badByReason[outcome.reason] ?? 0) + 1;
        return;
      case 'noFingerprint':
        c.noFingerprint++;
        return;
      case 'expired':
        if (outcome.when === 'atWrite') c.expiredAtWrite++;
        else c.expiredSinceWritten++;
        if (outcome.present) c.expiredStillPresent++;
        return;
      case 'found':
        if (outcome.etlTime === 'expected') c.foundExpectedEtlTime++;
        else if (outcome.etlTime === 'earlier') c.foundEarlierEtlTime++;
        else c.foundOtherEtlTime++;
        break;
      case 'missing':
        c.missing++;
        break;
    }
    c.expected++;
    this.coverage.add(weight, outcome.kind === 'found');
  }

  /** The counts so far (a copy). */
  snapshot(): VerifyCounts {
    return { ...this.counts, badByReason: { ...this.counts.badByReason } };
  }

  /** The coverage estimate against `minCoverage`. */
  verdict(minCoverage: number): CoverageVerdict {
    const r = this.coverage.result();
    const interval = wilsonInterval(r.count === 0 ? 0 : r.estimate, r.effectiveSize, Z_95);
    const verdict =
      r.count === 0
        ? 'notProven'
        : interval.upper < minCoverage
          ? 'belowThreshold'
          : interval.lower >= minCoverage
            ? 'proven'
            : 'notProven';
    return {
      estimate: r.estimate,
      lower: interval.lower,
      upper: interval.upper,
      effectiveSampleSize: r.effectiveSize,
      weighted: !r.equalWeights,
      confidence: 0.95,
      minCoverage,
      verdict,
      samplesToProve:
        r.count === 0 ? samplesToProve(1, minCoverage) : samplesToProve(r.estimate, minCoverage),
    };
  }
}

/** The exit code of a verify run: 3 when coverage is shown too low, or not proven under --strict. */
export function verifyExitCode(verdict: CoverageVerdict['verdict'], strict: boolean): ExitCode {
  if (verdict === 'belowThreshold') return EXIT_CODES.verifyBelowThreshold;
  if (verdict === 'notProven' && strict) return EXIT_CODES.verifyBelowThreshold;
  return EXIT_CODES.ok;
}
