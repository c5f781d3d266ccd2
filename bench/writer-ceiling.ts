/**
 * Writer ceiling (DESIGN 5, issue 8): puts/s per core of the job's writer against a DynamoDB
 * stand-in that answers every PutItem after 10 ms and is never the bottleneck
 * (bench/dynamodb-standin.ts), with an unlimited budget, side by side with the original design
 * (one synchronous put per task: `--max-in-flight 1`) in the same run.
 *
 * "Per core": the job's JVM is pinned to CPU 0 (`taskset`) and runs Spark `local[1]`, so it has
 * one core for everything (its writer task, netty's event loop, the SDK's completion threads, GC,
 * the JIT); the stand-in is pinned to CPU 1. The figures come from the stand-in's count of puts
 * and the JVM's CPU time (/proc/<pid>/stat), sampled every second over the write phase (Spark's
 * start-up and the read stage excluded): puts/s, the cores the JVM used meanwhile, and puts per
 * CPU-second of the JVM (what one fully used core sustains, whatever else loads the machine).
 *
 * A third, profiled run repeats A with Java Flight Recorder (`settings=profile`): its execution
 * samples within the write phase, grouped by what the code on the stack is doing, say where the
 * time goes.
 *
 *   npm run bench:writer -- [--events 150000] [--original-events 3000] [--latency-ms 10]
 *                           [--max-in-flight N] [--no-pin] [--no-profile] [--only A,B,P] [--keep]
 *                           [--readme]
 * --keep leaves the work folder (archives, job outputs, the JFR recording P.jfr) in place.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { DEFAULT_MAX_IN_FLIGHT_PER_TASK, JOB_ARGS, JOB_OUTPUT } from '../src/domain/contract.js';
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

/** Seconds at the start of the write phase left out of the steady-state figure (JIT, window growth). */
const WARMUP_SECONDS = 5;

interface Scenario {
  id: 'A' | 'B' | 'P';
  label: string;
  archive: string;
  maxInFlight: number;
  profile: boolean;
}

interface Sample {
  /** ms since the epoch */
  at: number;
  puts: number;
  jvmCpu: number;
  standinCpu: number;
  /** CPU seconds so far per thread group of the JVM (JIT, GC, the writer task, netty, ...). */
  threads: Map<string, number>;
}

interface Outcome {
  scenario: Scenario;
  putsPerSecond: number;
  steadyPutsPerSecond: number;
  writeSeconds: number;
  jvmCores: number;
  putsPerCpuSecond: number;
  standinCores: number;
  loopDelayP99Ms: number;
  maxInFlight: number;
  keysSent: number;
  puts: number;
  uniqueKeys: number;
  written: number;
  window: { from: number; to: number } | undefined;
  /** Share of the JVM's CPU time per thread group over the steady write phase. */
  threadShares: Map<string, number>;
  jfr?: string;
}

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '150000' },
    'original-events': { type: 'string', default: '3000' },
    'latency-ms': { type: 'string', default: '10' },
    'max-in-flight': { type: 'string', default: String(DEFAULT_MAX_IN_FLIGHT_PER_TASK) },
    'no-pin': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    only: { type: 'string', default: 'A,B,P' },
    keep: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
  },
});
const latencyMs = Number(values['latency-ms']);
const pin = canPin(values['no-pin']);

/**
 * What a JVM thread is, from its name as the kernel keeps it (15 characters): JFR samples only
 * Java code, so the JIT compilers and the GC, which share the one core, are counted from /proc.
 */
function osThreadGroup(comm: string): string {
  if (/^C[12] CompilerThre/.test(comm)) return 'JIT compiler threads';
  if (/^(GC Thread|G1 |VM Periodic)/.test(comm)) return 'GC threads';
  if (/^VM Thread/.test(comm)) return 'VM thread (safepoints)';
  if (/^Executor task/.test(comm)) return 'the writer task thread';
  if (/^aws-java-sdk-Ne/.test(comm)) return 'netty event loop threads';
  if (/^sdk-/.test(comm)) return 'SDK completion/scheduler threads';
  if (/^JFR /.test(comm)) return 'JFR';
  return 'other (Spark, heartbeats, progress, ...)';
}

/** CPU seconds so far per thread group of a process (/proc/<pid>/task/<tid>/stat). */
function threadCpuSeconds(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return m;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const g = osThreadGroup(comm);
      m.set(g, (m.get(g) ?? 0) + ticksToSeconds(Number(fields[11]) + Number(fields[12])));
    } catch {
      // the thread ended between the listing and the read: its time is left out of this sample
    }
  }
  return m;
}

/**
 * The write phase within the samples: from the first sample after puts began to the last one
 * before they stopped (both partial seconds left out).
 */
function writeWindow(samples: readonly Sample[]): { first: number; last: number } | undefined {
  const started = samples.findIndex((s, i) => i > 0 && s.puts > samples[i - 1]!.puts);
  let ended = -1;
  for (let i = samples.length - 1; i > 0; i--)
    if (samples[i]!.puts > samples[i - 1]!.puts) {
      ended = i - 1;
      break;
    }
  if (started < 0 || ended <= started) return undefined;
  return { first: started, last: ended };
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function runScenario(
  s: Scenario,
  ctx: {
    jar: string;
    classpath: string[];
    java: string;
    env: NodeJS.ProcessEnv;
    work: string;
    endpoint: string;
  },
): Promise<Outcome> {
  await standinStats(ctx.endpoint, true);
  const out = path.join(ctx.work, `out-${s.id}`);
  const log4j = writeJobLog4j(ctx.work);
  const jfr = path.join(ctx.work, `${s.id}.jfr`);
  const javaArgs = buildJavaArgs(
    {
      jar: ctx.jar,
      classpath: ctx.classpath,
      master: 'local[1]',
      driverMemory: '2g',
      jobArgs: [
        JOB_ARGS.archive,
        s.archive,
        JOB_ARGS.output,
        out,
        JOB_ARGS.table,
        'ceiling',
        JOB_ARGS.region,
        'us-east-1',
        JOB_ARGS.dynamodbEndpoint,
        ctx.endpoint,
        JOB_ARGS.writeRate,
        String(UNLIMITED_RATE),
        JOB_ARGS.maxInFlight,
        String(s.maxInFlight),
      ],
    },
    log4j,
  );
  // JFR from the start (its samples are filtered to the write phase afterwards): a jcmd attach
  // mid-run would be another JVM competing for the pinned core.
  // Deep stacks: the SDK's async pipeline is often more than JFR's default 64 frames.
  if (s.profile)
    javaArgs.unshift(
      '-XX:FlightRecorderOptions:stackdepth=256',
      `-XX:StartFlightRecording=filename=${jfr},settings=profile`,
    );
  const [cmd, args] = pinned(pin, 0, ctx.java, javaArgs);
  log(`running ${s.label} ...`);
  const child = spawn(cmd, args, { env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const samples: Sample[] = [];
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const st = await standinStats(ctx.endpoint);
    const jvmCpu = processCpuSeconds(child.pid!);
    const threads = threadCpuSeconds(child.pid!);
    if (!Number.isNaN(jvmCpu))
      samples.push({ at: Date.now(), puts: st.puts, jvmCpu, standinCpu: st.cpuSeconds, threads });
    await new Promise((r) => setTimeout(r, 1000));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`${s.label}: the job exited ${code}\n${stderr.slice(-4000)}`);
  const summary = JSON.parse(readFileSync(path.join(out, JOB_OUTPUT.summary), 'utf8')) as {
    uniqueKeys: number;
    counters: { written: number };
  };
  const final = await standinStats(ctx.endpoint);
  const w = writeWindow(samples);
  const a = w ? samples[w.first]! : undefined;
  const b = w ? samples[w.last]! : undefined;
  const seconds = a && b ? (b.at - a.at) / 1000 : Number.NaN;
  const perSecond = w
    ? samples.slice(w.first + 1, w.last + 1).map((x, i) => {
        const prev = samples[w.first + i]!;
        return (x.puts - prev.puts) / ((x.at - prev.at) / 1000);
      })
    : [];
  const threadShares = new Map<string, number>();
  if (w && b) {
    // From the end of the warm-up on (as the steady figure), when the write phase is long enough.
    const from = samples[Math.min(w.first + WARMUP_SECONDS, Math.max(w.first, w.last - 3))]!;
    let total = 0;
    for (const [g, cpu] of b.threads) total += cpu - (from.threads.get(g) ?? 0);
    for (const [g, cpu] of b.threads) threadShares.set(g, (cpu - (from.threads.get(g) ?? 0)) / total);
  }
  const o: Outcome = {
    scenario: s,
    putsPerSecond: a && b ? (b.puts - a.puts) / seconds : Number.NaN,
    steadyPutsPerSecond: median(perSecond.slice(Math.min(WARMUP_SECONDS, Math.max(0, perSecond.length - 3)))),
    writeSeconds: seconds,
    jvmCores: a && b ? (b.jvmCpu - a.jvmCpu) / seconds : Number.NaN,
    putsPerCpuSecond: a && b ? (b.puts - a.puts) / (b.jvmCpu - a.jvmCpu) : Number.NaN,
    standinCores: a && b ? (b.standinCpu - a.standinCpu) / seconds : Number.NaN,
    loopDelayP99Ms: final.loopDelayP99Ms,
    maxInFlight: final.maxInFlight,
    keysSent: final.distinctKeys,
    puts: final.puts,
    uniqueKeys: summary.uniqueKeys,
    written: summary.counters.written,
    window: a && b ? { from: a.at, to: b.at } : undefined,
    threadShares,
    ...(s.profile ? { jfr } : {}),
  };
  log(
    `  ${o.putsPerSecond.toFixed(0)} puts/s over ${seconds.toFixed(0)} s (steady ${o.steadyPutsPerSecond.toFixed(0)}), ` +
      `JVM ${o.jvmCores.toFixed(2)} cores, ${o.putsPerCpuSecond.toFixed(0)} puts per CPU-second; stand-in ${o.standinCores.toFixed(2)} cores, ` +
      `loop delay p99 ${o.loopDelayP99Ms.toFixed(1)} ms; per second: ${perSecond.map((x) => x.toFixed(0)).join(' ')}`,
  );
  return o;
}

// ---- where the time goes: JFR execution samples of the write phase ----------------------------

interface JfrFrame {
  method: { type: { name: string }; name: string };
}
interface JfrSample {
  startTime: string;
  sampledThread?: { javaName?: string };
  stackTrace?: { frames: JfrFrame[]; truncated?: boolean };
}

/**
 * What a stack is doing: the first of these stages (most specific first) that has a frame on it.
 * A sample under the SDK's signer counts as signing even when its innermost frames are a HashMap
 * or a StringBuilder; a stack with only the write loop (populator) and Spark on it is the loop.
 */
const STAGES: [RegExp, string][] = [
  [
    /http\.auth\.aws\.internal\.signer|AsyncSigningStage|SigningStage|\.signer\./,
    'SigV4 signing: canonical request, SHA-256, HMAC',
  ],
  [/Checksum|Crc32|CRC32/, 'checksums: request checksum stage, CRC32 of responses'],
  [/protocols\.json\.internal\.unmarshall|Unmarshaller|ErrorResponseHandler/, 'response unmarshalling'],
  [/protocols\.json|Marshaller|thirdparty\.jackson/, 'request marshalling: JSON'],
  [
    /AuthSchemeResolution|AuthSchemeResolver|AuthSchemeProvider|resolveEndpoint|EndpointProvider|EndpointResolver|awssdk\.endpoints|RuleEngine|rules/,
    'endpoint and auth-scheme resolution, per request',
  ],
  [
    /ExecutionInterceptorChain|invokeInterceptors|ExecutionInterceptor|ExecutionAttribute|ExecutionContext/,
    'interceptors, execution context and its attributes',
  ],
  [/awssdk\.(core\.internal\.)?metrics|MetricCollect/, 'SDK metrics collection'],
  [/io\.netty|http\.nio\.netty/, 'netty and the SDK netty client: pool, HTTP codec, socket I/O'],
  [/ManifestWriter\$\.putRequest/, 'populator: building the PutItemRequest (Scala maps)'],
  [/awssdk/, 'SDK request pipeline: stages, futures, request copies'],
  [/com\.snowplowanalytics\.populator/, 'populator: write loop, limiter, completion callbacks'],
  [
    /org\.apache\.spark|com\.esotericsoftware|net\.jpountz|org\.apache\.hadoop/,
    'Spark: shuffle read, task, heartbeats',
  ],
];

const frameName = (f: JfrFrame): string =>
  `${f.method.type.name.replace(/\//g, '.').replace(/^populator\.shaded\./, '')}.${f.method.name}`;

function categorize(frames: readonly JfrFrame[]): string {
  const names = frames.map(frameName);
  for (const [re, stage] of STAGES) if (names.some((n) => re.test(n))) return stage;
  return 'JDK only (thread pools, other)';
}

function threadGroup(name: string): string {
  if (/Executor task launch worker/.test(name)) return 'the writer task thread';
  if (/NettyEventLoop|nioEventLoop|aws-java-sdk-Netty/i.test(name)) return 'netty event loop';
  if (/sdk-async-response|sdk-ScheduledExecutor|aws-java-sdk/i.test(name))
    return 'SDK completion/scheduler threads';
  if (/populator/.test(name)) return 'populator daemons (progress, budget)';
  if (/dispatcher|rpc|heartbeat|shuffle|block|spark|driver|task-result/i.test(name)) return 'Spark internals';
  return 'other';
}

function profile(o: Outcome, java: string): string {
  if (!o.jfr || !existsSync(o.jfr) || !o.window) return '';
  const jfrTool = path.join(path.dirname(java === 'java' ? '/usr/bin/java' : java), 'jfr');
  const r = spawnSync(
    existsSync(jfrTool) ? jfrTool : 'jfr',
    ['print', '--json', '--events', 'jdk.ExecutionSample', o.jfr],
    {
      encoding: 'utf8',
      maxBuffer: 1024 * 1024 * 1024,
    },
  );
  if (r.status !== 0) return `(jfr print failed: ${r.stderr})`;
  const events = (JSON.parse(r.stdout) as { recording: { events: { values: JfrSample }[] } }).recording
    .events;
  const from = o.window.from + WARMUP_SECONDS * 1000;
  const inWindow = events
    .map((e) => e.values)
    .filter((v) => {
      const t = Date.parse(v.startTime);
      return t >= from && t <= o.window!.to;
    });
  const byCategory = new Map<string, number>();
  const byThread = new Map<string, number>();
  const bySelf = new Map<string, number>();
  for (const v of inWindow) {
    const frames = v.stackTrace?.frames ?? [];
    const c = categorize(frames);
    byCategory.set(c, (byCategory.get(c) ?? 0) + 1);
    const t = threadGroup(v.sampledThread?.javaName ?? '');
    byThread.set(t, (byThread.get(t) ?? 0) + 1);
    const top = frames[0];
    if (top) {
      const m = frameName(top);
      bySelf.set(m, (bySelf.get(m) ?? 0) + 1);
    }
  }
  const n = inWindow.length;
  const pct = (x: number): string => `${((100 * x) / n).toFixed(1)} %`;
  const table = (title: string, m: Map<string, number>, limit: number): string =>
    [
      `| ${title} | share of samples |`,
      '| --- | ---: |',
      ...[...m.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, limit)
        .map(([k, v]) => `| ${k.replace(/\|/g, '\\|')} | ${pct(v)} |`),
    ].join('\n');
  return [
    `JFR execution samples of the profiled run's steady write phase (its first ${WARMUP_SECONDS} s left out): ${n} samples.`,
    '',
    table('stage on the stack (most specific first)', byCategory, 14),
    '',
    table('Java thread', byThread, 8),
    '',
    table('hottest methods (self)', bySelf, 12),
  ].join('\n');
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { toolchain, jar, classpath } = await jobJarBench();
  const work = mkdtempSync(path.join(os.tmpdir(), 'populator-writer-ceiling-'));
  const events = Number(values.events);
  const originalEvents = Number(values['original-events']);
  const firstRun = DateTime.utc().minus({ days: 3 });
  log(`generating archives of ${events} and ${originalEvents} events...`);
  const big = await writeDemoArchive({ dir: path.join(work, 'archive'), seed: 7, events, firstRun });
  const small = await writeDemoArchive({
    dir: path.join(work, 'archive-small'),
    seed: 8,
    events: originalEvents,
    firstRun,
  });
  const window = Number(values['max-in-flight']);
  const scenarios: Scenario[] = [
    {
      id: 'A',
      label: `A: populator, --max-in-flight ${window} (adaptive window)`,
      archive: big.dir,
      maxInFlight: window,
      profile: false,
    },
    {
      id: 'B',
      label: 'B: original, one synchronous put per task (--max-in-flight 1)',
      archive: small.dir,
      maxInFlight: 1,
      profile: false,
    },
  ];
  if (!values['no-profile'])
    scenarios.push({
      id: 'P',
      label: 'A again, under JFR (profile)',
      archive: big.dir,
      maxInFlight: window,
      profile: true,
    });
  const only = new Set(values.only.split(',').map((x) => x.trim().toUpperCase()));
  const selected = scenarios.filter((s) => only.has(s.id));

  const standin = await startStandin(latencyMs, pin);
  const env = standinJobEnv(toolchain.env);
  const outcomes: Outcome[] = [];
  const loads: number[] = [];
  try {
    for (const s of selected) {
      loads.push(os.loadavg()[0]!);
      outcomes.push(
        await runScenario(s, { jar, classpath, java: toolchain.java, env, work, endpoint: standin.endpoint }),
      );
      loads.push(os.loadavg()[0]!);
    }
    const p = outcomes.find((o) => o.scenario.profile);
    const where = p ? profile(p, toolchain.java) : '';

    const rows = [
      '| scenario | puts/s, write phase | steady (median second) | JVM cores used | puts per JVM CPU-second | stand-in cores | stand-in loop delay p99 | most puts in flight | keys sent once / unique keys |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...outcomes.map(
        (o) =>
          `| ${o.scenario.label} | ${o.putsPerSecond.toFixed(0)} | ${o.steadyPutsPerSecond.toFixed(0)} | ${o.jvmCores.toFixed(2)} | ` +
          `${o.putsPerCpuSecond.toFixed(0)} | ${o.standinCores.toFixed(2)} | ${o.loopDelayP99Ms.toFixed(1)} ms | ${o.maxInFlight} | ` +
          `${o.puts === o.keysSent ? o.keysSent : `${o.keysSent} (${o.puts} puts)`} / ${o.uniqueKeys} |`,
      ),
    ];
    const a = outcomes.find((o) => o.scenario.id === 'A');
    const b = outcomes.find((o) => o.scenario.id === 'B');
    const setup =
      `${DateTime.utc().toISODate()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), Java ${toolchain.javaMajor}, ` +
      `Spark local[1]; ${pin ? 'job JVM pinned to CPU 0, stand-in to CPU 1 (taskset)' : 'not pinned'}; stand-in answers every put after ${latencyMs} ms; ` +
      `unlimited --write-rate; A: ${a?.uniqueKeys ?? '?'} keys, B: ${b?.uniqueKeys ?? '?'} keys; ` +
      `1-minute load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} while it ran.`;
    const ratio =
      a && b
        ? `A / B = ${(a.putsPerSecond / b.putsPerSecond).toFixed(1)}x (puts/s per core, the same run).`
        : '';
    const groups = [...new Set(outcomes.flatMap((o) => [...o.threadShares.keys()]))].sort(
      (x, y) => (a?.threadShares.get(y) ?? 0) - (a?.threadShares.get(x) ?? 0),
    );
    const cpuRows = [
      `| JVM thread (CPU time from /proc, steady write phase) | ${outcomes.map((o) => o.scenario.id).join(' | ')} |`,
      `| --- | ${outcomes.map(() => '---:').join(' | ')} |`,
      ...groups.map(
        (g) =>
          `| ${g} | ${outcomes.map((o) => `${(100 * (o.threadShares.get(g) ?? 0)).toFixed(1)} %`).join(' | ')} |`,
      ),
    ];
    const body = [
      setup,
      '',
      rows.join('\n'),
      '',
      ratio,
      '',
      cpuRows.join('\n'),
      ...(where ? ['', where] : []),
    ].join('\n');
    console.log(body);
    if (values.readme) updateReadme('writer-ceiling', body);
    if (outcomes.some((o) => o.keysSent !== o.uniqueKeys || o.written !== o.uniqueKeys)) {
      log('A KEY WAS NOT SENT, OR NOT COUNTED AS WRITTEN: see the table');
      process.exitCode = 1;
    }
  } finally {
    standin.child.kill('SIGTERM');
    if (values.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
