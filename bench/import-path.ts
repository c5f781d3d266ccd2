/**
 * Import files vs puts (issue 13): the job's throughput writing import files (`--import-to`, gzip
 * DYNAMODB_JSON for ImportTable) beside the conditional-put writer, on the same generated archive,
 * in one run; then what 1 billion items cost both ways at the plan's prices.
 *
 * Both run the real job jar on Spark `local[1]`, its JVM pinned to CPU 0 (`taskset`, as
 * bench/writer-ceiling.ts): I writes import files into a local folder (no DynamoDB at all); P puts
 * every item into bench/dynamodb-standin.ts (pinned to CPU 1, answering every PutItem after 10 ms)
 * with an unlimited --write-rate and the default --max-in-flight. Each job runs under a shell that
 * reports the JVM's CPU time once it has exited (cutime/cstime of /proc/<shell>/stat), so the CPU
 * figure is the whole job's: start-up, read + classify + dedupe, write, Spark's stop. The read
 * phase ends at the job's "read N lines" line, the write phase at summary.json's appearance.
 *
 *   npm run bench:import -- [--events 150000] [--latency-ms 10] [--max-in-flight N] [--no-pin]
 *                           [--keep] [--readme]
 * --keep leaves the work folder (archive, job outputs, import files) in place.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { DEFAULT_MAX_IN_FLIGHT_PER_TASK, JOB_ARGS, JOB_OUTPUT } from '../src/domain/contract.js';
import { buildImportPlan, IMPORT_BYTES_PER_ITEM } from '../src/domain/import-plan.js';
import { buildJavaArgs } from '../src/local/spark-launcher.js';
import { writeDemoArchive } from '../src/services/demo-archive.js';
import {
  canPin,
  jobJarBench,
  log,
  pinned,
  processCpuSeconds,
  standinJobEnv,
  standinStats,
  startStandin,
  ticksToSeconds,
  UNLIMITED_RATE,
  updateReadme,
  writeJobLog4j,
} from './common.js';

/** Items the cost table prices, and the provisioned capacity it holds for the puts. */
const BILLION = 1e9;
const PROVISIONED_WCU = 40_000;
/** The line the job logs when the read stage (read + classify + dedupe) is over. */
const READ_DONE = /\bread \d+ lines: /;
/** The line the shell around the job prints once the JVM has exited: its CPU clock ticks. */
const CPU_LINE = /^populator-bench-cpu (\d+) (\d+)$/m;
const CPU_SHELL = `"$@"; s=$?; echo "populator-bench-cpu $(cut -d' ' -f16,17 /proc/$$/stat)" >&2; exit $s`;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '150000' },
    'latency-ms': { type: 'string', default: '10' },
    'max-in-flight': { type: 'string', default: String(DEFAULT_MAX_IN_FLIGHT_PER_TASK) },
    'no-pin': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
  },
});
const latencyMs = Number(values['latency-ms']);
const pin = canPin(values['no-pin']);

interface Scenario {
  id: 'I' | 'P';
  label: string;
  /** The job's arguments after --archive and --output. */
  jobArgs: string[];
}

/** A moment of the job: seconds since it was started, and the JVM's CPU seconds then. */
interface Mark {
  at: number;
  cpu: number;
}

interface Summary {
  uniqueKeys: number;
  counters: { written: number };
  import: { folder: string; objects: number; items: number; bytes: number; compressedBytes: number } | null;
}

interface Outcome {
  scenario: Scenario;
  summary: Summary;
  wallSeconds: number;
  cpuSeconds: number;
  readDone: Mark;
  writeDone: Mark;
  /** Keys the stand-in was sent (P only). */
  keysSent?: number;
  load: [number, number];
}

/** What the job JVM logs and when it is done: the marks a run is measured by. */
interface Watch {
  readDone?: Mark;
  writeDone?: Mark;
  cpuTicks?: number;
  stderr: string;
}

/** The JVM under the shell `shell` (its one child), once started. */
function jvmPid(shell: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Follows the job's stderr: the end of its read phase (with the JVM's CPU then) and its CPU ticks at exit. */
function watchStderr(stream: NodeJS.ReadableStream, w: Watch, started: number, pid: () => number): void {
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    if (!w.readDone && READ_DONE.test(d))
      w.readDone = { at: (performance.now() - started) / 1000, cpu: processCpuSeconds(pid()) };
    w.stderr += d;
    const cpu = CPU_LINE.exec(w.stderr);
    if (cpu) w.cpuTicks = Number(cpu[1]) + Number(cpu[2]);
    if (w.stderr.length > 200_000) w.stderr = w.stderr.slice(-100_000);
  });
}

/** Runs the job (pinned to CPU 0) and measures it: wall time, the two phases, the JVM's CPU. */
async function runJob(
  s: Scenario,
  ctx: { jar: string; classpath: string[]; java: string; env: NodeJS.ProcessEnv; work: string },
): Promise<Omit<Outcome, 'keysSent'>> {
  const out = path.join(ctx.work, `out-${s.id}`);
  const javaArgs = buildJavaArgs(
    {
      jar: ctx.jar,
      classpath: ctx.classpath,
      master: 'local[1]',
      driverMemory: '2g',
      jobArgs: [JOB_ARGS.archive, path.join(ctx.work, 'archive'), JOB_ARGS.output, out, ...s.jobArgs],
    },
    writeJobLog4j(ctx.work),
  );
  const [cmd, args] = pinned(pin, 0, 'sh', ['-c', CPU_SHELL, 'sh', ctx.java, ...javaArgs]);
  log(`running ${s.label} ...`);
  const load0 = os.loadavg()[0]!;
  const started = performance.now();
  const child = spawn(cmd, args, { env: ctx.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let jvm: number | undefined;
  const pid = (): number => (jvm ??= jvmPid(child.pid!)) ?? -1;
  const w: Watch = { stderr: '' };
  watchStderr(child.stderr!, w, started, pid);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const summaryFile = path.join(out, JOB_OUTPUT.summary);
  while (!done) {
    pid();
    if (!w.writeDone && existsSync(summaryFile))
      w.writeDone = { at: (performance.now() - started) / 1000, cpu: processCpuSeconds(pid()) };
    await new Promise((r) => setTimeout(r, 50));
  }
  const code = await exited;
  const wallSeconds = (performance.now() - started) / 1000;
  if (code !== 0 || !w.readDone || !w.writeDone || w.cpuTicks === undefined)
    throw new Error(`${s.label}: the job exited ${code}\n${w.stderr.slice(-4000)}`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary;
  const cpuSeconds = ticksToSeconds(w.cpuTicks);
  return {
    scenario: s,
    summary,
    wallSeconds,
    cpuSeconds,
    readDone: w.readDone,
    writeDone: w.writeDone,
    load: [load0, os.loadavg()[0]!],
  };
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const secs = (x: number): string => `${x.toFixed(1)} s`;
const usd = (x: number): string => `$${x.toFixed(x < 100 ? 2 : 0)}`;

/** Items of a run: those written (P) or in the import files (I). */
const itemsOf = (o: Outcome): number => o.summary.import?.items ?? o.summary.counters.written;

/** The figures of one run, by column; the last row of the table is I / P of each. */
function figures(o: Outcome): number[] {
  const items = itemsOf(o);
  const writeSeconds = o.writeDone.at - o.readDone.at;
  return [
    o.wallSeconds,
    o.readDone.at,
    writeSeconds,
    o.cpuSeconds,
    items / o.cpuSeconds,
    items / o.wallSeconds,
    items / (o.writeDone.cpu - o.readDone.cpu),
    items / writeSeconds,
  ];
}

/** The throughput table: one row per run, then I / P. */
function throughputTable(i: Outcome, p: Outcome): string {
  const header =
    '| run | items | job wall time | start-up + read phase (read, classify, dedupe) | write phase | JVM CPU, whole job | items/s per core (whole job: items / JVM CPU-s) | items/s wall (whole job) | items per JVM CPU-s, write phase | items/s wall, write phase |';
  const fmt = [secs, secs, secs, secs, int, int, int, int];
  const row = (o: Outcome): string =>
    `| ${o.scenario.label} | ${int(itemsOf(o))} | ${figures(o)
      .map((x, k) => fmt[k]!(x))
      .join(' | ')} |`;
  const fi = figures(i);
  const fp = figures(p);
  const ratio = `| I / P | ${(itemsOf(i) / itemsOf(p)).toFixed(2)}x | ${fi.map((x, k) => `${(x / fp[k]!).toFixed(2)}x`).join(' | ')} |`;
  return [header, `|---|${'---:|'.repeat(9)}`, row(i), row(p), ratio].join('\n');
}

/** Bytes per item of the import files, from summary.json's `import`. */
function bytesPerItem(i: Outcome): { plain: number; gzip: number; objects: number } {
  const imp = i.summary.import!;
  return { plain: imp.bytes / imp.items, gzip: imp.compressedBytes / imp.items, objects: imp.objects };
}

/** What 1 billion items cost both ways, at the measured bytes per item and the plan's default. */
function costTable(measured: number): string {
  const row = (label: string, bytes: number): string => {
    const plan = buildImportPlan({
      items: BILLION,
      region: 'us-east-1',
      writeRate: PROVISIONED_WCU,
      bytesPerItem: bytes,
    });
    const hours = plan.puts.writeSeconds / 3600;
    return (
      `| ${label} | ${bytes.toFixed(1)} | ${usd(plan.usd)} | ${usd(plan.puts.onDemandUsd)} | ` +
      `${usd(plan.puts.provisionedUsd)} (${hours.toFixed(1)} h) | ${(plan.puts.onDemandUsd / plan.usd).toFixed(1)}x | ` +
      `${(plan.puts.provisionedUsd / plan.usd).toFixed(1)}x |`
    );
  };
  return [
    `| 1 billion items (us-east-1) | bytes per item | import (ImportTable, $0.15/GB) | on-demand puts | provisioned puts at ${int(PROVISIONED_WCU)} WCU/s (hours held) | on-demand / import | provisioned / import |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    row('measured (this run)', measured),
    row("the plan's default", IMPORT_BYTES_PER_ITEM),
  ].join('\n');
}

/** The README section: set-up, throughput, bytes per item, cost. */
function report(i: Outcome, p: Outcome, javaMajor: number): string {
  const b = bytesPerItem(i);
  const loads = [...i.load, ...p.load];
  const setup =
    `${DateTime.utc().toISODate()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), Java ${javaMajor}, Spark local[1]; ` +
    `${pin ? 'job JVM pinned to CPU 0, stand-in to CPU 1 (taskset)' : 'not pinned'}; ${int(Number(values.events))} generated events, ` +
    `${int(i.summary.uniqueKeys)} unique keys; P: stand-in answering every put after ${latencyMs} ms, unlimited --write-rate, ` +
    `--max-in-flight ${values['max-in-flight']}; one run of each, I then P; 1-minute load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} while they ran.`;
  const bytes =
    `Import files (I): ${b.objects} object(s), ${b.plain.toFixed(1)} bytes per item uncompressed (what ImportTable bills; ` +
    `the plan assumes ${IMPORT_BYTES_PER_ITEM}), ${b.gzip.toFixed(1)} gzip'd (${((100 * b.gzip) / b.plain).toFixed(0)} % of it; the plan's size check assumes 30 %).`;
  return [setup, '', throughputTable(i, p), '', bytes, '', costTable(b.plain)].join('\n');
}

/** The two runs, I then P (P against a stand-in started for it), on the same archive. */
async function runBoth(ctx: {
  jar: string;
  classpath: string[];
  java: string;
  env: NodeJS.ProcessEnv;
  work: string;
}): Promise<[Outcome, Outcome]> {
  const common = [JOB_ARGS.table, 'import-path', JOB_ARGS.region, 'us-east-1'];
  const i = await runJob(
    {
      id: 'I',
      label: 'I: import files (--import-to a local folder)',
      jobArgs: [...common, JOB_ARGS.importTo, `${path.join(ctx.work, 'import')}/`],
    },
    ctx,
  );
  const standin = await startStandin(latencyMs, pin);
  try {
    await standinStats(standin.endpoint, true);
    const jobArgs = [
      ...common,
      JOB_ARGS.dynamodbEndpoint,
      standin.endpoint,
      JOB_ARGS.writeRate,
      String(UNLIMITED_RATE),
      JOB_ARGS.maxInFlight,
      String(values['max-in-flight']),
    ];
    const p = await runJob(
      { id: 'P', label: 'P: conditional puts (stand-in)', jobArgs },
      { ...ctx, env: standinJobEnv(ctx.env) },
    );
    return [i, { ...p, keysSent: (await standinStats(standin.endpoint)).distinctKeys }];
  } finally {
    standin.child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const { toolchain, jar, classpath } = await jobJarBench();
  const work = mkdtempSync(path.join(os.tmpdir(), 'populator-import-path-'));
  try {
    log(`generating an archive of ${values.events} events...`);
    await writeDemoArchive({
      dir: path.join(work, 'archive'),
      seed: 7,
      events: Number(values.events),
      firstRun: DateTime.utc().minus({ days: 3 }),
    });
    const [i, p] = await runBoth({ jar, classpath, java: toolchain.java, env: toolchain.env, work });
    const body = report(i, p, toolchain.javaMajor);
    console.log(body);
    if (values.readme) updateReadme('import-path', body);
    if (
      itemsOf(i) !== i.summary.uniqueKeys ||
      itemsOf(p) !== p.summary.uniqueKeys ||
      p.keysSent !== p.summary.uniqueKeys
    ) {
      log('AN ITEM WAS NOT WRITTEN, OR NOT SENT: see the table');
      process.exitCode = 1;
    }
  } finally {
    if (values.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
