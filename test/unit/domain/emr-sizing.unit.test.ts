import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EMR_SIZING,
  EMR_WORKER_GRID,
  NEW_ACCOUNT_VCPU_QUOTA,
  maxHeapGb,
  localDriverMemoryProblem,
  parseCapacity,
  parseJvmMemory,
  resolveEmrSizing,
  sizingSparkConf,
  workerMemoryGb,
} from '../../../src/domain/emr-sizing.js';

const GIB = 1024 ** 3;

describe('parseJvmMemory', () => {
  it('reads what -Xmx and spark.*.memory both take', () => {
    expect(parseJvmMemory('512m')).toBe(512 * 1024 ** 2);
    expect(parseJvmMemory('2g')).toBe(2 * GIB);
    expect(parseJvmMemory('2G')).toBe(2 * GIB);
    expect(parseJvmMemory('1t')).toBe(1024 * GIB);
  });
  it('refuses anything else, a bare number included (bytes to the JVM, MiB to Spark)', () => {
    for (const bad of ['lots', '2', '2gb', '0g', '1.5g', '', '-1g', '2 g'])
      expect(parseJvmMemory(bad)).toBeNull();
  });
});

describe('worker memory on the grid', () => {
  const row = (cpu: number) => EMR_WORKER_GRID.find((r) => r.cpu === cpu)!;
  it('adds the overhead (10%, at least 384 MiB) and rounds up to the row step', () => {
    expect(workerMemoryGb(row(4), 14 * GIB)).toBe(16); // 15.4 -> 16, EMR's default worker
    expect(workerMemoryGb(row(1), 2 * GIB)).toBe(3); // 2 + 384 MiB
    expect(workerMemoryGb(row(8), 20 * GIB)).toBe(24); // 22 -> next 4 GB step from 16
    expect(workerMemoryGb(row(16), 40 * GIB)).toBe(48); // 44 -> next 8 GB step from 32
  });
  it('bills a smaller worker at the row minimum, and knows the largest heap of each row', () => {
    expect(workerMemoryGb(row(4), 2 * GIB)).toBe(8);
    expect(maxHeapGb(row(4))).toBe(27);
    expect(maxHeapGb(row(1))).toBe(7);
  });
});

describe('resolveEmrSizing', () => {
  it('defaults to 2 + 3 x 4 vCPU: inside a new account quota with the driver, executors pinned', () => {
    const r = resolveEmrSizing({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.sizing.totalCpu).toBe(14);
    expect(r.sizing.totalCpu).toBeLessThanOrEqual(NEW_ACCOUNT_VCPU_QUOTA);
    expect(r.sizing.executors).toBe(DEFAULT_EMR_SIZING.executors);
    expect(r.sizing.totalMemoryGb).toBe(7 + 3 * 16);
    expect(sizingSparkConf(r.sizing)).toMatchObject({
      'spark.executor.instances': '3',
      'spark.executor.cores': '4',
      'spark.driver.cores': '2',
      'spark.dynamicAllocation.enabled': 'false',
    });
  });
  it('reports every value off the grid at once, each with the range that fits', () => {
    const r = resolveEmrSizing({
      executors: 0,
      executorCpu: 3,
      driverMemory: 'lots',
      driverCpu: 4,
      executorMemory: '2g',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.problems.map((p) => p.field).sort();
    expect(fields).toEqual(['driverMemory', 'executorCpu', 'executors']);
    expect(r.problems.find((p) => p.field === 'executorCpu')?.hint).toContain('1, 2, 4, 8, 16');
    const tooBig = resolveEmrSizing({ executorCpu: 4, executorMemory: '28g' });
    expect(tooBig.ok).toBe(false);
    if (!tooBig.ok) expect(tooBig.problems[0]?.hint).toContain('--executor-memory 27g or less');
  });
});

describe('the local heap', () => {
  it('must be JVM syntax and at least what Spark starts with', () => {
    expect(localDriverMemoryProblem('2g')).toBeNull();
    expect(localDriverMemoryProblem('lots')?.message).toContain('not a memory size');
    expect(localDriverMemoryProblem('256m')?.message).toContain('450m');
  });
});

describe('parseCapacity', () => {
  it('reads the capacity strings of EMR Serverless', () => {
    expect(parseCapacity('400 vCPU', 'vCPU')).toBe(400);
    expect(parseCapacity('16vCPU', 'vCPU')).toBe(16);
    expect(parseCapacity('3000 GB', 'GB')).toBe(3000);
    expect(parseCapacity('lots', 'GB')).toBeNull();
    expect(parseCapacity(undefined, 'GB')).toBeNull();
  });
});
