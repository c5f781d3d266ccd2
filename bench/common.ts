/** What the benchmarks share: their flags, the README sections they rewrite, the JVM benches' set-up. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { resolveSparkClasspath } from '../src/local/classpath.js';
import { ensureJobJar } from '../src/local/jar.js';
import { findToolchain, type Toolchain } from '../src/local/toolchain.js';
import type { StandinStats } from './dynamodb-standin.js';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const spark = path.join(root, 'spark');

/** A --write-rate far above anything one core can send. */
export const UNLIMITED_RATE = 10_000_000;

export const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** `--name N` from the command line, or `dflt`. */
export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Replaces the `<!-- section:begin -->` ... `<!-- section:end -->` part of bench/README.md with `body`. */
export function updateReadme(section: string, body: string): void {
  const file = path.join(root, 'bench', 'README.md');
  const text = readFileSync(file, 'utf8');
  const begin = `<!-- ${section}:begin -->`;
  const end = `<!-- ${section}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no ${begin} ... ${end} section`);
  writeFileSync(file, `${text.slice(0, a + begin.length)}\n\n${body}\n\n${text.slice(b)}`);
  log(`updated ${file}`);
}

/**
 * For the benches that run the job's classes in a JVM of their own: the toolchain, the job and its
 * test classes compiled (mvn test-compile), and the classpath that runs them.
 */
export async function jvmBench(): Promise<{ toolchain: Toolchain; classpath: string }> {
  const toolchain = await findToolchain(process.env, { needMaven: true });
  log('compiling the job and its test classes (mvn test-compile)...');
  const mvn = spawnSync(toolchain.mvn, ['-B', '-q', '-f', path.join(spark, 'pom.xml'), 'test-compile'], {
    env: toolchain.env,
    stdio: 'inherit',
  });
  if (mvn.status !== 0) process.exit(1);
  const dependencies = await resolveSparkClasspath(
    spark,
    path.join(os.homedir(), '.cache', 'populator'),
    toolchain,
    log,
  );
  const classpath = [
    path.join(spark, 'target', 'test-classes'),
    path.join(spark, 'target', 'classes'),
    ...dependencies,
  ].join(path.delimiter);
  return { toolchain, classpath };
}

/** For the benches that run the job jar itself: the toolchain, the jar (built when missing or stale), Spark's classpath. */
export async function jobJarBench(): Promise<{ toolchain: Toolchain; jar: string; classpath: string[] }> {
  const toolchain = await findToolchain(process.env, { needMaven: true });
  const { jar } = await ensureJobJar(spark, toolchain, log);
  const classpath = await resolveSparkClasspath(
    spark,
    path.join(os.homedir(), '.cache', 'populator'),
    toolchain,
    log,
  );
  return { toolchain, jar, classpath };
}

/**
 * A log4j configuration for a bench's job JVM in `work`: Spark at WARN, the job's own lines at INFO,
 * all on stderr with the time of day. Returns the file.
 */
export function writeJobLog4j(work: string): string {
  const file = path.join(work, 'log4j2.properties');
  writeFileSync(
    file,
    'status = error\nappender.c.type = Console\nappender.c.name = c\nappender.c.target = SYSTEM_ERR\n' +
      'appender.c.layout.type = PatternLayout\nappender.c.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex\n' +
      'rootLogger.level = warn\nrootLogger.appenderRef.c.ref = c\n' +
      'logger.p.name = com.snowplowanalytics.populator\nlogger.p.level = info\n',
  );
  return file;
}

/** The job JVM's environment against the DynamoDB stand-in: keys the SDK can sign with, no profile. */
export function standinJobEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    // The stand-in does not check signatures, but the SDK signs every request: keys it can sign with.
    AWS_ACCESS_KEY_ID: 'AKIDBENCHSTANDIN',
    AWS_SECRET_ACCESS_KEY: 'bench-standin-secret',
    AWS_REGION: 'us-east-1',
  };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  return env;
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Seconds of `ticks` clock ticks (the unit of /proc/<pid>/stat's times). */
export const ticksToSeconds = (ticks: number): number => ticks / clockTicks;

/** User + system CPU seconds of a process so far (fields 14 and 15 of /proc/<pid>/stat). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ticksToSeconds(Number(fields[11]) + Number(fields[12]));
  } catch {
    return Number.NaN;
  }
}

/** Whether processes can be pinned to a CPU of their own: two CPUs or more and `taskset`, unless `noPin`. */
export function canPin(noPin: boolean): boolean {
  return !noPin && os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
}

/** `cmd args` run on CPU `cpu` only (through taskset) when `pin`, else as it is. */
export const pinned = (pin: boolean, cpu: number, cmd: string, args: string[]): [string, string[]] =>
  pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];

/**
 * Starts bench/dynamodb-standin.ts as a child process (on CPU 1 when `pin`), answering every
 * PutItem after `latencyMs`; resolves once it listens.
 */
export async function startStandin(
  latencyMs: number,
  pin: boolean,
): Promise<{ child: ChildProcess; endpoint: string }> {
  const [cmd, args] = pinned(pin, 1, process.execPath, [
    '--import',
    'tsx',
    path.join(root, 'bench', 'dynamodb-standin.ts'),
    '--latency-ms',
    String(latencyMs),
  ]);
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const { port } = JSON.parse(line) as { port: number };
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

/** The stand-in's counters (`reset`: and start them again from zero). */
export async function standinStats(endpoint: string, reset = false): Promise<StandinStats> {
  const r = await fetch(`${endpoint}/${reset ? '__reset' : '__stats'}`);
  return (await r.json()) as StandinStats;
}
