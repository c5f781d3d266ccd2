/**
 * The Spark home a local cluster (`local-cluster[N,C,M]`) launches its executor JVMs from: Spark
 * starts each executor as `java -cp $SPARK_HOME/jars/* ...`, so a cluster needs a Spark
 * distribution on disk. Either the user's (`SPARK_HOME`, e.g. a download from spark.apache.org or
 * PyPI's `pyspark` package) or one made once from the Maven-resolved classpath the local runner
 * already has (a `jars/` folder of links), so that nothing more is downloaded.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';
import {
  DEFAULT_SPARK_FAMILY,
  familyOfSparkCore,
  SPARK_FAMILY,
  type SparkFamily,
} from '../domain/spark-family.js';

export interface SparkHome {
  /**
   * The distribution's `jars/`. Each run gets a SPARK_HOME of its own that links to it
   * ([[runSparkHome]]): Spark's local workers keep the executors' logs and files in
   * `$SPARK_HOME/work`, which belongs with the run, not in a shared (or read-only) distribution.
   */
  jarsDir: string;
  /** Where it came from: the SPARK_HOME variable, or links to the Maven-resolved classpath. */
  from: 'SPARK_HOME' | 'maven';
  /** The driver's classpath, the job jar left out: the home's jars, plus `executorClasspath`. */
  classpath: string[];
  /** What executors need beyond `$SPARK_HOME/jars` (S3A's jars when the distribution has none). */
  executorClasspath: string[];
  /** The Spark family it runs (its Scala version is what the launcher must be told). */
  family: SparkFamily;
}

/**
 * S3A and its SDK, which Spark distributions do not ship (the family's S3A profile resolves them): the
 * SDK v1 bundle for Hadoop 3.3, the SDK v2 modules (named by their Maven folder) for Hadoop 3.4.
 */
function isS3aJar(p: string, family: SparkFamily): boolean {
  if (/^(hadoop-aws|aws-java-sdk-bundle)-[\d.]+\.jar$/.test(path.basename(p))) return true;
  return (
    family !== '3.5' &&
    /[\\/](software[\\/]amazon[\\/](awssdk|eventstream)|org[\\/]reactivestreams)[\\/]/.test(p)
  );
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A Spark distribution at `dir`, checked: it must hold `jars/` with the Spark family the run needs
 * (3.5 for Scala 2.12, or 4.0 for Scala 2.13). `mavenClasspath` gives the S3A jars to add when the
 * distribution has none.
 */
export function sparkHomeAt(
  dir: string,
  mavenClasspath: readonly string[],
  source = 'SPARK_HOME',
  family: SparkFamily = DEFAULT_SPARK_FAMILY,
): SparkHome {
  const jarsDir = path.join(dir, 'jars');
  const wanted = `Spark ${family} for Scala ${SPARK_FAMILY[family].scalaBinaryVersion}`;
  const fix = `Point SPARK_HOME at a ${wanted} distribution (a folder with jars/, e.g. \`pip install pyspark==${SPARK_FAMILY[family].pysparkVersion}\` and its pyspark/ folder), or unset it to let populator make one from the Maven-resolved classpath.`;
  if (!isDirectory(jarsDir)) {
    throw new UserError(`${source}=${dir} is not a Spark distribution: it has no jars/ folder.`, {
      code: 'SPARK_HOME_INVALID',
      hint: fix,
    });
  }
  const jars = readdirSync(jarsDir)
    .filter((f) => f.endsWith('.jar'))
    .sort();
  const core = jars.find((f) => f.startsWith('spark-core_'));
  if (core === undefined || familyOfSparkCore(core) !== family) {
    throw new UserError(
      `${source}=${dir} holds ${core ?? 'no spark-core jar'}, not ${wanted}, which the run needs.`,
      { code: 'SPARK_HOME_INVALID', hint: fix },
    );
  }
  const hasS3a = jars.some((f) => f.startsWith('hadoop-aws-'));
  const extra = hasS3a ? [] : mavenClasspath.filter((p) => isS3aJar(p, family));
  return {
    jarsDir,
    from: 'SPARK_HOME',
    classpath: [...jars.map((f) => path.join(jarsDir, f)), ...extra],
    executorClasspath: extra,
    family,
  };
}

/**
 * A Spark home made of links to the Maven-resolved classpath, under `cacheDir` (made once per
 * classpath; a half-made one, from a run that was stopped, is made again).
 */
export function sparkHomeFromClasspath(
  classpath: readonly string[],
  cacheDir: string,
  family: SparkFamily = DEFAULT_SPARK_FAMILY,
): SparkHome {
  const hash = createHash('sha256').update(classpath.join('\n')).digest('hex').slice(0, 16);
  const home = path.join(cacheDir, `spark-home-${hash}`);
  const done = path.join(home, '.complete');
  if (!existsSync(done)) {
    const tmp = `${home}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(path.join(tmp, 'jars'), { recursive: true });
    const seen = new Set<string>();
    classpath.forEach((entry, i) => {
      // Folders (classes/) cannot sit in jars/*; the job's classes come from its jar (spark.jars).
      if (!entry.endsWith('.jar')) return;
      let name = path.basename(entry);
      if (seen.has(name)) name = `${i}-${name}`;
      seen.add(name);
      symlinkSync(entry, path.join(tmp, 'jars', name));
    });
    writeFileSync(path.join(tmp, '.complete'), `${classpath.join('\n')}\n`);
    rmSync(home, { recursive: true, force: true });
    try {
      renameSync(tmp, home);
    } catch (e) {
      // Another process made it at the same moment: theirs is as good.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(done)) throw e;
    }
  }
  return {
    jarsDir: path.join(home, 'jars'),
    from: 'maven',
    classpath: [...classpath],
    executorClasspath: [],
    family,
  };
}

/** The Spark home of a local cluster: `SPARK_HOME` when set, else one made from the Maven classpath. */
export function resolveSparkHome(
  env: NodeJS.ProcessEnv,
  mavenClasspath: readonly string[],
  cacheDir: string,
  family: SparkFamily = DEFAULT_SPARK_FAMILY,
): SparkHome {
  const given = env.SPARK_HOME;
  return given !== undefined && given !== ''
    ? sparkHomeAt(given, mavenClasspath, 'SPARK_HOME', family)
    : sparkHomeFromClasspath(mavenClasspath, cacheDir, family);
}

/**
 * A run's own SPARK_HOME in `dir`: `jars` links to the distribution's; the executors' logs land in
 * `dir/work/<app>/<executor>/stderr`.
 */
export function runSparkHome(home: SparkHome, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'jars');
  rmSync(link, { recursive: true, force: true });
  symlinkSync(home.jarsDir, link);
  return dir;
}

/** The environment a local cluster's driver needs (its worker passes it on to the executors). */
export function localClusterEnv(sparkHomeDir: string, family: SparkFamily): Record<string, string> {
  return {
    SPARK_HOME: sparkHomeDir,
    // Spark's launcher otherwise looks for build folders to guess the Scala version.
    SPARK_SCALA_VERSION: SPARK_FAMILY[family].scalaBinaryVersion,
    // Every process of the cluster on loopback, never the host's own address.
    SPARK_LOCAL_IP: '127.0.0.1',
  };
}
