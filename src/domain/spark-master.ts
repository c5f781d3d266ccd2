/**
 * The local runner's Spark masters (pure): `local[N,F]` runs every task in one JVM; `local-cluster[N,C,M]`
 * starts N executor JVMs of C cores and M MiB each, as a cluster (EMR Serverless) does, so that
 * what crosses from the driver to the executors really is serialized.
 */
import { parseJvmMemory } from './emr-sizing.js';

/**
 * The local runner's Spark master (the `--master` default): every core, and up to 4 attempts per
 * task. Plain `local[N]` gives a task one attempt (spark.task.maxFailures does not apply in local
 * mode), so one dropped S3 connection or one failed write would end a multi-hour job although the
 * reader and the writer rely on Spark retrying the task.
 */
export const DEFAULT_LOCAL_MASTER = 'local[*,4]';

export type SparkMaster =
  | { kind: 'local'; cores: number | '*' }
  | { kind: 'cluster'; executors: number; coresPerExecutor: number; memoryMiB: number };

/** Executor JVMs of a local cluster: each is a real process with its own heap. */
export const MAX_LOCAL_EXECUTORS = 16;
/** An executor's heap when `--executor-memory` is not given to the local runner. */
export const DEFAULT_LOCAL_EXECUTOR_MEMORY_MIB = 1024;
/** Spark's executors need a few hundred MiB of their own before the job's first record. */
export const MIN_LOCAL_EXECUTOR_MEMORY_MIB = 512;

/** Parses a master the local runner can run, or undefined. */
export function parseSparkMaster(master: string): SparkMaster | undefined {
  const cluster = /^local-cluster\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]$/.exec(master);
  if (cluster) {
    return {
      kind: 'cluster',
      executors: Number(cluster[1]),
      coresPerExecutor: Number(cluster[2]),
      memoryMiB: Number(cluster[3]),
    };
  }
  const local = /^local(?:\[\s*(\d+|\*)\s*(?:,\s*\d+\s*)?\])?$/.exec(master);
  if (local)
    return { kind: 'local', cores: local[1] === undefined ? 1 : local[1] === '*' ? '*' : Number(local[1]) };
  return undefined;
}

/** `local-cluster[N,C,M]`. */
export function localClusterMaster(executors: number, coresPerExecutor: number, memoryMiB: number): string {
  return `local-cluster[${executors},${coresPerExecutor},${memoryMiB}]`;
}

/** True when the master starts executor JVMs of their own. */
export function isLocalCluster(master: string): boolean {
  return parseSparkMaster(master)?.kind === 'cluster';
}

/** The cores the job's tasks run on under `master` (`*` is this machine's `machineCores`). */
export function masterCores(master: string, machineCores: number): number {
  const m = parseSparkMaster(master);
  if (m === undefined) return machineCores;
  if (m.kind === 'cluster') return m.executors * m.coresPerExecutor;
  return m.cores === '*' ? machineCores : m.cores;
}

/** What is wrong with a local cluster's shape, and the flag that sets it; null when it can start. */
function localClusterProblem(
  executors: number,
  coresPerExecutor: number,
  memoryMiB: number,
): { flag: string; problem: string } | null {
  if (!Number.isInteger(executors) || executors < 1 || executors > MAX_LOCAL_EXECUTORS)
    return {
      flag: '--executors',
      problem: `${executors} executors: the local runner starts 1 to ${MAX_LOCAL_EXECUTORS} executor JVMs`,
    };
  if (!Number.isInteger(coresPerExecutor) || coresPerExecutor < 1)
    return { flag: '--executor-cpu', problem: `${coresPerExecutor} cores per executor: give at least 1` };
  if (!Number.isInteger(memoryMiB) || memoryMiB < MIN_LOCAL_EXECUTOR_MEMORY_MIB)
    return {
      flag: '--executor-memory',
      problem: `${memoryMiB} MiB per executor: an executor JVM needs at least ${MIN_LOCAL_EXECUTOR_MEMORY_MIB} MiB`,
    };
  return null;
}

/** The local runner's cluster flags (`--executors`, `--executor-cpu`, `--executor-memory`). */
export interface LocalClusterInput {
  executors?: number;
  executorCpu?: number;
  executorMemory?: string;
}

/**
 * The master the local runner uses: `local-cluster[N,C,M]` when `--executors N` is given (C from
 * `--executor-cpu`, default 1; M from `--executor-memory`, default 1024 MiB), else `master`.
 */
export function localRunnerMaster(
  master: string,
  input: LocalClusterInput,
): { ok: true; master: string } | { ok: false; flag: string; problem: string } {
  if (input.executors === undefined) return { ok: true, master };
  const cores = input.executorCpu ?? 1;
  let memoryMiB = DEFAULT_LOCAL_EXECUTOR_MEMORY_MIB;
  if (input.executorMemory !== undefined) {
    const bytes = parseJvmMemory(input.executorMemory);
    if (bytes === null)
      return {
        ok: false,
        flag: '--executor-memory',
        problem: `--executor-memory ${JSON.stringify(input.executorMemory)} is not a memory size the JVM takes (e.g. 1g, 1536m)`,
      };
    memoryMiB = Math.floor(bytes / 1024 ** 2);
  }
  const problem = localClusterProblem(input.executors, cores, memoryMiB);
  if (problem !== null) return { ok: false, ...problem };
  return { ok: true, master: localClusterMaster(input.executors, cores, memoryMiB) };
}
