/**
 * The Spark 4.0 / Scala 2.13 jar (`-P spark-4.0`) on local Spark 4.0 (its Maven-resolved
 * classpath), on two executor JVMs: the table must hold exactly the oracle's items, as the Spark
 * 3.5 jar's runs do (submit.e2e.test.ts), and the driver must really have run Spark 4.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { readJarBuildInfo } from '../../src/domain/jar-info.js';
import { SPARK_FAMILY } from '../../src/domain/spark-family.js';
import { readFileRange } from '../../src/local/file-range.js';
import { loadRunRecord } from '../../src/services/run-records.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submitLocal } from '../../src/services/submit.js';
import { readBadRows, startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
let stack: LocalStack;
let archive: DemoArchiveManifest;

beforeAll(async () => {
  stack = await startLocalStack();
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 11,
    events: 900,
    firstRun: NOW.minus({ days: 2 }),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The pyspark 4.0.x distribution CI installs (.ci/run), the way EMR runs a jar: its own jars/. */
const SPARK4_HOME = process.env.POPULATOR_TEST_SPARK4_HOME;

/** A --spark 4.0 run on two executor JVMs, checked against the oracle; `sparkHome` undefined: Maven's. */
async function runSpark4(table: string, sparkHome: string | undefined) {
  await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
  const expected = defaultManifest(archive.runs, NOW, 'run');
  const lines: string[] = [];
  const base = stack.submitOptions({ archive: archive.dir, table, staging: table, now: NOW });
  const r = await submitLocal({
    ...base,
    spark: '4.0',
    recordsDir: path.join(stack.dir, 'records'),
    emr: { sizing: { executors: 2, executorMemory: '768m' } },
    env: { ...base.env, SPARK_HOME: sparkHome },
    log: (l) => lines.push(l),
  });
  expect(lines.join('\n')).toContain('local-cluster[2,1,768]');
  expect(r.summary.writerExecutors).toBe(2);
  expect(r.summary.counters).toEqual(expected.counters);
  expect(countersAddUp(r.summary.counters)).toBe(true);
  expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
  const bad = readBadRows(r.badRows);
  expect(bad.map((b) => `${b.reason}\t${b.line}`).sort()).toEqual(
    expected.badRows.map((b) => `${b.reason}\t${b.line}`).sort(),
  );
  // The record keeps the family, so that a resume runs the same jar.
  expect(loadRunRecord(path.join(stack.dir, 'records'), r.runName).spark).toBe('4.0');
  return { r, lines };
}

describe('submit --runner local --spark 4.0, end to end', () => {
  it('runs the Spark 4.0 / Scala 2.13 jar on two executor JVMs of Spark 4.0 (Maven-resolved): exactly the oracle items and bad rows', async () => {
    // CI's SPARK_HOME is a Spark 3.5 distribution: the executors start from the Maven-made 4.0 home.
    const { r } = await runSpark4('manifest-spark4', undefined);
    // Spark 4 ran it (the executors' Spark home holds Spark 4.0's core), with the jar built for it.
    const homeJars = readdirSync(path.join(path.dirname(r.logFile), 'spark-cluster', 'jars'));
    expect(homeJars).toContain(`spark-core_2.13-${SPARK_FAMILY['4.0'].sparkVersion}.jar`);
    expect(homeJars.some((j) => j.startsWith('spark-core_2.12'))).toBe(false);
    const jar = path.resolve('spark', SPARK_FAMILY['4.0'].buildDir, 'populator-job-0.1.0-spark-4.0.jar');
    const info = await readJarBuildInfo(
      (off, len) => Promise.resolve(readFileRange(jar, off, len)),
      statSync(jar).size,
    );
    expect(info).toMatchObject({ sparkVersion: '4.0.2', scalaBinaryVersion: '2.13' });
  }, 600_000);

  // CI sets POPULATOR_TEST_SPARK4_HOME (.ci/run installs pyspark 4.0.2); elsewhere this one is skipped.
  it.skipIf(!SPARK4_HOME)(
    "runs it on a stock Spark 4.0 distribution (PyPI's pyspark, as SPARK_HOME): the same items",
    async () => {
      const { r, lines } = await runSpark4('manifest-spark4-home', SPARK4_HOME);
      expect(lines.join('\n')).toContain(`SPARK_HOME (${SPARK4_HOME})`);
      const homeJars = readdirSync(path.join(path.dirname(r.logFile), 'spark-cluster', 'jars'));
      expect(homeJars).toContain('spark-core_2.13-4.0.2.jar');
    },
    600_000,
  );
});
