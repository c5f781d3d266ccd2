/**
 * `npm run pack:jars` (and `prepack`, so every `npm pack` and `npm publish`): puts both job jars,
 * one per Spark family, into `jars/` (git-ignored), where an installed populator finds them
 * (src/local/packaged-jars.ts). A jar is built with Maven only when spark/target's is missing or
 * older than its sources (the rule `submit` uses in a checkout); a fresh one is copied as it is.
 * Each copy is checked: its build info must name its family and the package's version.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeFamily, familyOfJar, SPARK_FAMILIES } from '../src/domain/spark-family.js';
import { ensureJobJar, jarIsStale, jobJarPath } from '../src/local/jar.js';
import { cliVersion, PACKAGED_JARS_DIR, packagedJarName } from '../src/local/packaged-jars.js';
import { readLocalJarInfo } from '../src/local/file-range.js';
import { findToolchain, type Toolchain } from '../src/local/toolchain.js';

/** What was done for each family: built (or reused) and copied to `jars/`. */
export interface PackedJar {
  family: string;
  built: boolean;
  file: string;
}

/** Builds what is stale, copies both jars into `<root>/jars/` and removes any other file there. */
export async function packJars(root: string, log: (line: string) => void): Promise<PackedJar[]> {
  const sparkDir = path.join(root, 'spark');
  const version = cliVersion(root);
  const outDir = path.join(root, PACKAGED_JARS_DIR);
  let toolchain: Toolchain | undefined;
  const packed: PackedJar[] = [];
  mkdirSync(outDir, { recursive: true });
  for (const family of SPARK_FAMILIES) {
    let built = false;
    if (jarIsStale(sparkDir, family)) {
      toolchain ??= await findToolchain(process.env, { needMaven: true });
      built = (await ensureJobJar(sparkDir, toolchain, log, { family })).built;
    }
    const source = jobJarPath(sparkDir, family);
    const info = await readLocalJarInfo(source);
    if (info === null || familyOfJar(info) !== family || info.version !== version) {
      const what =
        info === null
          ? 'no build info'
          : `populator-job ${info.version}, Spark ${info.sparkVersion} / Scala ${info.scalaBinaryVersion}`;
      throw new Error(
        `${source} holds ${what}, not populator-job ${version} for ${describeFamily(family)}: spark/pom.xml's version must be package.json's (${version}).`,
      );
    }
    const file = path.join(outDir, packagedJarName(version, family));
    copyFileSync(source, file);
    packed.push({ family, built, file });
    log(`${path.relative(root, file)} <- ${path.relative(root, source)}${built ? ' (built)' : ''}`);
  }
  const keep = new Set(packed.map((p) => path.basename(p.file)));
  for (const name of readdirSync(outDir))
    if (!keep.has(name)) rmSync(path.join(outDir, name), { force: true });
  return packed;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  try {
    await packJars(root, (line) => process.stderr.write(`pack:jars: ${line}\n`));
  } catch (e) {
    process.stderr.write(`pack:jars: ${e instanceof Error ? e.message : String(e)}\n`);
    if (e instanceof Error && 'hint' in e && typeof e.hint === 'string') process.stderr.write(`${e.hint}\n`);
    process.exitCode = 1;
  }
}
