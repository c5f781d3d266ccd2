/**
 * The job jars the npm package carries: one per Spark family, in `<package root>/jars/`, built by
 * `npm run pack:jars` (the `prepack` script) so that an installed populator submits to EMR
 * Serverless without Java or Maven. Each is checked before use: its build info
 * (`populator-job.properties`) must name the family asked for and the CLI's own version.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';
import { describeFamily, familyOfJar, type JarBuildInfo, type SparkFamily } from '../domain/spark-family.js';
import { readLocalJarInfo } from './file-range.js';

/** The package's folder of prebuilt jars, relative to its root. */
export const PACKAGED_JARS_DIR = 'jars';

/** A packaged jar, read and checked. */
export interface PackagedJar {
  path: string;
  info: JarBuildInfo;
}

/** `populator-job-0.1.0-spark-3.5.jar`: the version and the family in the name, for both families alike. */
export function packagedJarName(version: string, family: SparkFamily): string {
  return `populator-job-${version}-spark-${family}.jar`;
}

/** Where the package keeps the jar of a family. */
export function packagedJarPath(packageRoot: string, version: string, family: SparkFamily): string {
  return path.join(packageRoot, PACKAGED_JARS_DIR, packagedJarName(version, family));
}

/** The CLI's version: the package's own (package.json). */
export function cliVersion(packageRoot: string): string {
  const file = path.join(packageRoot, 'package.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof parsed.version !== 'string') throw new Error(`${file} has no version`);
  return parsed.version;
}

/**
 * The packaged jar of `family`, checked: there, a populator job jar, built for that family and for
 * this version of the CLI. Throws a `UserError` that says how to get a good one otherwise.
 */
export async function readPackagedJar(packageRoot: string, family: SparkFamily): Promise<PackagedJar> {
  const version = cliVersion(packageRoot);
  const file = packagedJarPath(packageRoot, version, family);
  const reinstall = `Reinstall populator (\`npm install -g populator@${version}\`), or pass --jar with a job jar built for ${describeFamily(family)}.`;
  if (!existsSync(file)) {
    throw new UserError(`The Spark ${family} job jar populator ships with is missing: ${file}.`, {
      code: 'PACKAGED_JAR_MISSING',
      hint: reinstall,
    });
  }
  const info = await readLocalJarInfo(file);
  if (info === null) {
    throw new UserError(`${file} is not a populator job jar (it holds no build info).`, {
      code: 'PACKAGED_JAR_INVALID',
      hint: reinstall,
    });
  }
  const built = familyOfJar(info);
  if (built !== family || info.version !== version) {
    throw new UserError(
      `${file} is populator-job ${info.version} for Spark ${info.sparkVersion} / Scala ${info.scalaBinaryVersion}, but populator ${version} runs the job for ${describeFamily(family)}.`,
      { code: 'PACKAGED_JAR_INVALID', hint: reinstall },
    );
  }
  return { path: file, info };
}
