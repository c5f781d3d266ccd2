/**
 * What a job run's workers are and what they cost, as EMR Serverless computes it (pure).
 *
 * A Spark job run is one driver worker plus its executor workers. A worker's vCPU is
 * `spark.{driver,executor}.cores` (default 4); its memory is the Spark memory plus its overhead
 * (`memoryOverhead`, else `memoryOverheadFactor` 0.1 of the memory, at least 384 MB), rounded up to
 * the worker grid of that vCPU (default 14g -> 15.4 GB -> a 16 GB worker); its disk is
 * `spark.emr-serverless.{driver,executor}.disk` (default 20 GB, which is free). The executors are
 * `spark.executor.instances`, else `spark.dynamicAllocation.initialExecutors`, else 3.
 *
 * billedResourceUtilization counts every worker for at least one minute and the storage beyond the
 * free 20 GB per worker; totalResourceUtilization is the plain use (wall time, all storage).
 */

export interface WorkerSize {
  vCpu: number;
  memoryGb: number;
  diskGb: number;
}

export interface JobSizing {
  driver: WorkerSize;
  executor: WorkerSize;
  executors: number;
}

export interface ResourceUtilization {
  vCPUHour: number;
  memoryGBHour: number;
  storageGBHour: number;
}

export const DEFAULT_CORES = 4;
export const DEFAULT_MEMORY = '14g';
export const DEFAULT_EXECUTORS = 3;
export const DEFAULT_DISK_GB = 20;
/** Storage per worker that is not billed. */
export const FREE_DISK_GB = 20;
export const MAX_DISK_GB = 200;
/** Every worker is billed for at least this long. */
export const MINIMUM_BILLED_SECONDS = 60;
const OVERHEAD_FACTOR = 0.1;
const MIN_OVERHEAD_MIB = 384;

/** Memory range and step (GB) of a worker, per vCPU count. */
export const WORKER_GRID: Readonly<Record<number, { min: number; max: number; step: number }>> = {
  1: { min: 2, max: 8, step: 1 },
  2: { min: 4, max: 16, step: 1 },
  4: { min: 8, max: 30, step: 1 },
  8: { min: 16, max: 60, step: 4 },
  16: { min: 32, max: 120, step: 8 },
};

/** Parses a JVM-style size (`14g`, `2048m`, `1t`, `512k`, plain number = `defaultUnit`) into MiB. */
export function parseSizeMiB(text: string, defaultUnit: 'm' | 'g' = 'm'): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])?b?\s*$/i.exec(text);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? defaultUnit).toLowerCase();
  const factor = unit === 'k' ? 1 / 1024 : unit === 'm' ? 1 : unit === 'g' ? 1024 : 1024 * 1024;
  return n * factor;
}

type Role = 'driver' | 'executor';

function workerSize(conf: Readonly<Record<string, string>>, role: Role): WorkerSize | string {
  const coresKey = `spark.${role}.cores`;
  const cores = Number(conf[coresKey] ?? DEFAULT_CORES);
  const grid = WORKER_GRID[cores];
  if (grid === undefined) {
    return `${coresKey}=${conf[coresKey]} is not a supported worker size: use 1, 2, 4, 8 or 16 vCPU`;
  }
  const memoryKey = `spark.${role}.memory`;
  const memoryMiB = parseSizeMiB(conf[memoryKey] ?? DEFAULT_MEMORY);
  if (memoryMiB === undefined) return `${memoryKey}=${conf[memoryKey]} is not a memory size (e.g. 14g)`;
  const overheadKey = `spark.${role}.memoryOverhead`;
  const factorKey = `spark.${role}.memoryOverheadFactor`;
  let overheadMiB: number;
  if (conf[overheadKey] !== undefined) {
    const parsed = parseSizeMiB(conf[overheadKey]);
    if (parsed === undefined) return `${overheadKey}=${conf[overheadKey]} is not a memory size`;
    overheadMiB = parsed;
  } else {
    const factor = Number(conf[factorKey] ?? OVERHEAD_FACTOR);
    if (!Number.isFinite(factor) || factor < 0) return `${factorKey}=${conf[factorKey]} is not a factor`;
    overheadMiB = Math.max(MIN_OVERHEAD_MIB, memoryMiB * factor);
  }
  const neededGb = Math.ceil((memoryMiB + overheadMiB) / 1024 - 1e-9);
  const onGrid = Math.max(grid.min, Math.ceil(neededGb / grid.step) * grid.step);
  if (onGrid > grid.max) {
    return (
      `${memoryKey}=${conf[memoryKey] ?? DEFAULT_MEMORY} plus its overhead needs ${neededGb} GB, ` +
      `more than the ${grid.max} GB a ${cores} vCPU worker can have`
    );
  }
  const diskKey = `spark.emr-serverless.${role}.disk`;
  let diskGb = DEFAULT_DISK_GB;
  if (conf[diskKey] !== undefined) {
    const mib = parseSizeMiB(conf[diskKey], 'g');
    if (mib === undefined || mib / 1024 < FREE_DISK_GB || mib / 1024 > MAX_DISK_GB) {
      return `${diskKey}=${conf[diskKey]} must be between ${FREE_DISK_GB}G and ${MAX_DISK_GB}G`;
    }
    diskGb = Math.ceil(mib / 1024);
  }
  return { vCpu: cores, memoryGb: onGrid, diskGb };
}

/** The job's workers from its Spark properties, or the reason EMR Serverless would refuse them. */
export function jobSizing(
  conf: Readonly<Record<string, string>>,
): { ok: true; sizing: JobSizing } | { ok: false; problem: string } {
  const driver = workerSize(conf, 'driver');
  if (typeof driver === 'string') return { ok: false, problem: driver };
  const executor = workerSize(conf, 'executor');
  if (typeof executor === 'string') return { ok: false, problem: executor };
  const raw =
    conf['spark.executor.instances'] ??
    conf['spark.dynamicAllocation.initialExecutors'] ??
    String(DEFAULT_EXECUTORS);
  const executors = Number(raw);
  if (!Number.isInteger(executors) || executors < 0) {
    return { ok: false, problem: `spark.executor.instances=${raw} is not a number of executors` };
  }
  return { ok: true, sizing: { driver, executor, executors } };
}

/** Total vCPU of the job's workers (what counts against the account's concurrent vCPU quota). */
export function jobVcpus(s: JobSizing): number {
  return s.driver.vCpu + s.executors * s.executor.vCpu;
}

/** Rounds as the service reports utilization (three decimals). */
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Billed and total utilization of a run whose workers ran for `runMs` (0 if it never ran). */
export function resourceUtilization(
  s: JobSizing,
  runMs: number,
): { billed: ResourceUtilization; total: ResourceUtilization } {
  const workers: WorkerSize[] = [s.driver, ...Array.from({ length: s.executors }, () => s.executor)];
  const seconds = Math.max(0, runMs) / 1000;
  const billedSeconds = runMs > 0 ? Math.max(MINIMUM_BILLED_SECONDS, seconds) : 0;
  const sum = (f: (w: WorkerSize) => number, secs: number): number =>
    round3(workers.reduce((acc, w) => acc + (f(w) * secs) / 3600, 0));
  return {
    billed: {
      vCPUHour: sum((w) => w.vCpu, billedSeconds),
      memoryGBHour: sum((w) => w.memoryGb, billedSeconds),
      storageGBHour: sum((w) => Math.max(0, w.diskGb - FREE_DISK_GB), billedSeconds),
    },
    total: {
      vCPUHour: sum((w) => w.vCpu, seconds),
      memoryGBHour: sum((w) => w.memoryGb, seconds),
      storageGBHour: sum((w) => w.diskGb, seconds),
    },
  };
}
