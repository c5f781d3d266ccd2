/** Resolves (once) and caches the Spark runtime classpath from Maven: no Spark distribution needed. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';
import { DEFAULT_SPARK_FAMILY, SPARK_FAMILY, type SparkFamily } from '../domain/spark-family.js';
import { familyMavenArgs } from './jar.js';
import { runCommand } from './process.js';
import { sparkHomeAt } from './spark-home.js';
import { locateMaven, type Toolchain } from './toolchain.js';

/** Which classpath to resolve. */
export interface ClasspathOptions {
  /**
   * Add S3A (the family's `s3aProfile`: `-P local-s3` hadoop-aws 3.3.4 + aws-java-sdk-bundle 1.12.262 on
   * 3.5, `-P local-s3-spark-4.0` hadoop-aws 3.4.1 + AWS SDK v2 on 4.0) for an archive on S3. Cached under
   * its own key, so local archives never download the bundle.
   */
  s3?: boolean;
  /** The Spark family whose classpath (default 3.5; 4.0 is the `spark-4.0` profile's). */
  family?: SparkFamily;
  /** Stops Maven when the user interrupts. */
  signal?: AbortSignal;
}

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
  opts: ClasspathOptions = {},
): Promise<string[]> {
  const pomPath = path.join(sparkDir, 'pom.xml');
  const s3 = opts.s3 === true;
  const family = opts.family ?? DEFAULT_SPARK_FAMILY;
  const cacheFile = classpathCacheFile(sparkDir, cacheDir, s3, family);
  const cached = cachedSparkClasspath(sparkDir, cacheDir, s3, family);
  if (cached !== null) return cached;
  log(
    s3
      ? `Resolving the Spark ${family} classpath with S3 support (hadoop-aws + AWS SDK${family === '3.5' ? ' bundle, ~280 MB' : ''}) from Maven (once; cached afterwards)...`
      : `Resolving the Spark ${family} classpath from Maven (once; cached afterwards)...`,
  );
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  const r = await runCommand(toolchain.mvn, classpathMavenArgs(pomPath, tmp, opts), {
    env: toolchain.env,
    signal: opts.signal,
  });
  if (r.code !== 0 || !existsSync(tmp)) {
    const tail = (r.stdout + r.stderr).trim().split('\n').slice(-20).join('\n');
    throw new UserError(
      s3
        ? `Resolving the Spark classpath with S3 support (profile ${SPARK_FAMILY[family].s3aProfile}) with Maven failed.`
        : 'Resolving the Spark classpath with Maven failed.',
      {
        code: 'CLASSPATH_FAILED',
        hint: `Maven said:\n${tail}\nCheck that Maven can reach Maven Central or that ~/.m2 holds Spark ${SPARK_FAMILY[family].sparkVersion}${
          s3 ? `, ${SPARK_FAMILY[family].s3aArtifacts}` : ''
        }.`,
      },
    );
  }
  const entries = splitClasspath(readFileSync(tmp, 'utf8'));
  writeFileSync(cacheFile, entries.join(path.delimiter));
  rmSync(tmp, { force: true });
  return entries;
}

/** Where the classpath of this pom is cached: keyed by a hash of the pom, so a changed pom resolves again. */
function classpathCacheFile(sparkDir: string, cacheDir: string, s3: boolean, family: SparkFamily): string {
  const hash = createHash('sha256')
    .update(readFileSync(path.join(sparkDir, 'pom.xml')))
    .digest('hex')
    .slice(0, 16);
  const name = family === DEFAULT_SPARK_FAMILY ? '' : `${family}-`;
  return path.join(cacheDir, `spark-classpath-${name}${s3 ? 's3-' : ''}${hash}.txt`);
}

/** The cached classpath when every entry is still there, else null (Maven must resolve it). */
export function cachedSparkClasspath(
  sparkDir: string,
  cacheDir: string,
  s3: boolean,
  family: SparkFamily = DEFAULT_SPARK_FAMILY,
): string[] | null {
  const cacheFile = classpathCacheFile(sparkDir, cacheDir, s3, family);
  if (!existsSync(cacheFile)) return null;
  const entries = splitClasspath(readFileSync(cacheFile, 'utf8'));
  return entries.length > 0 && entries.every((e) => existsSync(e)) ? entries : null;
}

/** The Maven command line that writes the classpath to `outputFile`. */
export function classpathMavenArgs(
  pomPath: string,
  outputFile: string,
  opts: ClasspathOptions = {},
): string[] {
  return [
    '-B',
    '-q',
    '-f',
    pomPath,
    // The full list, every scope: some of Spark's netty jars resolve at compile scope through the
    // AWS SDK, so a provided-only list fails with NoClassDefFoundError. For S3 archives the
    // family's S3A profile adds hadoop-aws and its SDK.
    ...familyMavenArgs(opts.family ?? DEFAULT_SPARK_FAMILY),
    ...(opts.s3 === true ? ['-P', SPARK_FAMILY[opts.family ?? DEFAULT_SPARK_FAMILY].s3aProfile] : []),
    'dependency:build-classpath',
    `-Dmdep.outputFile=${outputFile}`,
  ];
}

function splitClasspath(text: string): string[] {
  return text
    .trim()
    .split(path.delimiter)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Where a local run's Spark classpath comes from, decided without running anything: the cached
 * Maven-resolved one; else Maven (when on PATH) resolves it; else the jars of `SPARK_HOME` (a
 * distribution of the run's family, with S3A when the run reads or writes S3); else nowhere.
 */
export type ClasspathSource =
  | { kind: 'cached'; classpath: string[] }
  | { kind: 'maven'; mvn: string }
  | { kind: 'spark-home'; home: string; classpath: string[] }
  | { kind: 'none'; problem: string; hint: string };

export function localClasspathSource(o: {
  sparkDir: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  s3: boolean;
  family: SparkFamily;
}): ClasspathSource {
  const cached = cachedSparkClasspath(o.sparkDir, o.cacheDir, o.s3, o.family);
  if (cached !== null) return { kind: 'cached', classpath: cached };
  const maven = locateMaven(o.env);
  if (maven.ok) return { kind: 'maven', mvn: maven.value };
  const home = o.env.SPARK_HOME;
  const f = SPARK_FAMILY[o.family];
  const hint = `Set SPARK_HOME to a Spark ${o.family} / Scala ${f.scalaBinaryVersion} distribution (e.g. \`pip install pyspark==${f.pysparkVersion}\` and its pyspark/ folder), or install Apache Maven 3.8+ (e.g. \`apt-get install maven\`) to resolve the classpath once. Runs on EMR Serverless need neither.`;
  if (home === undefined || home === '') {
    return {
      kind: 'none',
      problem: `a local run needs a Spark ${o.family} classpath: SPARK_HOME is not set and Maven (which resolves one) is not on PATH`,
      hint,
    };
  }
  let classpath: string[];
  try {
    classpath = sparkHomeAt(home, [], 'SPARK_HOME', o.family).classpath;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { kind: 'none', problem: `${e.message.replace(/\.$/, '')}, and Maven is not on PATH`, hint };
  }
  if (o.s3 && !classpath.some((p) => path.basename(p).startsWith('hadoop-aws-'))) {
    return {
      kind: 'none',
      problem: `the run reads or writes S3, but SPARK_HOME=${home} has no S3A (hadoop-aws) and Maven, which resolves it, is not on PATH`,
      hint: `Install Apache Maven 3.8+ (e.g. \`apt-get install maven\`), add ${f.s3aArtifacts} to ${path.join(home, 'jars')}, or run on EMR Serverless.`,
    };
  }
  return { kind: 'spark-home', home, classpath };
}
