/**
 * Runs one job run for real, as EMR Serverless's Spark driver would: fetches the entry point (and
 * `--jars`) from S3, starts the jar on the local runner (Spark `local[N]` sized from the executors,
 * s3:// served by S3A against the S3 endpoint, the execution role's credentials in the JVM's
 * environment only), and re-uploads the driver's stdout and stderr, gzipped, under the log URI
 * while it runs and once more at the end.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchLocalJob } from '../../../src/local/spark-launcher.js';
import type { SparkHome } from '../../../src/local/spark-home.js';
import type { Toolchain } from '../../../src/local/toolchain.js';
import { isLocalCluster, localClusterMaster, parseSparkMaster } from '../../../src/domain/spark-master.js';
import { DEFAULT_SPARK_FAMILY, familyOfRelease, type SparkFamily } from '../../../src/domain/spark-family.js';
import { parseS3Uri } from './rules.js';
import type { EmulatorS3 } from './s3.js';
import type { JobSizing } from './sizing.js';
import type { SparkSubmitConfig } from './spark-submit.js';

/** What the emulator gives every job run (built once per emulator). */
export interface JobProcessContext {
  toolchain: () => Promise<Toolchain>;
  /** The local Spark classpath (with S3A) of the Spark family a job run's release runs. */
  classpath: (family: SparkFamily) => Promise<string[]>;
  s3: EmulatorS3;
  /** How the job's S3A reaches S3 (no credentials here: they are in `jvmEnv`). */
  s3Access: { endpoint: string; region: string };
  /** The JVM's environment: the execution role's credentials, AWS_REGION, the job environment. */
  jvmEnv: Readonly<Record<string, string>>;
  workDir: string;
  /** Heap of the driver JVM (the job's own spark.driver.memory is for billing, not this machine). */
  driverMemory: string;
  /** Upper bound of N in local[N] (this machine's cores, not the emulated workers'). */
  maxLocalCores: number;
  /**
   * Executor JVMs a job run gets at most (its `spark.executor.instances`, scaled down to this
   * machine), each of at most `executorMemoryMiB`: a local cluster, so that what crosses from the
   * driver to the executors is serialized as on EMR Serverless. 0: one JVM (`local[N]`).
   */
  maxExecutors: number;
  executorMemoryMiB: number;
  /** The Spark home the executor JVMs start from (needed when `maxExecutors` > 0). */
  sparkHome: (classpath: readonly string[], family: SparkFamily) => SparkHome;
  logUploadIntervalMs: number;
  log: (line: string) => void;
  /** Told the JVM's pid when it starts and `undefined` when it is gone. */
  onJvm: (pid: number | undefined) => void;
}

export interface JobSpec {
  applicationId: string;
  jobRunId: string;
  entryPoint: string;
  entryPointArguments: readonly string[];
  submit: SparkSubmitConfig;
  sizing: JobSizing;
  /** The application's release label: emr-7.x runs on local Spark 3.5, emr-spark-8.x on Spark 4.0. */
  releaseLabel: string;
  /** `s3://...` log URI, if the run (or its application) has one. */
  logUri?: string;
}

export type JobOutcome =
  | { kind: 'exited'; exitCode: number | null; signal: NodeJS.Signals | null; reason?: string }
  /** Failed before the JVM ran its main class (entry point missing, bad parameters). */
  | { kind: 'not-started'; reason: string };

/** Spark properties the emulated service owns: not passed to the local JVM. */
function isManagedProperty(key: string): boolean {
  return (
    [
      'spark.master',
      'spark.submit.deployMode',
      'spark.driver.memory',
      'spark.driver.host',
      'spark.driver.bindAddress',
      'spark.ui.enabled',
      'spark.jars',
    ].includes(key) ||
    key.startsWith('spark.emr-serverless.') ||
    key.startsWith('spark.executorEnv.')
  );
}

/** Environment variables the job asks for (`spark.emr-serverless.driverEnv.*`, `spark.executorEnv.*`). */
export function jobEnvFromConf(conf: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  // Executors share the driver's JVM in local mode; the driver's own setting wins.
  for (const [k, v] of Object.entries(conf)) if (k.startsWith('spark.executorEnv.')) env[k.slice(18)] = v;
  for (const [k, v] of Object.entries(conf)) {
    if (k.startsWith('spark.emr-serverless.driverEnv.')) env[k.slice(31)] = v;
  }
  return env;
}

/** `local[N,F]`: N from the executors (at most `maxCores`), F task attempts as on a cluster. */
export function localMaster(
  sizing: JobSizing,
  conf: Readonly<Record<string, string>>,
  maxCores: number,
): string {
  const cores = Math.max(1, Math.min(maxCores, sizing.executors * sizing.executor.vCpu));
  const attempts = Number(conf['spark.task.maxFailures'] ?? 4);
  return `local[${cores},${Number.isInteger(attempts) && attempts > 0 ? attempts : 4}]`;
}

/**
 * The job run's executors scaled down to this machine: `local-cluster[N,C,M]` with N the run's
 * executors (at most `maxExecutors`), C this machine's cores shared between them (at most the
 * executor's vCPU), M the executor's memory (at most `memoryMiB`); `local[N,F]` for a run of no
 * executors or when `maxExecutors` is 0.
 */
export function jobMaster(
  sizing: JobSizing,
  conf: Readonly<Record<string, string>>,
  limits: { maxCores: number; maxExecutors: number; memoryMiB: number },
): string {
  const executors = Math.min(sizing.executors, limits.maxExecutors);
  if (executors < 1) return localMaster(sizing, conf, limits.maxCores);
  const cores = Math.max(1, Math.min(sizing.executor.vCpu, Math.floor(limits.maxCores / executors)));
  const memory = Math.min(limits.memoryMiB, sizing.executor.memoryGb * 1024);
  return localClusterMaster(executors, cores, memory);
}

/**
 * The job's own reason for failing, from its stderr: the last line of this project's job
 * (`populator: ...`), else the last exception line, else the last line.
 */
export function failureReason(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const last = (p: (l: string) => boolean): string | undefined => [...lines].reverse().find(p);
  return (
    last((l) => l.startsWith('populator: ')) ??
    last((l) =>
      /^(Exception in thread |Caused by: |Error: )|^[\w$.]+(Exception|Error)(: |$)/.test(l.trim()),
    )?.trim() ??
    lines[lines.length - 1]
  );
}

/** Where EMR Serverless puts a job run's driver logs under a log URI. */
export function driverLogKeys(
  logUri: string,
  applicationId: string,
  jobRunId: string,
): { bucket: string; stdout: string; stderr: string } | undefined {
  const loc = parseS3Uri(logUri);
  if (loc === undefined) return undefined;
  const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
  const base = `${prefix}applications/${applicationId}/jobs/${jobRunId}/SPARK_DRIVER/`;
  return { bucket: loc.bucket, stdout: `${base}stdout.gz`, stderr: `${base}stderr.gz` };
}

/** The local file the emulator keeps a job run's driver stream in (the dashboard reads it). */
export function driverLogFile(
  workDir: string,
  applicationId: string,
  jobRunId: string,
  stream: 'stdout' | 'stderr',
): string {
  return path.join(workDir, applicationId, jobRunId, stream);
}

class DriverLogs {
  private readonly files: { stdout: string; stderr: string };
  private uploaded = { stdout: -1, stderr: -1 };
  private written = { stdout: 0, stderr: 0 };
  private chain: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    private readonly target: ReturnType<typeof driverLogKeys>,
    private readonly s3: EmulatorS3,
    private readonly log: (line: string) => void,
  ) {
    this.files = { stdout: path.join(dir, 'stdout'), stderr: path.join(dir, 'stderr') };
    // Keep in step with driverLogFile().
    writeFileSync(this.files.stdout, '');
    writeFileSync(this.files.stderr, '');
  }

  append(stream: 'stdout' | 'stderr', chunk: string): void {
    appendFileSync(this.files[stream], chunk);
    this.written[stream] += chunk.length;
  }

  text(stream: 'stdout' | 'stderr'): string {
    return readFileSync(this.files[stream], 'utf8');
  }

  /** Re-uploads what changed since the last upload (both streams the first time); never overlaps. */
  upload(): Promise<void> {
    const target = this.target;
    if (target === undefined) return this.chain;
    this.chain = this.chain.then(async () => {
      for (const stream of ['stdout', 'stderr'] as const) {
        const size = this.written[stream];
        if (size === this.uploaded[stream]) continue;
        try {
          const body = gzipSync(readFileSync(this.files[stream]));
          await this.s3.put(target.bucket, target[stream], body, 'application/gzip');
          this.uploaded[stream] = size;
        } catch (e) {
          // EMR goes on running a job whose logs cannot be written; so does the emulator.
          this.log(`cannot upload s3://${target.bucket}/${target[stream]}: ${(e as Error).message}`);
        }
      }
    });
    return this.chain;
  }
}

async function fetchFromS3(
  s3: EmulatorS3,
  uri: string,
  file: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const loc = parseS3Uri(uri);
  if (loc === undefined || loc.key === '' || loc.key.endsWith('/')) {
    return { ok: false, reason: `java.io.FileNotFoundException: File ${uri} does not exist` };
  }
  try {
    await s3.download(loc.bucket, loc.key, file);
    return { ok: true };
  } catch (e) {
    const name = (e as { name?: string }).name ?? '';
    if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket') {
      return { ok: false, reason: `java.io.FileNotFoundException: No such file or directory: ${uri}` };
    }
    if (name === 'AccessDenied') {
      return {
        ok: false,
        reason: `java.nio.file.AccessDeniedException: ${uri}: getFileStatus on ${uri}: ${String(e)}`,
      };
    }
    return { ok: false, reason: `java.io.IOException: cannot read ${uri}: ${(e as Error).message}` };
  }
}

/**
 * Runs the job run to its end, or until `signal` aborts it (the JVM gets SIGTERM; the caller, told
 * its pid through `onJvm`, sends SIGKILL when the grace period is over).
 */
export async function runJobProcess(
  spec: JobSpec,
  ctx: JobProcessContext,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const dir = path.join(ctx.workDir, spec.applicationId, spec.jobRunId);
  mkdirSync(path.join(dir, 'jars'), { recursive: true });
  const target =
    spec.logUri === undefined ? undefined : driverLogKeys(spec.logUri, spec.applicationId, spec.jobRunId);
  const logs = new DriverLogs(dir, target, ctx.s3, ctx.log);
  const notStarted = async (reason: string): Promise<JobOutcome> => {
    // spark-submit prints it on the driver's stderr, so it is in the uploaded log too.
    logs.append('stderr', `Exception in thread "main" ${reason}\n`);
    await logs.upload();
    return { kind: 'not-started', reason };
  };

  const jar = path.join(dir, 'entrypoint.jar');
  const fetched = await fetchFromS3(ctx.s3, spec.entryPoint, jar);
  if (!fetched.ok) return notStarted(fetched.reason);
  const jars: string[] = [];
  for (const [i, uri] of spec.submit.jars.entries()) {
    const file = path.join(dir, 'jars', `${i}-${path.basename(uri) || 'lib.jar'}`);
    const r = await fetchFromS3(ctx.s3, uri, file);
    if (!r.ok) return notStarted(r.reason);
    jars.push(file);
  }
  if (spec.submit.mainClass === undefined) {
    // spark-submit reads Main-Class from the jar's manifest; the emulator does not read jars.
    return notStarted(
      'org.apache.spark.SparkException: No main class set in JAR; please specify one with --class.',
    );
  }
  // The service refuses other labels at CreateApplication; the default family stands for any it let through.
  const family = familyOfRelease(spec.releaseLabel) ?? DEFAULT_SPARK_FAMILY;
  const [toolchain, classpath] = await Promise.all([ctx.toolchain(), ctx.classpath(family)]);
  const master = jobMaster(spec.sizing, spec.submit.conf, {
    maxCores: ctx.maxLocalCores,
    maxExecutors: ctx.maxExecutors,
    memoryMiB: ctx.executorMemoryMiB,
  });
  let sparkHome: SparkHome | undefined;
  try {
    sparkHome = isLocalCluster(master) ? ctx.sparkHome(classpath, family) : undefined;
  } catch (e) {
    return notStarted(`java.io.IOException: no Spark home for the executors: ${(e as Error).message}`);
  }
  // Cancelled while the jar was fetched: no JVM to start (the launcher only hears later aborts).
  if (signal.aborted) return { kind: 'exited', exitCode: null, signal: 'SIGTERM' };
  const shape = parseSparkMaster(master);
  const sparkConf = {
    ...Object.fromEntries(Object.entries(spec.submit.conf).filter(([k]) => !isManagedProperty(k))),
    // The executors as scaled down to this machine: a 14g, 4-core executor would never fit its worker.
    ...(shape?.kind === 'cluster'
      ? {
          'spark.executor.instances': String(shape.executors),
          'spark.executor.cores': String(shape.coresPerExecutor),
          'spark.executor.memory': `${shape.memoryMiB}m`,
        }
      : {}),
  };
  const env: Record<string, string> = { ...ctx.jvmEnv, ...jobEnvFromConf(spec.submit.conf) };
  const timer = setInterval(() => void logs.upload(), ctx.logUploadIntervalMs);
  let result;
  try {
    result = await launchLocalJob({
      toolchain,
      jar,
      jars,
      classpath,
      sparkHome,
      jobArgs: spec.entryPointArguments,
      env,
      logFile: path.join(dir, 'driver.log'),
      master,
      driverMemory: ctx.driverMemory,
      s3: { region: ctx.s3Access.region, endpoint: ctx.s3Access.endpoint, family },
      mainClass: spec.submit.mainClass,
      sparkConf,
      onProgress: () => {},
      onOutput: (stream, chunk) => logs.append(stream, chunk),
      onSpawn: (pid) => ctx.onJvm(pid),
      signal,
    });
  } catch (e) {
    return notStarted(`java.io.IOException: cannot start the driver JVM: ${(e as Error).message}`);
  } finally {
    clearInterval(timer);
    ctx.onJvm(undefined);
  }
  await logs.upload();
  return {
    kind: 'exited',
    exitCode: result.exitCode,
    signal: result.signal,
    ...(result.exitCode === 0 ? {} : { reason: failureReason(logs.text('stderr')) }),
  };
}
