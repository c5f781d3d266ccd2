/** What the benchmarks share: their flags, the README sections they rewrite, the JVM benches' set-up. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveSparkClasspath } from '../src/local/classpath.js';
import { findToolchain, type Toolchain } from '../src/local/toolchain.js';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const spark = path.join(root, 'spark');

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
