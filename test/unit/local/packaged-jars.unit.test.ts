/**
 * Which job jar a run uses (findJobJar) and where a local run's Spark classpath comes from
 * (localClasspathSource): a dev checkout builds spark/'s, an installed package uses the jar of the
 * family it ships (checked against the family and its version), an explicit --jar wins.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localClasspathSource } from '../../../src/local/classpath.js';
import { findJobJar } from '../../../src/local/jar.js';
import { packagedJarPath } from '../../../src/local/packaged-jars.js';
import { fakeJobJar } from '../../helpers/zip.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'populator-unit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const POM = '<project><artifactId>populator-job</artifactId>\n  <version>1.2.3</version></project>';

/** An installed package: package.json, spark/pom.xml (no sources), and the jars it was packed with. */
function installed(jars: Record<string, Buffer>): string {
  const root = tmp();
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'populator', version: '1.2.3' }));
  mkdirSync(path.join(root, 'spark'));
  writeFileSync(path.join(root, 'spark', 'pom.xml'), POM);
  mkdirSync(path.join(root, 'jars'));
  for (const [name, data] of Object.entries(jars)) writeFileSync(path.join(root, 'jars', name), data);
  return root;
}

describe('findJobJar', () => {
  it('uses the packaged jar of the family in an installed package', async () => {
    const root = installed({
      'populator-job-1.2.3-spark-3.5.jar': fakeJobJar('3.5', '1.2.3'),
      'populator-job-1.2.3-spark-4.0.jar': fakeJobJar('4.0', '1.2.3'),
    });
    const j35 = await findJobJar('3.5', { projectRoot: root });
    expect(j35).toMatchObject({
      kind: 'packaged',
      path: packagedJarPath(root, '1.2.3', '3.5'),
      info: { version: '1.2.3', scalaBinaryVersion: '2.12' },
    });
    const j40 = await findJobJar('4.0', { projectRoot: root });
    expect(j40).toMatchObject({ kind: 'packaged', info: { scalaBinaryVersion: '2.13' } });
  });

  it('refuses a packaged jar that is missing, of another family or of another version', async () => {
    const root = installed({
      'populator-job-1.2.3-spark-3.5.jar': fakeJobJar('4.0', '1.2.3'),
      'populator-job-1.2.3-spark-4.0.jar': fakeJobJar('4.0', '1.2.2'),
    });
    await expect(findJobJar('3.5', { projectRoot: root })).rejects.toMatchObject({
      code: 'PACKAGED_JAR_INVALID',
      message: expect.stringContaining('Scala 2.13') as unknown,
      hint: expect.stringContaining('npm install -g populator@1.2.3') as unknown,
    });
    await expect(findJobJar('4.0', { projectRoot: root })).rejects.toMatchObject({
      code: 'PACKAGED_JAR_INVALID',
      message: expect.stringContaining('populator-job 1.2.2') as unknown,
    });
    const empty = installed({});
    await expect(findJobJar('3.5', { projectRoot: empty })).rejects.toMatchObject({
      code: 'PACKAGED_JAR_MISSING',
    });
  });

  it('builds spark/ in a dev checkout, and an explicit --jar wins over both', async () => {
    const root = installed({ 'populator-job-1.2.3-spark-3.5.jar': fakeJobJar('3.5', '1.2.3') });
    expect(await findJobJar('3.5', { projectRoot: root, jar: '/x/my.jar' })).toEqual({
      kind: 'given',
      location: '/x/my.jar',
    });
    mkdirSync(path.join(root, 'spark', 'src', 'main'), { recursive: true });
    expect(await findJobJar('4.0', { projectRoot: root })).toEqual({
      kind: 'build',
      path: path.join(root, 'spark', 'target', 'spark-4.0', 'populator-job-1.2.3-spark-4.0.jar'),
      sparkDir: path.join(root, 'spark'),
      stale: true,
    });
  });
});

describe('localClasspathSource', () => {
  function sources(env: NodeJS.ProcessEnv, s3 = false) {
    const root = installed({});
    return localClasspathSource({
      sparkDir: path.join(root, 'spark'),
      cacheDir: path.join(root, 'cache'),
      env,
      s3,
      family: '3.5',
    });
  }

  function sparkHome(jars: string[]): string {
    const home = tmp();
    mkdirSync(path.join(home, 'jars'));
    for (const j of jars) writeFileSync(path.join(home, 'jars', j), '');
    return home;
  }

  it('says what to install when there is neither SPARK_HOME nor Maven', () => {
    const none = sources({ PATH: tmp() });
    expect(none).toMatchObject({ kind: 'none' });
    if (none.kind !== 'none') return;
    expect(none.problem).toContain('SPARK_HOME is not set and Maven');
    expect(none.hint).toContain('pip install pyspark==3.5.5');
    expect(none.hint).toContain('EMR Serverless need neither');
  });

  it("uses SPARK_HOME's jars without Maven, but not for S3 without S3A", () => {
    const home = sparkHome(['spark-core_2.12-3.5.5.jar', 'scala-library-2.12.18.jar']);
    const found = sources({ PATH: tmp(), SPARK_HOME: home });
    expect(found).toMatchObject({ kind: 'spark-home', home });
    if (found.kind === 'spark-home') expect(found.classpath).toHaveLength(2);
    expect(sources({ PATH: tmp(), SPARK_HOME: home }, true)).toMatchObject({
      kind: 'none',
      problem: expect.stringContaining('no S3A (hadoop-aws)') as unknown,
    });
    const wrong = sparkHome(['spark-core_2.13-4.0.1.jar']);
    expect(sources({ PATH: tmp(), SPARK_HOME: wrong })).toMatchObject({
      kind: 'none',
      problem: expect.stringContaining('Maven is not on PATH') as unknown,
    });
  });
});
