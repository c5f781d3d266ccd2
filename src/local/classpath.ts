/** Resolves (once) and caches the Spark runtime classpath from Maven: no Spark distribution needed. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';
import { runCommand } from './process.js';
import type { Toolchain } from './toolchain.js';

/**
 * Returns the classpath of spark/pom.xml (Spark, Scala, Hadoop client: all `provided`; the full list, since
 * some of Spark's netty jars resolve at compile scope through the AWS SDK), cached in
 * `cacheDir` under a hash of the pom so a changed pom resolves again.
 */
export async function resolveSparkClasspath(
  sparkDir: string,
  cacheDir: string,
  toolchain: Toolchain,
  log: (line: string) => void,
): Promise<string[]> {
  const pomPath = path.join(sparkDir, 'pom.xml');
  const hash = createHash('sha256').update(readFileSync(pomPath)).digest('hex').slice(0, 16);
  const cacheFile = path.join(cacheDir, `spark-classpath-${hash}.txt`);
  if (existsSync(cacheFile)) {
    const entries = splitClasspath(readFileSync(cacheFile, 'utf8'));
    if (entries.length > 0 && entries.every((e) => existsSync(e))) return entries;
  }
  log('Resolving the Spark classpath from Maven (once; cached afterwards)...');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  const r = await runCommand(
    toolchain.mvn,
    [
      '-B',
      '-q',
      '-f',
      pomPath,
      'dependency:build-classpath',
      '-Dmdep.includeScope=provided',
      `-Dmdep.outputFile=${tmp}`,
    ],
    { env: toolchain.env },
  );
  if (r.code !== 0 || !existsSync(tmp)) {
    const tail = (r.stdout + r.stderr).trim().split('\n').slice(-20).join('\n');
    throw new UserError('Resolving the Spark classpath with Maven failed.', {
      code: 'CLASSPATH_FAILED',
      hint: `Maven said:\n${tail}\nCheck that Maven can reach Maven Central or that ~/.m2 holds Spark 3.5.`,
    });
  }
  const entries = splitClasspath(readFileSync(tmp, 'utf8'));
  writeFileSync(cacheFile, entries.join(path.delimiter));
  return entries;
}

function splitClasspath(text: string): string[] {
  return text
    .trim()
    .split(path.delimiter)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
