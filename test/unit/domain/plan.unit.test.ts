import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import {
  ASSUMED_BYTES_PER_LINE,
  buildPlan,
  JOB_OVERHEAD_SECONDS,
  onDemandWriteCost,
  provisionedWriteCost,
  READ_LINES_PER_VCPU_SECOND,
  type PlanInput,
} from '../../../src/domain/plan.js';

const NOW = DateTime.fromISO('2026-12-01T00:00:00Z', { zone: 'utc' });
const DAY = 86400;

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    archive: 's3://acme/enriched/',
    runsInArchive: 5,
    runs: [
      {
        runId: '2026-11-01-00-00-00',
        objects: 2,
        bytes: 3_000_000,
        compressedObjects: 0,
        compressedBytes: 0,
      },
      {
        runId: '2026-11-02-00-00-00',
        objects: 3,
        bytes: 2_000_000,
        compressedObjects: 2,
        compressedBytes: 1_000_000,
      },
    ],
    // 1000 bytes per plain line, 200 compressed bytes per gzip line; 90% writable.
    sample: {
      objects: 3,
      plain: { bytes: 500_000, lines: 500 },
      compressed: { bytes: 100_000, lines: 500 },
      valid: 900,
      noFingerprint: 50,
      bad: 50,
    },
    table: {
      name: 'manifest',
      region: 'us-east-1',
      billingMode: 'PAY_PER_REQUEST',
      provisionedWcu: undefined,
      ttlEnabled: true,
    },
    writeRate: 1000,
    ttlSeconds: 180 * DAY,
    skipExpired: true,
    nowSeconds: NOW.toSeconds(),
    compute: {
      runner: 'emr-serverless',
      workers: 4,
      executorCpu: 12,
      totalCpu: 14,
      totalMemoryGb: 55,
      billedStorageGb: 0,
    },
    ...over,
  };
}

describe('buildPlan', () => {
  it('counts the selection and estimates events from the sampled line sizes', () => {
    const p = buildPlan(input());
    expect(p.runs).toEqual({
      selected: 2,
      excluded: 3,
      first: '2026-11-01-00-00-00',
      last: '2026-11-02-00-00-00',
    });
    expect(p.objects).toBe(5);
    expect(p.bytes).toBe(5_000_000);
    expect(p.compressedObjects).toBe(2);
    expect(p.events.bytesPerLine).toEqual({ plain: 1000, compressed: 200 });
    // plain: 3,000,000 + 1,000,000 bytes at 1000 per line; gzip: 1,000,000 at 200.
    expect(p.events.estimated).toBe(4000 + 5000);
    expect(p.events.basis).toBe('sample');
    expect(p.events.writableShare).toBeCloseTo(0.9);
    expect(p.writes).toBe(8100);
  });

  it('prices the writes on demand and on provisioned capacity, and the duration at the write rate', () => {
    const p = buildPlan(input());
    expect(p.dynamodb.onDemandUsd).toBeCloseTo((8100 / 1e6) * 0.625, 10);
    expect(p.duration.writeSeconds).toBeCloseTo(8.1);
    // 1000 WCU held for 8.1 s.
    expect(p.dynamodb.wcuHours).toBeCloseTo(8100 / 3600, 10);
    expect(p.dynamodb.provisionedUsd).toBeCloseTo((8100 / 3600) * 0.00065, 12);
    expect(p.duration.readSeconds).toBeCloseTo(9000 / (12 * READ_LINES_PER_VCPU_SECOND));
  });

  it('prices EMR Serverless for the sizing over the whole job, with the one-minute minimum', () => {
    const small = buildPlan(input());
    // A short job is billed the minimum minute... plus the start-up allowance, which exceeds it.
    const hours = small.duration.totalSeconds / 3600;
    expect(small.duration.totalSeconds).toBeGreaterThanOrEqual(JOB_OVERHEAD_SECONDS);
    expect(small.emr?.vCpuHours).toBeCloseTo(14 * hours, 10);
    expect(small.emr?.memoryGbHours).toBeCloseTo(55 * hours, 10);
    expect(small.emr?.usd).toBeCloseTo(14 * hours * 0.052624 + 55 * hours * 0.0057785, 10);

    // 36 M writes at 1000 WCU/s: ten hours of writing.
    const big = buildPlan(
      input({
        runs: [
          {
            runId: '2026-11-01-00-00-00',
            objects: 100,
            bytes: 40e9,
            compressedObjects: 0,
            compressedBytes: 0,
          },
        ],
      }),
    );
    expect(big.writes).toBe(36_000_000);
    expect(big.duration.writeSeconds).toBe(36_000);
    expect(big.emr?.hours).toBeCloseTo(big.duration.totalSeconds / 3600, 10);
    expect(big.emr!.usd).toBeGreaterThan(10 * (14 * 0.052624 + 55 * 0.0057785));
    // Provisioned capacity for the run is several times cheaper than on demand (DESIGN 3.4).
    expect(big.dynamodb.onDemandUsd / big.dynamodb.provisionedUsd).toBeGreaterThan(3);
  });

  it('has no EMR figures for the local runner, and reads with its cores', () => {
    const p = buildPlan(input({ compute: { runner: 'local', cores: 2 } }));
    expect(p.emr).toBeNull();
    expect(p.duration.readSeconds).toBeCloseTo(9000 / (2 * READ_LINES_PER_VCPU_SECOND));
  });

  it('falls back to assumed line sizes, and says so, when nothing could be sampled', () => {
    const p = buildPlan(input({ sample: null }));
    expect(p.events.basis).toBe('assumed');
    expect(p.events.bytesPerLine).toEqual(ASSUMED_BYTES_PER_LINE);
    expect(p.events.writableShare).toBe(1);
    expect(p.warnings.join('\n')).toMatch(/No line could be sampled/);
  });

  it('points at --skip-present when the table already holds items (not with it, nor on a resume)', () => {
    const base = input();
    const full = { ...base.table, itemCount: 120_000 };
    const warned = buildPlan(input({ table: full })).warnings.join('\n');
    expect(warned).toContain('already holds about 120,000 items');
    expect(warned).toContain('--skip-present');
    expect(buildPlan(input({ table: full, skipPresent: true })).warnings.join('\n')).not.toContain(
      'already holds',
    );
    expect(buildPlan(input({ table: { ...base.table, itemCount: 0 } })).warnings.join('\n')).not.toContain(
      'already holds',
    );
    expect(
      buildPlan(input({ table: full, resume: { from: 'r', keysSettled: 5 } })).warnings.join('\n'),
    ).not.toContain('already holds');
  });

  describe('items with a ttl already in the past', () => {
    const old = {
      runs: [
        {
          runId: '2026-01-10-00-00-00',
          objects: 1,
          bytes: 1_000_000,
          compressedObjects: 0,
          compressedBytes: 0,
        },
        {
          runId: '2026-02-10-00-00-00',
          objects: 1,
          bytes: 1_000_000,
          compressedObjects: 0,
          compressedBytes: 0,
        },
        {
          runId: '2026-11-10-00-00-00',
          objects: 1,
          bytes: 1_000_000,
          compressedObjects: 0,
          compressedBytes: 0,
        },
      ],
    };

    it('are left out of the writes, without a warning, when they are skipped', () => {
      const p = buildPlan(input({ ...old, skipExpired: true }));
      expect(p.expired).toEqual({
        runs: 2,
        first: '2026-01-10-00-00-00',
        last: '2026-02-10-00-00-00',
        events: 2000,
        skipped: true,
      });
      expect(p.writes).toBe(900);
      expect(p.warnings).toEqual([]);
    });

    it('get a warning with the figures and the --since that leaves them out when they would be written', () => {
      const p = buildPlan(input({ ...old, skipExpired: false }));
      expect(p.writes).toBe(2700);
      expect(p.warnings).toHaveLength(1);
      const w = p.warnings[0] ?? '';
      expect(w).toContain(
        '2 of the 3 selected runs (2026-01-10-00-00-00 .. 2026-02-10-00-00-00, about 1,800 items)',
      );
      expect(w).toContain('180 days');
      expect(w).toContain('deletes such items within days');
      // now - 180 days = 2026-06-04T00:00:00Z; the first run id after it.
      expect(w).toContain('--since 2026-06-04-00-00-01');
    });

    it('say that TTL is off when it is', () => {
      const p = buildPlan(
        input({ ...old, skipExpired: false, table: { ...input().table, ttlEnabled: false } }),
      );
      expect(p.warnings[0]).toContain('TTL is off on this table');
    });
  });
});

describe('the plan of a resume', () => {
  it('leaves out the writes the resumed run recorded, and costs and times only the rest', () => {
    const whole = buildPlan(input());
    const p = buildPlan(input({ resume: { from: 'populator-20261201T100000', keysSettled: 1000 } }));
    expect(whole.resume).toBeNull();
    expect(p.resume).toEqual({ from: 'populator-20261201T100000', keysSettled: 1000, writesSaved: 1000 });
    expect(p.writes).toBe(whole.writes - 1000);
    expect(p.duration.writeSeconds).toBeCloseTo((whole.writes - 1000) / 1000, 6);
    expect(p.dynamodb.onDemandUsd).toBeCloseTo(((whole.writes - 1000) / 1e6) * 0.625, 9);
    // Never below nothing: a run whose progress shows more keys than the estimate.
    const over = buildPlan(input({ resume: { from: 'r', keysSettled: whole.writes * 2 } }));
    expect(over.writes).toBe(0);
    expect(over.resume?.writesSaved).toBe(whole.writes);
  });

  it('costs every write when the resumed run left no progress to estimate from', () => {
    const whole = buildPlan(input());
    const p = buildPlan(input({ resume: { from: 'r', keysSettled: null } }));
    expect(p.writes).toBe(whole.writes);
    expect(p.resume).toEqual({ from: 'r', keysSettled: null, writesSaved: 0 });
  });
});

describe('the plan with --skip-present', () => {
  it('prices the lookups against the writes they may spare, on demand', () => {
    const p = buildPlan(input({ skipPresent: true }));
    const s = p.skipPresent!;
    expect(s.keys).toBe(p.writes);
    expect(s.readUnits).toBe(p.writes / 2);
    expect(s.usd).toBeCloseTo((p.writes / 2 / 1e6) * 0.125, 12);
    // An eventually consistent read is a tenth of a write on demand.
    expect(s.breakEvenShare).toBeCloseTo(0.1, 12);
    expect(s.savedIfAllPresentUsd).toBeCloseTo(p.dynamodb.onDemandUsd - s.usd, 12);
    expect(buildPlan(input()).skipPresent).toBeNull();
  });

  it('prices them as read capacity held at half the write rate on a provisioned table', () => {
    const table = { ...input().table, billingMode: 'PROVISIONED' as const, provisionedWcu: 2000 };
    const p = buildPlan(input({ skipPresent: true, table }));
    const hours = p.duration.writeSeconds / 3600;
    expect(p.skipPresent!.usd).toBeCloseTo(0.5 * 1000 * hours * 0.00013, 12);
    expect(p.skipPresent!.breakEvenShare).toBeCloseTo((0.5 * 0.00013) / 0.00065, 12);
  });
});

describe('write prices', () => {
  it('prices on-demand writes at $0.625 per million', () => {
    expect(onDemandWriteCost(1_000_000_000)).toBeCloseTo(625, 6);
    expect(onDemandWriteCost(0)).toBe(0);
  });

  it('prices provisioned capacity as WCU-hours held for the write duration', () => {
    // 1 billion writes at 40,000 WCU/s: 25,000 s, 277,778 WCU-hours, about $181 (issue 13).
    const c = provisionedWriteCost(40_000, 25_000);
    expect(c.wcuHours).toBeCloseTo(277_777.78, 1);
    expect(c.usd).toBeCloseTo(180.56, 2);
  });
});
