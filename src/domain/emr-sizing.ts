/**
 * Worker sizing: how many executors, and how many vCPUs and how much memory each worker (the driver
 * and every executor) gets. EMR Serverless only runs workers whose size sits on its grid, bills
 * memory plus Spark's overhead, and a new account may use 16 vCPUs at once in total; the defaults
 * fit that quota with the driver included. Pure: the validator checks, the EMR runner passes the
 * Spark properties on.
 */

/** `--driver-memory`, `--executor-memory`: what the JVM (`-Xmx`) and Spark both take: a whole number and a unit. */
const JVM_MEMORY = /^([1-9][0-9]*)([kKmMgGtT])$/;
const UNIT_BYTES: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/**
 * Bytes of a JVM memory size (`512m`, `2g`), or null when it is not one. A bare number is refused:
 * the JVM reads it as bytes and Spark as MiB, so it never means what both agree on.
 */
export function parseJvmMemory(text: string): number | null {
  const m = JVM_MEMORY.exec(text.trim());
  if (m === null) return null;
  const [, amount = '0', unit = 'g'] = m;
  return Number(amount) * (UNIT_BYTES[unit.toLowerCase()] ?? 0);
}

/**
 * Spark refuses a heap below 1.5 x its 300 MiB reserved memory ("System memory ... must be at
 * least 471859200"): a smaller --driver-memory fails the local job after the JVM started.
 */
export const SPARK_MIN_HEAP_BYTES = 471_859_200;

/** One row of the EMR Serverless worker grid: memory in GB including the overhead. */
export interface WorkerGridRow {
  cpu: number;
  minGb: number;
  maxGb: number;
  stepGb: number;
}

/** The sizes EMR Serverless accepts per worker (FIELD-NOTES; AWS "Worker configurations"). */
export const EMR_WORKER_GRID: readonly WorkerGridRow[] = [
  { cpu: 1, minGb: 2, maxGb: 8, stepGb: 1 },
  { cpu: 2, minGb: 4, maxGb: 16, stepGb: 1 },
  { cpu: 4, minGb: 8, maxGb: 30, stepGb: 1 },
  { cpu: 8, minGb: 16, maxGb: 60, stepGb: 4 },
  { cpu: 16, minGb: 32, maxGb: 120, stepGb: 8 },
];

/** Spark adds max(10% of the heap, 384 MiB) to every worker's memory; EMR bills the sum. */
export const MEMORY_OVERHEAD_FACTOR = 0.1;
export const MIN_MEMORY_OVERHEAD_BYTES = 384 * MIB;
/** Ephemeral storage per worker when none is asked for (EMR Serverless' default). */
export const WORKER_DISK_GB = 20;
/** The concurrent vCPU quota of a new account (Service Quotas `L-D05C8A75`). */
export const NEW_ACCOUNT_VCPU_QUOTA = 16;
export const EMR_VCPU_QUOTA = { serviceCode: 'emr-serverless', quotaCode: 'L-D05C8A75' } as const;

/**
 * The default sizing: 2 + 3 x 4 = 14 vCPUs, inside a new account's 16 with the driver included;
 * executors at EMR's own 14g (16 GB workers), a driver at 6g (7 GB: the driver holds the list of
 * every file in the selection).
 */
export const DEFAULT_EMR_SIZING = {
  driverCpu: 2,
  driverMemory: '6g',
  executors: 3,
  executorCpu: 4,
  executorMemory: '14g',
} as const;

/** The local runner's JVM heap when --driver-memory is not given. */
export const DEFAULT_LOCAL_DRIVER_MEMORY = '2g';

/** The sizing flags as given; absent ones take the defaults. */
export interface SizingInput {
  executors?: number;
  executorCpu?: number;
  executorMemory?: string;
  driverCpu?: number;
  driverMemory?: string;
}

export type SizingField = keyof SizingInput;

/** One worker's size. */
export interface WorkerSize {
  cpu: number;
  /** The Spark memory string (`14g`), as given or defaulted. */
  memory: string;
  /** EMR worker memory in GB, overhead included and rounded up to the grid. */
  workerMemoryGb: number;
}

export interface EmrSizing {
  driver: WorkerSize;
  executors: number;
  executor: WorkerSize;
  /** Driver plus executors: what counts against the application's maximum and the account's quota. */
  totalCpu: number;
  totalMemoryGb: number;
  totalDiskGb: number;
}

/** A sizing flag whose value cannot be used, with the fix. */
export interface SizingProblem {
  field: SizingField;
  message: string;
  hint: string;
}

export type SizingResult = { ok: true; sizing: EmrSizing } | { ok: false; problems: SizingProblem[] };

const FLAG: Record<SizingField, string> = {
  executors: '--executors',
  executorCpu: '--executor-cpu',
  executorMemory: '--executor-memory',
  driverCpu: '--driver-cpu',
  driverMemory: '--driver-memory',
};

/** The flag a sizing field is given with. */
export function sizingFlag(field: SizingField): string {
  return FLAG[field];
}

/** Worker memory in GB for a heap: heap + overhead, rounded up to a whole GB, then to the row's minimum or step. */
export function workerMemoryGb(row: WorkerGridRow, heapBytes: number): number {
  const total = heapBytes + Math.max(heapBytes * MEMORY_OVERHEAD_FACTOR, MIN_MEMORY_OVERHEAD_BYTES);
  const gb = Math.ceil(total / GIB - 1e-9);
  // A smaller worker is billed (and run) at the row's minimum.
  if (gb <= row.minGb) return row.minGb;
  return row.minGb + Math.ceil((gb - row.minGb) / row.stepGb) * row.stepGb;
}

/** The largest whole-GB heap (`Ng`) a worker of `row.cpu` vCPUs takes with Spark's overhead. */
export function maxHeapGb(row: WorkerGridRow): number {
  let max = 0;
  for (let g = 1; g <= row.maxGb; g++) if (workerMemoryGb(row, g * GIB) <= row.maxGb) max = g;
  return max;
}

const CPU_CHOICES = EMR_WORKER_GRID.map((r) => r.cpu).join(', ');

function worker(
  cpuField: SizingField,
  cpu: number,
  memoryField: SizingField,
  memory: string,
  problems: SizingProblem[],
): WorkerSize | undefined {
  const row = EMR_WORKER_GRID.find((r) => r.cpu === cpu);
  if (row === undefined) {
    problems.push({
      field: cpuField,
      message: `${FLAG[cpuField]} ${cpu} is not a worker size EMR Serverless offers`,
      hint: `Give ${FLAG[cpuField]} one of ${CPU_CHOICES}.`,
    });
  }
  const heap = parseJvmMemory(memory);
  if (heap === null) {
    problems.push({
      field: memoryField,
      message: `${FLAG[memoryField]} ${JSON.stringify(memory)} is not a memory size the JVM takes`,
      hint: `Write a whole number and a unit k, m, g or t, e.g. ${FLAG[memoryField]} ${memoryField === 'driverMemory' ? DEFAULT_EMR_SIZING.driverMemory : DEFAULT_EMR_SIZING.executorMemory}.`,
    });
  }
  if (row === undefined || heap === null) return undefined;
  const gb = workerMemoryGb(row, heap);
  if (gb > row.maxGb) {
    problems.push({
      field: memoryField,
      message: `${FLAG[memoryField]} ${memory} makes a ${cpu} vCPU worker of ${gb} GB with Spark's overhead, more than the ${row.maxGb} GB EMR Serverless allows for ${cpu} vCPU`,
      hint: `Give ${FLAG[memoryField]} ${maxHeapGb(row)}g or less for ${cpu} vCPU, or more ${FLAG[cpuField]}.`,
    });
    return undefined;
  }
  return { cpu, memory, workerMemoryGb: gb };
}

/** The sizing the flags ask for, defaults filled in, or every value that is off the grid. */
export function resolveEmrSizing(input: SizingInput): SizingResult {
  const problems: SizingProblem[] = [];
  const executors = input.executors ?? DEFAULT_EMR_SIZING.executors;
  if (!Number.isInteger(executors) || executors < 1) {
    problems.push({
      field: 'executors',
      message: `--executors ${executors} must be at least 1`,
      hint: `Give --executors 1 or more (default ${DEFAULT_EMR_SIZING.executors}).`,
    });
  }
  const driver = worker(
    'driverCpu',
    input.driverCpu ?? DEFAULT_EMR_SIZING.driverCpu,
    'driverMemory',
    input.driverMemory ?? DEFAULT_EMR_SIZING.driverMemory,
    problems,
  );
  const executor = worker(
    'executorCpu',
    input.executorCpu ?? DEFAULT_EMR_SIZING.executorCpu,
    'executorMemory',
    input.executorMemory ?? DEFAULT_EMR_SIZING.executorMemory,
    problems,
  );
  if (problems.length > 0 || driver === undefined || executor === undefined) return { ok: false, problems };
  return {
    ok: true,
    sizing: {
      driver,
      executors,
      executor,
      totalCpu: driver.cpu + executors * executor.cpu,
      totalMemoryGb: driver.workerMemoryGb + executors * executor.workerMemoryGb,
      totalDiskGb: (1 + executors) * WORKER_DISK_GB,
    },
  };
}

/** The problem with the local runner's heap, or null when Spark can start with it. */
export function localDriverMemoryProblem(memory: string): Omit<SizingProblem, 'field'> | null {
  const heap = parseJvmMemory(memory);
  if (heap === null) {
    return {
      message: `--driver-memory ${JSON.stringify(memory)} is not a memory size the JVM takes`,
      hint: `Write a whole number and a unit k, m, g or t, e.g. --driver-memory ${DEFAULT_LOCAL_DRIVER_MEMORY}.`,
    };
  }
  if (heap < SPARK_MIN_HEAP_BYTES) {
    return {
      message: `--driver-memory ${memory} is below the 450m Spark needs to start (1.5 x its 300 MB reserved memory)`,
      hint: `Give at least --driver-memory 512m (default ${DEFAULT_LOCAL_DRIVER_MEMORY}).`,
    };
  }
  return null;
}

/**
 * The Spark properties that pin the sizing on EMR Serverless. Dynamic allocation is off: the write
 * budget is split over the writers that are there, and executors coming and going would change
 * that number under the rate limiter's feet.
 */
export function sizingSparkConf(s: EmrSizing): Record<string, string> {
  return {
    'spark.driver.cores': String(s.driver.cpu),
    'spark.driver.memory': s.driver.memory,
    'spark.executor.cores': String(s.executor.cpu),
    'spark.executor.memory': s.executor.memory,
    'spark.executor.instances': String(s.executors),
    'spark.dynamicAllocation.enabled': 'false',
  };
}

/** EMR Serverless capacity strings: `"400 vCPU"`, `"3000 GB"`, `"16vCPU"`; null when unreadable. */
export function parseCapacity(text: string | undefined, unit: 'vCPU' | 'GB'): number | null {
  if (text === undefined) return null;
  const m = new RegExp(`^\\s*(\\d+(?:\\.\\d+)?)\\s*${unit}\\s*$`, 'i').exec(text);
  return m?.[1] === undefined ? null : Number(m[1]);
}
