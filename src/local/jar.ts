/**
 * Which job jar a run uses (`findJobJar`: one rule for validate, the plan and both runners), and
 * building it in a dev checkout when it is missing or older than its sources.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';
import {
  DEFAULT_SPARK_FAMILY,
  SPARK_FAMILY,
  type JarBuildInfo,
  type SparkFamily,
} from '../domain/spark-family.js';
import { readPackagedJar } from './packaged-jars.js';
import { runCommand } from './process.js';
import { findToolchain, type Toolchain } from './toolchain.js';

/**
 * The jar a run uses: `--jar` as given (a local file, absolute, or an `s3://` URI); in a dev
 * checkout (spark/src there), the one spark/ builds; in an installed package, the one it carries.
 */
export type JobJar =
  | { kind: 'given'; location: string }
  | { kind: 'packaged'; path: string; info: JarBuildInfo }
  | { kind: 'build'; path: string; sparkDir: string; stale: boolean };

/** A dev checkout holds the job's sources; an installed package holds its prebuilt jars instead. */
export function isDevCheckout(projectRoot: string): boolean {
  return existsSync(path.join(projectRoot, 'spark', 'src'));
}

/**
 * The one rule for which jar a run of `family` uses: an explicit `--jar` wins; a dev checkout builds
 * (or reuses) spark/target's; an installed package uses its packaged jar of the family, checked
 * against the family and the CLI's version (a `UserError` saying how to fix it otherwise).
 */
export async function findJobJar(
  family: SparkFamily,
  o: { projectRoot: string; jar?: string | undefined },
): Promise<JobJar> {
  if (o.jar !== undefined) return { kind: 'given', location: o.jar };
  if (isDevCheckout(o.projectRoot)) {
    const sparkDir = path.join(o.projectRoot, 'spark');
    return {
      kind: 'build',
      path: jobJarPath(sparkDir, family),
      sparkDir,
      stale: jarIsStale(sparkDir, family),
    };
  }
  const packaged = await readPackagedJar(o.projectRoot, family);
  return { kind: 'packaged', ...packaged };
}

/**
 * The file of a local job jar, built first when it is spark/'s and stale (that alone needs Java and
 * Maven: `env` is where they are looked for). An `s3://` `--jar` has no file here: callers handle it.
 */
export async function jobJarFile(
  jar: JobJar,
  family: SparkFamily,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<string> {
  if (jar.kind === 'given') return jar.location;
  if (jar.kind === 'packaged' || !jarIsStale(jar.sparkDir, family)) return jar.path;
  const toolchain = await findToolchain(env, { needMaven: true });
  return (await ensureJobJar(jar.sparkDir, toolchain, log, { signal, family })).jar;
}

/** The job's Maven version, read from spark/pom.xml (the project's version, not a parent's). */
export function readJobVersion(sparkDir: string): string {
  const pom = readFileSync(path.join(sparkDir, 'pom.xml'), 'utf8');
  const m = /<artifactId>populator-job<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom);
  if (!m?.[1]) throw new Error(`cannot read the job version from ${path.join(sparkDir, 'pom.xml')}`);
  return m[1];
}

/** Path of the shaded jar `mvn package` produces for a Spark family (`-P spark-4.0`: its own build folder). */
export function jobJarPath(sparkDir: string, family: SparkFamily = DEFAULT_SPARK_FAMILY): string {
  const f = SPARK_FAMILY[family];
  return path.join(sparkDir, f.buildDir, `populator-job-${readJobVersion(sparkDir)}${f.jarSuffix}.jar`);
}

/** The Maven arguments that select a family's build (none for the default one). */
export function familyMavenArgs(family: SparkFamily): string[] {
  const profile = SPARK_FAMILY[family].mavenProfile;
  return profile === undefined ? [] : ['-P', profile];
}

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

/** True when the jar is missing or any job source (or the pom) changed after it was built. */
export function jarIsStale(sparkDir: string, family: SparkFamily = DEFAULT_SPARK_FAMILY): boolean {
  const jar = jobJarPath(sparkDir, family);
  if (!existsSync(jar)) return true;
  const sources = Math.max(
    newestMtime(path.join(sparkDir, 'pom.xml')),
    newestMtime(path.join(sparkDir, 'src', 'main')),
  );
  return sources > statSync(jar).mtimeMs;
}

/** Returns the job jar, building it first with Maven (tests skipped) when missing or stale. */
export async function ensureJobJar(
  sparkDir: string,
  toolchain: Toolchain,
  log: (line: string) => void,
  opts: { signal?: AbortSignal; family?: SparkFamily } = {},
): Promise<{ jar: string; built: boolean }> {
  const { signal } = opts;
  const family = opts.family ?? DEFAULT_SPARK_FAMILY;
  const jar = jobJarPath(sparkDir, family);
  if (!jarIsStale(sparkDir, family)) return { jar, built: false };
  log(
    existsSync(jar)
      ? `Rebuilding the Spark ${family} job jar (its sources changed)...`
      : `Building the Spark ${family} job jar (the first build downloads Spark, about 300 MB, into ~/.m2)...`,
  );
  const started = Date.now();
  const r = await runCommand(
    toolchain.mvn,
    ['-B', '-q', '-DskipTests', ...familyMavenArgs(family), '-f', path.join(sparkDir, 'pom.xml'), 'package'],
    {
      env: toolchain.env,
      signal,
    },
  );
  if (r.code !== 0 || !existsSync(jar)) {
    const tail = (r.stdout + r.stderr).trim().split('\n').slice(-30).join('\n');
    throw new UserError(`Building the Spark ${family} job jar failed (mvn exit ${r.code ?? r.signal}).`, {
      code: 'JAR_BUILD_FAILED',
      hint: `Maven said:\n${tail}\nCheck that Maven can reach Maven Central (or that ~/.m2 holds the dependencies), or pass --jar with a built jar.`,
    });
  }
  log(
    `Built ${path.relative(process.cwd(), jar) || jar} in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  );
  return { jar, built: true };
}
