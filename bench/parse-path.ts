/**
 * Parse path (DESIGN 5): lines/s of the job's read + parse code (ArchiveReader.Lines + Classify, one
 * core, JIT warmed) against `zcat FILE | cut -f3,7,130 > /dev/null` on the same gzip file, side by
 * side and interleaved in one run. Run: `npm run bench:parse [-- --lines N --rounds R --readme]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateDemoArchive } from '../src/domain/demo-archive.js';
import { JAVA17_SPARK_OPTIONS } from '../src/domain/java.js';
import { jvmBench, log, numberArg, updateReadme } from './common.js';
import { createRandom } from '../src/domain/random.js';

const lineCount = numberArg('lines', 200_000);
const rounds = numberArg('rounds', 5);

const { toolchain, classpath } = await jvmBench();

const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-parse-bench-'));
const file = path.join(dir, 'part-00000.gz');
log(`generating ${lineCount} enriched lines...`);
const archive = generateDemoArchive(createRandom(1), { events: lineCount, runs: 2 });
const text = archive.runs.flatMap((r) => r.lines).join('\n') + '\n';
const lines = archive.runs.reduce((n, r) => n + r.lines.length, 0);
writeFileSync(file, gzipSync(Buffer.from(text)));
const plainBytes = Buffer.byteLength(text);
const gzBytes = statSync(file).size;

function zcatCut(): number {
  const t = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `zcat '${file}' | cut -f3,7,130 > /dev/null`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('zcat | cut failed');
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** One JVM per call, `warm` rounds inside it; the last round's time (JIT warmed) is the figure. */
function jvm(mode: 'read' | 'parse', warm: number): number {
  const r = spawnSync(
    toolchain.java,
    [
      ...JAVA17_SPARK_OPTIONS,
      '-Xmx1g',
      '-cp',
      classpath,
      'com.snowplowanalytics.populator.bench.ParseBench',
      file,
      String(warm),
      mode,
    ],
    { env: toolchain.env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ParseBench failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  const doc = JSON.parse(last) as { lines: number; seconds: number };
  if (doc.lines !== lines) throw new Error(`ParseBench read ${doc.lines} lines, expected ${lines}`);
  return doc.seconds;
}

const samples: Record<string, number[]> = { zcat: [], read: [], parse: [] };
for (let i = 0; i < rounds; i++) {
  log(`round ${i + 1}/${rounds}`);
  samples.zcat!.push(zcatCut());
  samples.read!.push(jvm('read', 3));
  samples.parse!.push(jvm('parse', 3));
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rate = (k: string): number => lines / median(samples[k]!);
const rows: [string, string, number][] = [
  ['`zcat \\| cut -f3,7,130` (2 processes)', 'zcat', rate('zcat')],
  ['job: read (gunzip + LineReader), 1 core', 'read', rate('read')],
  ['job: read + classify, 1 core', 'parse', rate('parse')],
];
const out = [
  `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${lines} lines, ` +
    `${(plainBytes / 1e6).toFixed(0)} MB plain / ${(gzBytes / 1e6).toFixed(1)} MB gzip, median of ${rounds} interleaved rounds` +
    ' (the JVM figures are the third round inside one JVM: JIT warmed, JVM start-up excluded).',
  '',
  '| path | lines/s | MB/s (plain) | vs `zcat \\| cut` |',
  '|---|---:|---:|---:|',
  ...rows.map(
    ([name, , r]) =>
      `| ${name} | ${Math.round(r).toLocaleString('en-US')} | ${((r * plainBytes) / lines / 1e6).toFixed(0)} | ${(r / rate('zcat')).toFixed(2)}x |`,
  ),
].join('\n');
console.log(out);

if (process.argv.includes('--readme')) updateReadme('parse-path', out);
