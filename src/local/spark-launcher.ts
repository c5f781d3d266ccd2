/** Launches the job jar on Spark local[*] in a child JVM and follows its progress file. */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JAVA17_SPARK_OPTIONS } from '../domain/java.js';
import { JOB_MAIN_CLASS } from '../domain/contract.js';
import type { JobProgress } from '../domain/job-report.js';
import type { Toolchain } from './toolchain.js';

export interface LaunchOptions {
  toolchain: Toolchain;
  jar: string;
  classpath: readonly string[];
  jobArgs: readonly string[];
  /** Extra environment for the job JVM (credentials from the CLI's resolution, endpoints). */
  env: NodeJS.ProcessEnv;
  /** Local directory where the job writes progress.json (its output prefix). */
  progressFile: string;
  /** File that receives the JVM's stdout and stderr (Spark's and the job's logs). */
  logFile: string;
  /** Spark master, `local[*]` unless told otherwise. */
  master: string;
  driverMemory: string;
  onProgress: (progress: JobProgress) => void;
  pollMs?: number;
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

/** The JVM command line for a local run (exported so a test can check it carries no secret). */
export function buildJavaArgs(
  o: Pick<LaunchOptions, 'jar' | 'classpath' | 'jobArgs' | 'master' | 'driverMemory'>,
  log4jFile: string,
): string[] {
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
    '-cp',
    [o.jar, ...o.classpath].join(path.delimiter),
    JOB_MAIN_CLASS,
    ...o.jobArgs,
  ];
}

/** Runs the job to completion; progress.json is read every `pollMs` while it runs. */
export async function launchLocalJob(o: LaunchOptions): Promise<LaunchResult> {
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  const log4jFile = path.join(path.dirname(o.logFile), 'log4j2.properties');
  writeFileSync(log4jFile, LOG4J2);
  const log = createWriteStream(o.logFile);
  const child = spawn(o.toolchain.java, buildJavaArgs(o, log4jFile), {
    env: { ...o.toolchain.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrTail: string[] = [];
  let stdout = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    log.write(d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    log.write(d);
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      stderrTail.push(l);
      if (stderrTail.length > 200) stderrTail.shift();
    }
  });
  let lastProgress = '';
  const readProgress = (): void => {
    if (!existsSync(o.progressFile)) return;
    try {
      const text = readFileSync(o.progressFile, 'utf8');
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
