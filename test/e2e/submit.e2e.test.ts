/**
 * The real job jar on Spark local[*] against dynalite: the table must hold exactly the items
 * DESIGN 3.2 prescribes for the archive (the oracle in src/domain/enriched.ts), in both etl-time
 * modes; a re-run adds and changes nothing; every malformed line lands in the bad rows.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtlTimeMode } from '../../src/domain/contract.js';
import { UserError } from '../../src/domain/errors.js';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submitLocal, type SubmitOptions } from '../../src/services/submit.js';
import {
  readBadRows,
  startLocalStack,
  TEST_KEYS,
  TEST_REGION,
  type LocalStack,
} from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const root = path.resolve('.');
let stack: LocalStack;
let archive: DemoArchiveManifest;

function options(table: string, etlTime: EtlTimeMode, staging: string): SubmitOptions {
  return stack.submitOptions({ archive: archive.dir, table, staging, now: NOW }, { etlTime });
}

beforeAll(async () => {
  stack = await startLocalStack();
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 7,
    events: 1200,
    firstRun: NOW.minus({ days: 3 }),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('submit --runner local, end to end', () => {
  it.each(['run', 'event'] as const)(
    'writes exactly the prescribed items with etl-time %s, keeps every bad line, and a re-run changes nothing',
    async (mode) => {
      const table = `manifest-${mode}`;
      await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
      const expected = defaultManifest(archive.runs, NOW, mode);

      const first = await submitLocal(options(table, mode, `${mode}-1`));
      expect(first.summary.counters).toEqual(expected.counters);
      expect(countersAddUp(first.summary.counters)).toBe(true);
      expect(first.summary.runsSelected).toHaveLength(archive.runs.length);
      expect(first.summary.ignoredPaths.length).toBeGreaterThan(0);
      const items = (await stack.dynamo.scanItems(table)).sort(compareKeys);
      expect(items).toEqual(expected.items);

      const bad = readBadRows(first.badRows);
      expect(bad.map((b) => `${b.reason}\t${b.line}`).sort()).toEqual(
        expected.badRows.map((b) => `${b.reason}\t${b.line}`).sort(),
      );
      expect(bad.every((b) => b.sourceFile.includes('run='))).toBe(true);

      const second = await submitLocal(options(table, mode, `${mode}-2`));
      expect(second.summary.counters).toEqual({
        ...expected.counters,
        written: 0,
        alreadyPresent: expected.items.length,
      });
      expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
    },
    300_000,
  );

  it.each([
    ['SPARK_HOME when set (CI: PyPI pyspark), else the Maven classpath', 'env', {}],
    ['the Maven-resolved classpath', 'maven', { SPARK_HOME: undefined }],
  ] as const)(
    'on two executor JVMs (--executors 2, Spark home from %s): the same items and bad rows as in one JVM',
    async (_, tag, sparkEnv) => {
      const table = `manifest-cluster-${tag}`;
      await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
      const expected = defaultManifest(archive.runs, NOW, 'run');
      const lines: string[] = [];
      const base = options(table, 'run', table);
      const r = await submitLocal({
        ...base,
        emr: { sizing: { executors: 2, executorMemory: '768m' } },
        env: { ...base.env, ...sparkEnv },
        log: (l) => lines.push(l),
      });
      expect(lines.join('\n')).toContain('local-cluster[2,1,768]');
      expect(r.summary.writerExecutors).toBe(2);
      expect(r.summary.counters).toEqual(expected.counters);
      expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
      const bad = readBadRows(r.badRows);
      expect(bad.map((b) => `${b.reason}\t${b.line}`).sort()).toEqual(
        expected.badRows.map((b) => `${b.reason}\t${b.line}`).sort(),
      );
      // The executors were JVMs of their own, with their own logs beside the driver's.
      const work = path.join(path.dirname(r.logFile), 'spark-cluster', 'work');
      const executorLogs = readdirSync(work).flatMap((app) =>
        readdirSync(path.join(work, app)).map((e) => path.join(work, app, e, 'stderr')),
      );
      expect(executorLogs).toHaveLength(2);
    },
    300_000,
  );

  it('counts a key already present with another etlTime as conflicting and leaves it as it was', async () => {
    const table = 'manifest-conflict';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const expected = defaultManifest(archive.runs, NOW);
    const victim = expected.items[0]!;
    const raw = new DynamoDBClient({
      region: TEST_REGION,
      endpoint: stack.dynalite.endpoint,
      credentials: TEST_KEYS,
    });
    await raw.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          eventId: { S: victim.eventId },
          fingerprint: { S: victim.fingerprint },
          etlTime: { N: '1' },
          ttl: { N: '2' },
        },
      }),
    );
    raw.destroy();
    const r = await submitLocal(options(table, 'run', 'conflict'));
    expect(r.summary.counters.conflicting).toBe(1);
    expect(r.summary.counters.written).toBe(expected.items.length - 1);
    const kept = (await stack.dynamo.scanItems(table)).find(
      (i) => i.eventId === victim.eventId && i.fingerprint === victim.fingerprint,
    );
    expect(kept).toMatchObject({ etlTime: 1, ttl: 2 });
  }, 300_000);

  it('refuses a table that does not exist before starting Spark, saying how to fix it', async () => {
    const err = await submitLocal(options('no-such-table', 'run', 'missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/no-such-table.*does not exist/);
    expect((err as UserError).hint).toMatch(/eventId.*fingerprint/);
  });

  it('prints only the JSON result with --json, and never the secret key', async () => {
    const table = 'manifest-cli';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    // The same submit command line, run as a user would (the records under XDG_CONFIG_HOME).
    const submitArgs = [
      'submit',
      archive.dir,
      stack.storageConfig(table),
      stack.resolver,
      '--runner',
      'local',
      '--since',
      archive.runs[1]!.runId,
      '--staging',
      path.join(stack.dir, 'cli'),
      '--master',
      'local[2]',
      '--json',
    ];
    const submitCli = (extra: string[] = []) =>
      promisify(execFile)(process.execPath, [path.join(root, 'bin', 'run.js'), ...submitArgs, ...extra], {
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint,
          XDG_CONFIG_HOME: path.join(stack.dir, 'config'),
        },
        maxBuffer: 64 * 1024 * 1024,
      });
    const { stdout, stderr } = await submitCli();
    const result = JSON.parse(stdout) as {
      status: string;
      runName: string;
      output: string;
      logFile: string;
      summary: { runsSelected: string[]; counters: { written: number } };
    };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toBe(path.join(stack.dir, 'cli', 'runs', result.runName));
    // The run is recorded for status, verify and --resume; the record holds no secret.
    const recordFile = path.join(stack.dir, 'config', 'populator', 'runs', `${result.runName}.json`);
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as {
      runner: string;
      output: string;
      table: string;
      inputs: { since: string | null; archive: string };
    };
    expect(record).toMatchObject({ runner: 'local', output: result.output, table });
    expect(record.inputs.since).toBe(archive.runs[1]!.runId);
    expect(result.summary.runsSelected).toEqual(archive.runs.slice(1).map((r) => r.runId));
    expect(result.summary.counters.written).toBeGreaterThan(0);
    const log = readFileSync(result.logFile, 'utf8');
    for (const text of [stdout, stderr, log, readFileSync(recordFile, 'utf8')])
      expect(text).not.toContain(TEST_KEYS.secretAccessKey);

    // The same run afterwards, no id typed: status (exit 0, the report), logs and runs.
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], {
        env: { ...process.env, XDG_CONFIG_HOME: path.join(stack.dir, 'config') },
        maxBuffer: 64 * 1024 * 1024,
      });
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as {
      run: { runName: string; runner: string };
      jobRun: { state: string; summary: { counters: { written: number } } | null };
      exitCode: number;
    };
    expect(status.run).toMatchObject({ runName: result.runName, runner: 'local' });
    expect(status.jobRun.state).toBe('SUCCESS');
    expect(status.jobRun.summary?.counters.written).toBe(result.summary.counters.written);
    expect(status.exitCode).toBe(0);
    expect((await cli(['logs'])).stdout).toContain('populator: ');
    // With its state now (read from its folder).
    expect((await cli(['runs'])).stdout).toMatch(
      new RegExp(`^${result.runName}\\s+local\\s+SUCCESS\\s`, 'm'),
    );

    // The same submit again finds that run: nothing is run or paid twice, the report is the same.
    const again = await submitCli();
    const second = JSON.parse(again.stdout) as typeof result;
    expect(second.status).toBe('SUCCEEDED');
    expect(second.runName).toBe(result.runName);
    expect(second.summary.counters.written).toBe(result.summary.counters.written);
    expect(again.stderr).toContain(`This submit matches run ${result.runName}, which succeeded`);
    expect(again.stderr).toContain('--name NAME');
    expect(again.stderr).not.toContain('Running the job on Spark');

    // --name starts a second run of the same inputs on purpose (the local runner honours it).
    const named = await submitCli(['--name', 'second-look']);
    const third = JSON.parse(named.stdout) as typeof result;
    expect(third.runName).toBe('second-look');
    expect(third.output).toBe(path.join(stack.dir, 'cli', 'runs', 'second-look'));
    expect(third.summary.counters.written).toBe(0);
  }, 300_000);
});
