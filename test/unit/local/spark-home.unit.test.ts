import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/domain/errors.js';
import { buildJavaArgs } from '../../../src/local/spark-launcher.js';
import {
  localClusterEnv,
  resolveSparkHome,
  runSparkHome,
  sparkHomeAt,
  sparkHomeFromClasspath,
} from '../../../src/local/spark-home.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-spark-home-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function touch(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '');
  return file;
}

const m2 = path.join(dir, 'm2');
const classpath = [
  touch(path.join(m2, 'a', 'spark-core_2.12-3.5.3.jar')),
  touch(path.join(m2, 'b', 'hadoop-aws-3.3.4.jar')),
  touch(path.join(m2, 'c', 'aws-java-sdk-bundle-1.12.262.jar')),
  touch(path.join(m2, 'd', 'util-1.0.jar')),
  touch(path.join(m2, 'e', 'util-1.0.jar')),
  path.join(m2, 'classes'),
];

describe('the Spark home of a local cluster', () => {
  it('is made once from the Maven classpath: jars/ links to every jar, a second name for a clash', () => {
    const cache = path.join(dir, 'cache');
    const home = sparkHomeFromClasspath(classpath, cache);
    expect(home.from).toBe('maven');
    expect(home.classpath).toEqual(classpath);
    expect(home.executorClasspath).toEqual([]);
    const names = readdirSync(home.jarsDir).sort();
    expect(names).toEqual(
      [
        '4-util-1.0.jar',
        'aws-java-sdk-bundle-1.12.262.jar',
        'hadoop-aws-3.3.4.jar',
        'spark-core_2.12-3.5.3.jar',
        'util-1.0.jar',
      ].sort(),
    );
    expect(readlinkSync(path.join(home.jarsDir, 'util-1.0.jar'))).toBe(classpath[3]);
    // The same classpath again: the same folder, not made anew.
    expect(sparkHomeFromClasspath(classpath, cache).jarsDir).toBe(home.jarsDir);
    expect(readdirSync(cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('takes a distribution from SPARK_HOME, adding S3A from the Maven classpath when it has none', () => {
    const dist = path.join(dir, 'pyspark');
    touch(path.join(dist, 'jars', 'spark-core_2.12-3.5.5.jar'));
    touch(path.join(dist, 'jars', 'hadoop-client-api-3.3.4.jar'));
    const home = resolveSparkHome({ SPARK_HOME: dist }, classpath, path.join(dir, 'unused'));
    expect(home.from).toBe('SPARK_HOME');
    expect(home.jarsDir).toBe(path.join(dist, 'jars'));
    expect(home.executorClasspath).toEqual([classpath[1], classpath[2]]);
    expect(home.classpath).toEqual([
      path.join(dist, 'jars', 'hadoop-client-api-3.3.4.jar'),
      path.join(dist, 'jars', 'spark-core_2.12-3.5.5.jar'),
      classpath[1],
      classpath[2],
    ]);
    expect(existsSync(path.join(dir, 'unused'))).toBe(false);
  });

  it('refuses a SPARK_HOME that is no Spark 3.5 / Scala 2.12 distribution, saying what to do', () => {
    const notSpark = path.join(dir, 'empty');
    mkdirSync(notSpark, { recursive: true });
    expect(() => sparkHomeAt(notSpark, [])).toThrow(UserError);
    expect(() => sparkHomeAt(notSpark, [])).toThrow(/no jars\/ folder/);
    const spark4 = path.join(dir, 'spark4');
    touch(path.join(spark4, 'jars', 'spark-core_2.13-4.0.2.jar'));
    const e = (() => {
      try {
        sparkHomeAt(spark4, []);
      } catch (err) {
        return err as UserError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('SPARK_HOME_INVALID');
    expect(e?.message).toContain('spark-core_2.13-4.0.2.jar');
    expect(e?.hint).toMatch(/pyspark==3\.5\.5/);
    // The same distribution is what a Spark 4.0 run needs.
    expect(sparkHomeAt(spark4, [], 'SPARK_HOME', '4.0')).toMatchObject({ family: '4.0', from: 'SPARK_HOME' });
    expect(() => sparkHomeAt(spark4, [], 'SPARK_HOME', '3.5')).toThrow(/not Spark 3\.5 for Scala 2\.12/);
  });

  it('gives each run a SPARK_HOME of its own (executor logs land there), on loopback', () => {
    const home = sparkHomeFromClasspath(classpath, path.join(dir, 'cache2'));
    const run = runSparkHome(home, path.join(dir, 'run-1', 'spark-cluster'));
    expect(lstatSync(path.join(run, 'jars')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(run, 'jars'))).toBe(home.jarsDir);
    // Twice for the same folder (a resumed run's log folder): the link is replaced, not an error.
    runSparkHome(home, run);
    expect(localClusterEnv(run, '3.5')).toEqual({
      SPARK_HOME: run,
      SPARK_SCALA_VERSION: '2.12',
      SPARK_LOCAL_IP: '127.0.0.1',
    });
    expect(localClusterEnv(run, '4.0').SPARK_SCALA_VERSION).toBe('2.13');
  });

  it('launches the driver on the home’s jars and ships the job jar (and --jars) to the executors', () => {
    const dist = path.join(dir, 'pyspark');
    const home = sparkHomeAt(dist, classpath);
    const args = buildJavaArgs(
      {
        jar: '/x/job.jar',
        jars: ['/x/lib.jar'],
        classpath: ['/not/used.jar'],
        jobArgs: ['--table', 't1'],
        master: 'local-cluster[2,1,768]',
        driverMemory: '1g',
        sparkHome: home,
      },
      '/logs/log4j2.properties',
    );
    expect(args).toContain('-Dspark.master=local-cluster[2,1,768]');
    expect(args).toContain('-Dspark.jars=/x/job.jar,/x/lib.jar');
    expect(args).toContain('-Dspark.executor.memory=768m');
    expect(args).toContain(
      `-Dspark.executor.extraClassPath=${[classpath[1], classpath[2]].join(path.delimiter)}`,
    );
    const cp = args[args.indexOf('-cp') + 1]!.split(path.delimiter);
    expect(cp.slice(0, 2)).toEqual(['/x/job.jar', '/x/lib.jar']);
    expect(cp).toContain(path.join(dist, 'jars', 'spark-core_2.12-3.5.5.jar'));
    expect(cp).not.toContain('/not/used.jar');
    // A master of one JVM: none of it.
    const local = buildJavaArgs(
      {
        jar: '/x/job.jar',
        classpath: ['/m2/a.jar'],
        jobArgs: [],
        master: 'local[2,4]',
        driverMemory: '1g',
        sparkHome: home,
      },
      '/logs/log4j2.properties',
    );
    expect(local.some((a) => a.startsWith('-Dspark.jars'))).toBe(false);
    expect(local[local.indexOf('-cp') + 1]).toBe(['/x/job.jar', '/m2/a.jar'].join(path.delimiter));
  });
});
