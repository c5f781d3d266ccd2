/** Launches the job jar on local Spark (local[*,4] by default) in a child JVM and follows its progress file. */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JAVA17_SPARK_OPTIONS } from '../domain/java.js';
import { JOB_MAIN_CLASS } from '../domain/contract.js';
import type { JobProgress } from '../domain/job-report.js';
import { DEFAULT_SPARK_FAMILY, SPARK_FAMILY, type SparkFamily } from '../domain/spark-family.js';
import { isLocalCluster, parseSparkMaster } from '../domain/spark-master.js';
import { localClusterEnv, runSparkHome, type SparkHome } from './spark-home.js';
import type { Toolchain } from './toolchain.js';

export interface LaunchOptions {
  toolchain: Toolchain;
  jar: string;
  /** More application jars (spark-submit's `--jars`): on the driver's classpath, and shipped to executors. */
  jars?: readonly string[];
  classpath: readonly string[];
  jobArgs: readonly string[];
  /** Extra environment for the job JVM (credentials from the CLI's resolution, endpoints). */
  env: NodeJS.ProcessEnv;
  /** Local progress.json the job writes (its output prefix); not polled when absent (S3 output). */
  progressFile?: string;
  /** File that receives the JVM's stdout and stderr (Spark's and the job's logs). */
  logFile: string;
  /** Spark master, `local[*]` unless told otherwise; `local-cluster[N,C,M]` needs `sparkHome`. */
  master: string;
  /**
   * The Spark home of a `local-cluster` master: the driver runs on its jars (not `classpath`), the
   * executor JVMs are started from it and fetch the job jar from the driver (`spark.jars`), as
   * spark-submit ships the application jar on a cluster.
   */
  sparkHome?: SparkHome;
  driverMemory: string;
  /** Set when the archive is on S3: S3A settings for Spark's Hadoop configuration (no credentials). */
  s3?: S3HadoopAccess;
  /** The class to run; the job's own main class unless told otherwise (an emulated `--class`). */
  mainClass?: string;
  /** More Spark properties (`--conf k=v` of spark-submit), passed as `-Dk=v`; never a secret. */
  sparkConf?: Readonly<Record<string, string>>;
  onProgress: (progress: JobProgress) => void;
  /** Every chunk the JVM prints, per stream (for a caller that keeps stdout and stderr apart). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  pollMs?: number;
  /** Told the JVM's pid once it is started (a caller that must be able to kill it for good). */
  onSpawn?: (pid: number | undefined) => void;
  /** Lets the caller stop the job (Ctrl-C). */
  signal?: AbortSignal;
}

export interface LaunchResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the job printed on stderr, for error reports. */
  stderrTail: string[];
  stdout: string;
}

const LOG4J2 = `# populator local runner: Spark's own logging at WARN, the job's at INFO, all to stderr
status = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
logger.populator.name = com.snowplowanalytics.populator
logger.populator.level = info
# Noisy and harmless in local mode
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
logger.shutdown.name = org.apache.spark.util.ShutdownHookManager
logger.shutdown.level = error
`;

/** How the local job reaches S3 through S3A. Credentials are not here: they stay in the environment. */
export interface S3HadoopAccess {
  /** Signing region (`fs.s3a.endpoint.region`), used with an endpoint override. */
  region: string;
  /** An S3 endpoint override (an emulator, a VPC endpoint); AWS's own endpoint when absent. */
  endpoint?: string;
  /** The Spark family that runs (its Hadoop's S3A names the credential providers); 3.5 when absent. */
  family?: SparkFamily;
}

/** The S3A credential providers of Spark 3.5's Hadoop 3.3 (SDK v1); each family's are in SPARK_FAMILY. */
export const S3A_CREDENTIAL_PROVIDERS = SPARK_FAMILY[DEFAULT_SPARK_FAMILY].s3aCredentialProviders;

/**
 * Hadoop settings (without the `spark.hadoop.` prefix) that make s3:// and s3a:// work on local
 * Spark as s3:// does on EMR (EMRFS): both schemes served by S3AFileSystem. With an endpoint
 * override: path-style requests, TLS per the URL's scheme, and the signing region.
 */
export function s3HadoopProperties(s3: S3HadoopAccess): Record<string, string> {
  const props: Record<string, string> = {
    'fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    'fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    'fs.s3a.aws.credentials.provider':
      SPARK_FAMILY[s3.family ?? DEFAULT_SPARK_FAMILY].s3aCredentialProviders.join(','),
  };
  if (s3.endpoint !== undefined) {
    const url = new URL(s3.endpoint);
    props['fs.s3a.endpoint'] = s3.endpoint;
    props['fs.s3a.path.style.access'] = 'true';
    props['fs.s3a.connection.ssl.enabled'] = String(url.protocol === 'https:');
    props['fs.s3a.endpoint.region'] = s3.region;
  }
  return props;
}

/** The JVM command line for a local run (exported so a test can check it carries no secret). */
export function buildJavaArgs(
  o: Pick<
    LaunchOptions,
    | 'jar'
    | 'jars'
    | 'classpath'
    | 'jobArgs'
    | 'master'
    | 'driverMemory'
    | 's3'
    | 'mainClass'
    | 'sparkConf'
    | 'sparkHome'
  >,
  log4jFile: string,
): string[] {
  const hadoop = o.s3 === undefined ? {} : s3HadoopProperties(o.s3);
  const shape = parseSparkMaster(o.master);
  const home = shape?.kind === 'cluster' ? o.sparkHome : undefined;
  if (shape?.kind === 'cluster' && home === undefined) throw new Error(`${o.master} needs a Spark home`);
  const cluster =
    home === undefined || shape?.kind !== 'cluster'
      ? []
      : [
          `-Dspark.jars=${[o.jar, ...(o.jars ?? [])].join(',')}`,
          // Spark's 1g default is refused when a worker of the local cluster has less.
          `-Dspark.executor.memory=${shape.memoryMiB}m`,
          ...(home.executorClasspath.length > 0
            ? [`-Dspark.executor.extraClassPath=${home.executorClasspath.join(path.delimiter)}`]
            : []),
          // The executors' log4j: Spark's own at WARN, as the driver's.
          `-Dspark.executor.extraJavaOptions=-Dlog4j2.configurationFile=${JSON.stringify(log4jFile)}`,
        ];
  return [
    ...JAVA17_SPARK_OPTIONS,
    `-Xmx${o.driverMemory}`,
    `-Dspark.master=${o.master}`,
    '-Dspark.app.name=populator',
    '-Dspark.ui.enabled=false',
    '-Dspark.ui.showConsoleProgress=false',
    // Live counters travel in executor heartbeats: every 2 s instead of 10 makes the bar move smoothly.
    '-Dspark.executor.heartbeatInterval=2s',
    '-Dspark.driver.host=127.0.0.1',
    '-Dspark.driver.bindAddress=127.0.0.1',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    // SparkConf reads spark.* system properties; spark.hadoop.* go into the Hadoop configuration.
    ...Object.entries(hadoop).map(([k, v]) => `-Dspark.hadoop.${k}=${v}`),
    ...cluster,
    // After the launcher's own: the JVM keeps the last -D of a key, so these can override defaults.
    ...Object.entries(o.sparkConf ?? {}).map(([k, v]) => `-D${k}=${v}`),
    '-cp',
    [o.jar, ...(o.jars ?? []), ...(home === undefined ? o.classpath : home.classpath)].join(path.delimiter),
    o.mainClass ?? JOB_MAIN_CLASS,
    ...o.jobArgs,
  ];
}

/** Runs the job to completion; progress.json is read every `pollMs` while it runs. */
export async function launchLocalJob(o: LaunchOptions): Promise<LaunchResult> {
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  const log4jFile = path.join(path.dirname(o.logFile), 'log4j2.properties');
  writeFileSync(log4jFile, LOG4J2);
  const log = createWriteStream(o.logFile);
  const env: NodeJS.ProcessEnv = {
    ...o.toolchain.env,
    ...o.env,
    // The run's own Spark home wins over a SPARK_HOME of the caller's (it links to that one's jars).
    ...(o.sparkHome !== undefined && isLocalCluster(o.master)
      ? localClusterEnv(
          runSparkHome(o.sparkHome, path.join(path.dirname(o.logFile), 'spark-cluster')),
          o.sparkHome.family,
        )
      : {}),
  };
  // An empty value in `o.env` means "unset" (e.g. a lingering AWS_SESSION_TOKEN next to static
  // keys): the AWS SDK for Java (S3A) would otherwise send an empty session token.
  for (const [k, v] of Object.entries(o.env)) if (v === '') delete env[k];
  const child = spawn(o.toolchain.java, buildJavaArgs(o, log4jFile), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  o.onSpawn?.(child.pid);
  const stderrTail: string[] = [];
  let stdout = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    log.write(d);
    o.onOutput?.('stdout', d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    log.write(d);
    o.onOutput?.('stderr', d);
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      stderrTail.push(l);
      if (stderrTail.length > 200) stderrTail.shift();
    }
  });
  let lastProgress = '';
  const progressFile = o.progressFile;
  const readProgress = (): void => {
    if (progressFile === undefined || !existsSync(progressFile)) return;
    try {
      const text = readFileSync(progressFile, 'utf8');
      if (text === lastProgress) return;
      lastProgress = text;
      o.onProgress(JSON.parse(text) as JobProgress);
    } catch {
      // The job rewrites the file while we read it: the next poll gets a whole one.
    }
  };
  const poll = setInterval(readProgress, o.pollMs ?? 1000);
  const onAbort = (): void => {
    child.kill('SIGTERM');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, sig) => resolve([code, sig]));
      },
    );
    if (pending) stderrTail.push(pending);
    readProgress(); // the final state (done or failed), which the last poll may have missed
    return { exitCode, signal, stderrTail, stdout };
  } finally {
    clearInterval(poll);
    o.signal?.removeEventListener('abort', onAbort);
    await new Promise<void>((resolve) => log.end(resolve));
  }
}
