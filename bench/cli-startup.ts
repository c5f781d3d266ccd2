/**
 * CLI start-up (DESIGN 5): `populator --help` against a bare `node -e 0`, measured side by side in
 * one run (interleaved, so machine noise hits both alike). Run: `npm run bench:startup [-- --runs N]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 20;
if (!existsSync(path.join(root, 'dist', 'commands', 'submit.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(2);
}

const cases: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['populator --help', [path.join(root, 'bin', 'run.js'), '--help']],
  ['populator submit --help', [path.join(root, 'bin', 'run.js'), 'submit', '--help']],
];

function time(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (const [, args] of cases) time(args); // warm the file cache
for (let i = 0; i < runs; i++) for (const [name, args] of cases) samples.get(name)!.push(time(args));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const base = median(samples.get('node -e 0')!);
console.log(
  `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}, ${runs} runs each, interleaved\n`,
);
console.log('| command | median ms | vs `node -e 0` |');
console.log('|---|---:|---:|');
for (const [name] of cases) {
  const m = median(samples.get(name)!);
  console.log(`| \`${name}\` | ${m.toFixed(0)} | ${(m / base).toFixed(2)}x |`);
}
