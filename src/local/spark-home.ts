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
}

/** The Spark line the job is built for: its core jar in a distribution's `jars/`. */
const SPARK_CORE = /^spark-core_2\.12-3\.5\.\d+.*\.jar$/;
/** S3A and its SDK, which Spark distributions do not ship (the local-s3 profile resolves them). */
const S3A_JARS = /^(hadoop-aws|aws-java-sdk-bundle)-[\d.]+\.jar$/;

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A Spark distribution at `dir`, checked: it must hold `jars/` with Spark 3.5 for Scala 2.12 (the
 * job's build). `mavenClasspath` gives the S3A jars to add when the distribution has none.
 */
export function sparkHomeAt(
  dir: string,
  mavenClasspath: readonly string[],
  source = 'SPARK_HOME',
): SparkHome {
  const jarsDir = path.join(dir, 'jars');
  const fix =
    'Point SPARK_HOME at a Spark 3.5 distribution for Scala 2.12 (a folder with jars/, e.g. `pip install pyspark==3.5.5` and its pyspark/ folder), or unset it to let populator make one from the Maven-resolved classpath.';
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
  if (core === undefined || !SPARK_CORE.test(core)) {
    throw new UserError(
      `${source}=${dir} holds ${core ?? 'no spark-core jar'}, not Spark 3.5 for Scala 2.12, which the job is built for.`,
      { code: 'SPARK_HOME_INVALID', hint: fix },
    );
  }
  const hasS3a = jars.some((f) => f.startsWith('hadoop-aws-'));
  const extra = hasS3a ? [] : mavenClasspath.filter((p) => S3A_JARS.test(path.basename(p)));
  return {
    jarsDir,
    from: 'SPARK_HOME',
    classpath: [...jars.map((f) => path.join(jarsDir, f)), ...extra],
    executorClasspath: extra,
  };
}

/**
 * A Spark home made of links to the Maven-resolved classpath, under `cacheDir` (made once per
 * classpath; a half-made one, from a run that was stopped, is made again).
 */
export function sparkHomeFromClasspath(classpath: readonly string[], cacheDir: string): SparkHome {
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
  };
}

/** The Spark home of a local cluster: `SPARK_HOME` when set, else one made from the Maven classpath. */
export function resolveSparkHome(
  env: NodeJS.ProcessEnv,
  mavenClasspath: readonly string[],
  cacheDir: string,
): SparkHome {
  const given = env.SPARK_HOME;
  return given !== undefined && given !== ''
    ? sparkHomeAt(given, mavenClasspath)
    : sparkHomeFromClasspath(mavenClasspath, cacheDir);
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
export function localClusterEnv(sparkHomeDir: string): Record<string, string> {
  return {
    SPARK_HOME: sparkHomeDir,
    // Spark's launcher otherwise looks for build folders to guess the Scala version.
    SPARK_SCALA_VERSION: '2.12',
    // Every process of the cluster on loopback, never the host's own address.
    SPARK_LOCAL_IP: '127.0.0.1',
  };
}
