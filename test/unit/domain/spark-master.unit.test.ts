import { describe, expect, it } from 'vitest';
import {
  isLocalCluster,
  localRunnerMaster,
  masterCores,
  parseSparkMaster,
} from '../../../src/domain/spark-master.js';

describe('the local runner’s Spark masters', () => {
  it('parses local[N,F], local[*] and local-cluster[N,C,M]', () => {
    expect(parseSparkMaster('local[*,4]')).toEqual({ kind: 'local', cores: '*' });
    expect(parseSparkMaster('local[2]')).toEqual({ kind: 'local', cores: 2 });
    expect(parseSparkMaster('local')).toEqual({ kind: 'local', cores: 1 });
    expect(parseSparkMaster('local-cluster[2, 1, 1024]')).toEqual({
      kind: 'cluster',
      executors: 2,
      coresPerExecutor: 1,
      memoryMiB: 1024,
    });
    expect(parseSparkMaster('yarn')).toBeUndefined();
    expect(isLocalCluster('local-cluster[3,2,2048]')).toBe(true);
    expect(isLocalCluster('local[*,4]')).toBe(false);
  });

  it('counts the cores tasks run on: executors x cores for a local cluster', () => {
    expect(masterCores('local-cluster[3,2,1024]', 8)).toBe(6);
    expect(masterCores('local[*,4]', 8)).toBe(8);
    expect(masterCores('local[2,4]', 8)).toBe(2);
  });

  it('--executors N makes a local cluster of 1-core, 1 GiB executors unless told otherwise', () => {
    expect(localRunnerMaster('local[*,4]', {})).toEqual({ ok: true, master: 'local[*,4]' });
    expect(localRunnerMaster('local[*,4]', { executors: 2 })).toEqual({
      ok: true,
      master: 'local-cluster[2,1,1024]',
    });
    expect(
      localRunnerMaster('local[*,4]', { executors: 3, executorCpu: 2, executorMemory: '1536m' }),
    ).toEqual({
      ok: true,
      master: 'local-cluster[3,2,1536]',
    });
  });

  it('refuses a local cluster that cannot start, naming the flag', () => {
    expect(localRunnerMaster('local[*]', { executors: 0 })).toMatchObject({ ok: false, flag: '--executors' });
    expect(localRunnerMaster('local[*]', { executors: 17 })).toMatchObject({
      ok: false,
      flag: '--executors',
    });
    expect(localRunnerMaster('local[*]', { executors: 2, executorCpu: 0 })).toMatchObject({
      ok: false,
      flag: '--executor-cpu',
    });
    expect(localRunnerMaster('local[*]', { executors: 2, executorMemory: '256m' })).toMatchObject({
      ok: false,
      flag: '--executor-memory',
    });
    expect(localRunnerMaster('local[*]', { executors: 2, executorMemory: '2 GB' })).toMatchObject({
      ok: false,
      flag: '--executor-memory',
    });
  });
});
