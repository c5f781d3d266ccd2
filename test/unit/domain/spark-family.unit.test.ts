import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  familyOfJar,
  familyOfRelease,
  familyOfSparkCore,
  releaseLabelToCreate,
  releaseProblem,
  SPARK_FAMILIES,
  SPARK_FAMILY,
} from '../../../src/domain/spark-family.js';

describe('Spark families', () => {
  it('are what spark/pom.xml builds: the default build 3.5, the spark-4.0 profile 4.0 (its folder and jar name)', () => {
    const pom = readFileSync('spark/pom.xml', 'utf8');
    const profile = /<id>spark-4\.0<\/id>([\s\S]*?)<\/profile>/.exec(pom)?.[1] ?? '';
    const defaults = pom.slice(0, pom.indexOf('<profiles>'));
    const prop = (xml: string, name: string): string | undefined =>
      new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
    expect(prop(defaults, 'spark.version')).toBe(SPARK_FAMILY['3.5'].sparkVersion);
    expect(prop(defaults, 'scala.binary.version')).toBe(SPARK_FAMILY['3.5'].scalaBinaryVersion);
    expect(prop(defaults, 'spark.family')).toBe('3.5');
    expect(prop(profile, 'spark.version')).toBe(SPARK_FAMILY['4.0'].sparkVersion);
    expect(prop(profile, 'scala.binary.version')).toBe(SPARK_FAMILY['4.0'].scalaBinaryVersion);
    expect(prop(profile, 'spark.family')).toBe('4.0');
    expect(profile).toContain(`\${project.basedir}/${SPARK_FAMILY['4.0'].buildDir}`);
    expect(profile).toContain(
      `<finalName>\${project.artifactId}-\${project.version}${SPARK_FAMILY['4.0'].jarSuffix}</finalName>`,
    );
  });

  it('are picked by the release label: emr-7.x runs 3.5, emr-spark-8.x runs 4.0, nothing else', () => {
    expect(familyOfRelease('emr-7.0.0')).toBe('3.5');
    expect(familyOfRelease('emr-7.13.0')).toBe('3.5');
    expect(familyOfRelease('emr-spark-8.0.0')).toBe('4.0');
    expect(familyOfRelease('emr-spark-8.1.0')).toBe('4.0');
    for (const l of ['emr-6.15.0', 'emr-8.0.0', 'emr-spark-9.0.0', 'emr-7.1', 'spark-4.0'])
      expect(familyOfRelease(l)).toBeUndefined();
    for (const f of SPARK_FAMILIES) expect(familyOfRelease(SPARK_FAMILY[f].defaultReleaseLabel)).toBe(f);
  });

  it('of a jar and of a distribution: Spark minor and Scala binary version together', () => {
    expect(familyOfJar({ version: '1', sparkVersion: '3.5.3', scalaBinaryVersion: '2.12' })).toBe('3.5');
    expect(familyOfJar({ version: '1', sparkVersion: '4.0.2', scalaBinaryVersion: '2.13' })).toBe('4.0');
    expect(familyOfJar({ version: '1', sparkVersion: '3.5.3', scalaBinaryVersion: '2.13' })).toBeUndefined();
    expect(familyOfJar({ version: '1', sparkVersion: '3.4.1', scalaBinaryVersion: '2.12' })).toBeUndefined();
    expect(familyOfSparkCore('spark-core_2.12-3.5.5.jar')).toBe('3.5');
    expect(familyOfSparkCore('spark-core_2.12-3.5.1-amzn-0.jar')).toBe('3.5');
    expect(familyOfSparkCore('spark-core_2.13-4.0.1.jar')).toBe('4.0');
    expect(familyOfSparkCore('spark-core_2.13-3.5.5.jar')).toBeUndefined();
  });

  it('say why a release cannot run the job, and why a jar of the other family cannot', () => {
    expect(releaseProblem('emr-7.13.0')).toBeNull();
    expect(releaseProblem('emr-spark-8.0.0')).toBeNull();
    expect(releaseProblem('emr-6.15.0')?.message).toMatch(/Spark 3\.0-3\.4 on Java 8 or 11/);
    expect(releaseProblem('something')?.message).toMatch(
      /emr-7\.x \(Spark 3\.5\) and emr-spark-8\.x \(Spark 4\.0\)/,
    );
    const jar35 = { family: '3.5' as const, built: 'Spark 3.5.3 / Scala 2.12' };
    expect(releaseProblem('emr-7.5.0', jar35)).toBeNull();
    const p = releaseProblem('emr-spark-8.0.0', jar35);
    expect(p?.message).toMatch(
      /built for Spark 3\.5\.3 \/ Scala 2\.12, but emr-spark-8\.0\.0 runs Spark 4\.0/,
    );
    expect(p?.hint).toMatch(/mvn -P spark-4\.0 package/);
    expect(
      releaseProblem('emr-7.5.0', { family: undefined, built: 'Spark 3.4.1 / Scala 2.12' })?.message,
    ).toMatch(/built for Spark 3\.4\.1/);
  });

  it('give --create-application its label: --release-label, else the family asked for, else 3.5', () => {
    expect(releaseLabelToCreate('emr-7.5.0', '4.0')).toBe('emr-7.5.0');
    expect(releaseLabelToCreate(undefined, '4.0')).toBe('emr-spark-8.0.0');
    expect(releaseLabelToCreate(undefined, undefined)).toBe('emr-7.13.0');
  });
});
