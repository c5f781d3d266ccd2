/**
 * Shuffle bytes per record (DESIGN 5, issue 8): the job's read + dedupe shuffle on a generated
 * archive under Java serialization, Kryo unregistered (the job before) and Kryo with the job's
 * registrator (now), in one run, each in its own JVM. Spark's own metrics: shuffle bytes written
 * (lz4-compressed, as by default) over shuffle records written (after the map-side combine).
 * Run: `npm run bench:shuffle [-- --events N --readme]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { JAVA17_SPARK_OPTIONS } from '../src/domain/java.js';
import { jvmBench, log, numberArg, updateReadme } from './common.js';
import { writeDemoArchive } from '../src/services/demo-archive.js';

const events = numberArg('events', 200_000);

const { toolchain, classpath } = await jvmBench();

const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-shuffle-bench-'));
log(`generating an archive of ${events} events...`);
await writeDemoArchive({
  dir: path.join(dir, 'archive'),
  seed: 3,
  events,
  firstRun: DateTime.utc().minus({ days: 3 }),
});

interface Round {
  mode: string;
  keys: number;
  shuffleRecords: number;
  shuffleBytes: number;
  seconds: number;
}

/** Rounds per JVM: the first warms the JIT up and is left out of the stage time. */
const ROUNDS = 3;
const loads: number[] = [];

function run(mode: string, compression: 'compressed' | 'raw'): Round {
  loads.push(os.loadavg()[0]!);
  const r = spawnSync(
    toolchain.java,
    [
      ...JAVA17_SPARK_OPTIONS,
      '-Xmx1g',
      '-cp',
      classpath,
      'com.snowplowanalytics.populator.bench.ShuffleBench',
      path.join(dir, 'archive'),
      mode,
      String(ROUNDS),
      compression,
    ],
    { env: toolchain.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ShuffleBench ${mode} failed: ${r.stderr}`);
  const rounds = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Round);
  loads.push(os.loadavg()[0]!);
  // Bytes and records are the same every round (deterministic input); the time is the best warm round.
  const last = rounds[rounds.length - 1]!;
  return { ...last, seconds: Math.min(...rounds.slice(1).map((x) => x.seconds)) };
}

const modes: [string, string][] = [
  ['java', 'Java serialization'],
  ['kryo', 'Kryo, classes not registered (the job before)'],
  ['kryo-registered', "Kryo, the job's registrator (now)"],
];
const results = modes.map(([mode]) => {
  log(`running ${mode}...`);
  return { lz4: run(mode, 'compressed'), raw: run(mode, 'raw') };
});
rmSync(dir, { recursive: true, force: true });
const perRecord = (r: Round): number => r.shuffleBytes / r.shuffleRecords;
const before = results[1]!;
const out = [
  `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Spark local[2], ` +
    `${events.toLocaleString('en-US')} generated events, ${results[0]!.lz4.keys.toLocaleString('en-US')} unique keys, ` +
    `${results[0]!.lz4.shuffleRecords.toLocaleString('en-US')} shuffle records (after the map-side combine); ` +
    'bytes as Spark counts them, with the default lz4 shuffle compression and without; ' +
    `stage time: the best of rounds 2-${ROUNDS} in each JVM (the first warms the JIT up); ` +
    `1-minute load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} while it ran (the byte counts do not depend on it).`,
  '',
  '| serializer | bytes per record (lz4, the default) | vs before | bytes per record (uncompressed) | vs before | stage time (lz4) |',
  '|---|---:|---:|---:|---:|---:|',
  ...results.map(
    (r, i) =>
      `| ${modes[i]![1]} | ${perRecord(r.lz4).toFixed(1)} | ${(perRecord(r.lz4) / perRecord(before.lz4)).toFixed(2)}x | ` +
      `${perRecord(r.raw).toFixed(1)} | ${(perRecord(r.raw) / perRecord(before.raw)).toFixed(2)}x | ${r.lz4.seconds.toFixed(1)} s |`,
  ),
].join('\n');
console.log(out);

if (process.argv.includes('--readme')) updateReadme('shuffle', out);
