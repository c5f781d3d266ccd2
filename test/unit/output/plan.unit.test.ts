import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/domain/plan.js';
import { bytes, duration, renderPlan, renderRunStatus } from '../../../src/output/plan.js';
import type { RunSnapshot } from '../../../src/runners/runner.js';
import { renderTransferLine } from '../../../src/output/progress.js';

describe('plan rendering', () => {
  it('shows the figures a person checks before spending: writes, duration, both DynamoDB prices, EMR cost', () => {
    const plan = buildPlan({
      archive: 's3://acme/enriched/',
      runsInArchive: 10,
      runs: [
        { runId: '2026-11-01-00-00-00', objects: 4, bytes: 4e9, compressedObjects: 4, compressedBytes: 4e9 },
      ],
      sample: {
        objects: 2,
        plain: { bytes: 0, lines: 0 },
        compressed: { bytes: 250_000, lines: 1000 },
        valid: 1000,
        noFingerprint: 0,
        bad: 0,
      },
      table: {
        name: 'manifest',
        region: 'us-east-1',
        billingMode: 'PAY_PER_REQUEST',
        provisionedWcu: undefined,
        ttlEnabled: true,
      },
      writeRate: 1000,
      ttlSeconds: 15552000,
      skipExpired: true,
      nowSeconds: Date.parse('2026-12-01T00:00:00Z') / 1000,
      compute: {
        runner: 'emr-serverless',
        workers: 4,
        executorCpu: 12,
        totalCpu: 14,
        totalMemoryGb: 55,
        billedStorageGb: 0,
      },
    });
    const text = renderPlan(plan);
    expect(text).toMatch(
      /runs\s+1 selected, 9 outside --since\/--until \(2026-11-01-00-00-00 \.\. 2026-11-01-00-00-00\)/,
    );
    // Only the kind of file the selection holds: all gzip here.
    expect(text).toContain('250 bytes per gzip line)');
    expect(text).not.toContain('plain line');
    expect(text).toMatch(/manifest writes\s+at most 16,000,000/);
    expect(text).toMatch(/write duration\s+4 h 27 min/);
    expect(text).toMatch(
      /DynamoDB cost\s+\$10\.00 on-demand .* \$2\.89 on provisioned capacity .*switching the table to provisioned/,
    );
    expect(text).toMatch(/EMR Serverless cost\s+about \$\d+\.\d\d: 4 workers, 14 vCPU and 55 GB/);
  });

  it('says what a resume leaves out, and that the figures are for the rest', () => {
    const input = {
      archive: '/data/archive',
      runsInArchive: 1,
      runs: [
        {
          runId: '2026-11-01-00-00-00',
          objects: 1,
          bytes: 1_500_000,
          compressedObjects: 0,
          compressedBytes: 0,
        },
      ],
      sample: null,
      table: {
        name: 'manifest',
        region: 'us-east-1',
        billingMode: 'PAY_PER_REQUEST' as const,
        provisionedWcu: undefined,
        ttlEnabled: false,
      },
      writeRate: 100,
      ttlSeconds: 15552000,
      skipExpired: false,
      nowSeconds: Date.parse('2026-11-02T00:00:00Z') / 1000,
      compute: { runner: 'local' as const, cores: 2 },
    };
    const text = renderPlan(buildPlan({ ...input, resume: { from: 'populator-1', keysSettled: 400 } }));
    expect(text).toMatch(
      /resumes\s+run populator-1: about 400 writes its records show done are not sent again \(its last progress: 400 keys done; the figures below are for the rest\)/,
    );
    expect(text).toMatch(/manifest writes\s+at most 600/);
    const unknown = renderPlan(buildPlan({ ...input, resume: { from: 'populator-1', keysSettled: null } }));
    expect(unknown).toMatch(
      /resumes\s+run populator-1: the keys its records show done are not sent again \(it left no progress/,
    );
    expect(renderPlan(buildPlan(input))).not.toMatch(/resumes/);
    const lookups = renderPlan(buildPlan({ ...input, skipPresent: true }));
    expect(lookups).toMatch(
      /--skip-present\s+looking up 1,000 keys first costs about \$0\.0001 \(500 read units, eventually consistent, at \$0\.125 per million\); each key found is not written: it pays off when more than 10% of them are already in the table, and saves up to \$0\.0006 when all are/,
    );
    expect(renderPlan(buildPlan(input))).not.toMatch(/--skip-present/);
  });

  it('formats durations, sizes and upload bars', () => {
    expect(duration(12)).toBe('12 s');
    expect(duration(200)).toBe('3 min 20 s');
    expect(duration(3900)).toBe('1 h 05 min');
    expect(duration(5 * 86400)).toBe('5.0 days');
    expect(bytes(1_500_000_000)).toBe('1.5 GB');
    expect(renderTransferLine('uploading', 6 * 1024 * 1024, 12 * 1024 * 1024)).toBe(
      'uploading [###############...............] 6.0/12.0 MB',
    );
  });
});

describe('a look at a run', () => {
  const snapshot: RunSnapshot = {
    runName: 'populator-2',
    runner: 'local',
    state: 'RUNNING',
    final: false,
    stateDetails: null,
    createdAt: '2026-12-01T10:00:00Z',
    startedAt: '2026-12-01T10:00:00Z',
    endedAt: null,
    queuedSeconds: null,
    progress: {
      phase: 'writing',
      written: 10,
      alreadyPresent: 0,
      conflicting: 0,
      expired: 0,
      uniqueKeys: 100,
    },
    summary: null,
    billed: null,
    dashboardUrl: null,
    logs: { stdout: null, stderr: null },
    applicationId: null,
    jobRunId: null,
  };
  const run = {
    runName: 'populator-2',
    runner: 'local',
    region: 'us-east-1',
    table: 't',
    output: '/o',
    plan: null,
  };

  it('says which run a resume goes on from', () => {
    expect(renderRunStatus(snapshot, { ...run, resumedFrom: 'populator-1' })).toMatch(
      /^resumes\s+populator-1$/m,
    );
    expect(renderRunStatus(snapshot, run)).not.toMatch(/resumes/);
    expect(renderRunStatus(snapshot, run)).toMatch(/keys done\s+10 of 100/);
  });
});
