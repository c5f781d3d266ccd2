/** `npm run pack:jars`: fresh spark/target jars are copied (never rebuilt) into jars/, checked. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packJars } from '../../../scripts/pack-jars.js';
import { fakeJobJar } from '../../helpers/zip.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A checkout whose two jars are newer than their sources, built as `version`. */
function checkout(jarVersion: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'populator-pack-'));
  dirs.push(root);
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'populator', version: '2.0.0' }));
  const spark = path.join(root, 'spark');
  mkdirSync(path.join(spark, 'src', 'main'), { recursive: true });
  mkdirSync(path.join(spark, 'target', 'spark-4.0'), { recursive: true });
  writeFileSync(
    path.join(spark, 'pom.xml'),
    '<project><artifactId>populator-job</artifactId><version>2.0.0</version></project>',
  );
  const past = new Date(Date.now() - 60_000);
  for (const p of [path.join(spark, 'pom.xml'), path.join(spark, 'src', 'main')]) utimesSync(p, past, past);
  writeFileSync(path.join(spark, 'target', 'populator-job-2.0.0.jar'), fakeJobJar('3.5', jarVersion));
  writeFileSync(
    path.join(spark, 'target', 'spark-4.0', 'populator-job-2.0.0-spark-4.0.jar'),
    fakeJobJar('4.0', jarVersion),
  );
  mkdirSync(path.join(root, 'jars'));
  writeFileSync(path.join(root, 'jars', 'populator-job-1.9.0-spark-3.5.jar'), 'an older release');
  return root;
}

describe('packJars', () => {
  it('copies both fresh jars into jars/ without building, and drops older ones', async () => {
    const root = checkout('2.0.0');
    const lines: string[] = [];
    const packed = await packJars(root, (l) => lines.push(l));
    expect(packed.map((p) => [p.family, p.built])).toEqual([
      ['3.5', false],
      ['4.0', false],
    ]);
    expect(readdirSync(path.join(root, 'jars')).sort()).toEqual([
      'populator-job-2.0.0-spark-3.5.jar',
      'populator-job-2.0.0-spark-4.0.jar',
    ]);
    expect(readFileSync(path.join(root, 'jars', 'populator-job-2.0.0-spark-4.0.jar'))).toEqual(
      fakeJobJar('4.0', '2.0.0'),
    );
    expect(lines.join('\n')).not.toContain('(built)');
  });

  it("refuses jars whose version is not the package's", async () => {
    const root = checkout('1.9.9');
    await expect(packJars(root, () => {})).rejects.toThrow(
      /populator-job 1\.9\.9.*package\.json's \(2\.0\.0\)/,
    );
    expect(existsSync(path.join(root, 'jars', 'populator-job-2.0.0-spark-3.5.jar'))).toBe(false);
  });
});
