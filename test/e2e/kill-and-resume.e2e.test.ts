/**
 * Never pay twice (issue 8): a local back-fill whose JVM is killed (SIGKILL, no chance to clean up)
 * in the middle of writing, then `populator submit --resume` through the CLI with no argument. The
 * table equals the oracle (no etlTime differs), the resumed run's counters add up over both runs,
 * and the puts the resume sends, counted at a proxy in front of DynamoDB, stay within the keys not
 * yet written plus 10 s of writes at the write rate. A resume of a run that succeeded, or with
 * other inputs, is refused before anything runs. And `--skip-present`: keys looked up first, only
 * the missing ones put.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp, keysDone, type JobProgress, type JobSummary } from '../../src/domain/job-report.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { RUN_RECORD_VERSION } from '../../src/domain/run-record.js';
import { saveRunRecord } from '../../src/services/run-records.js';
import { submitLocal } from '../../src/services/submit.js';
import { CLI_BIN, cleanEnv, runCli, type CliRun } from '../helpers/cli.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
import { manifestWriter } from '../helpers/manifest-fill.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const TABLE = 'manifest-kill-resume';
/** Slow enough to kill mid-write, and 10 s of it well under what is left then. */
const WRITE_RATE = 150;

let stack: LocalStack;
let proxy: FaultProxy;
let archive: DemoArchiveManifest;

function env(): NodeJS.ProcessEnv {
  return cleanEnv({
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    XDG_CONFIG_HOME: path.join(stack.dir, 'config'),
  });
}

const cli = (args: string[]): Promise<CliRun> => runCli(args, { env: env(), cwd: stack.dir });

/** Every descendant of `pid` (children first found by `ps`). */
function descendants(pid: number): { pid: number; command: string }[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3] ?? '' }));
  const out: { pid: number; command: string }[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const r of rows.filter((x) => x.ppid === p)) {
      out.push({ pid: r.pid, command: r.command });
      queue.push(r.pid);
    }
  }
  return out;
}

/** The progress of the only run under the staging folder, once there is one. */
function progressOf(staging: string): JobProgress | null {
  const runs = path.join(staging, 'runs');
  if (!existsSync(runs)) return null;
  for (const name of readdirSync(runs)) {
    const file = path.join(runs, name, 'progress.json');
    if (!existsSync(file)) continue;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as JobProgress;
    } catch {
      return null; // being rewritten
    }
  }
  return null;
}

beforeAll(async () => {
  stack = await startLocalStack();
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 88,
    events: 9000,
    runs: 4,
    firstRun: NOW.minus({ days: 5 }),
  });
  await stack.dynamo.createManifestTable(TABLE, { billingMode: 'PAY_PER_REQUEST' });
  proxy = await startFaultProxy({ upstream: stack.dynalite.endpoint });
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await stack?.stop();
});

describe('kill the job mid-write, then submit --resume', () => {
  it('finishes the table without sending again what was written', async () => {
    const expected = defaultManifest(archive.runs, NOW);
    const keys = expected.items.length;
    expect(keys).toBeGreaterThan(4 * WRITE_RATE * 10);
    const staging = path.join(stack.dir, 'staging');
    const config = stack.storageConfig(TABLE);

    // 1. The first run, killed once about half of the keys are done (a few records written by then).
    const first = spawn(
      process.execPath,
      [
        CLI_BIN,
        'submit',
        archive.dir,
        config,
        stack.resolver,
        '--runner',
        'local',
        '--staging',
        staging,
        '--write-rate',
        String(WRITE_RATE),
        // Two executor JVMs, as on a cluster: each records the progress of its own write partitions.
        '--executors',
        '2',
        '--executor-memory',
        '768m',
        '--driver-memory',
        '1g',
      ],
      { env: env(), cwd: stack.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let firstStderr = '';
    first.stderr.setEncoding('utf8').on('data', (d: string) => (firstStderr += d));
    first.stdout.resume();
    const firstExit = new Promise<number>((resolve) => first.on('close', (code) => resolve(code ?? 1)));
    const deadline = Date.now() + 240_000;
    let killedAt = 0;
    while (Date.now() < deadline) {
      const p = progressOf(staging);
      if (p !== null && p.phase === 'writing' && keysDone(p) >= keys / 2) {
        killedAt = keysDone(p);
        break;
      }
      await sleep(200);
    }
    expect(killedAt, firstStderr).toBeGreaterThan(0);
    const jvms = descendants(first.pid!).filter((d) => /\bjava\b/.test(d.command));
    expect(jvms.length).toBeGreaterThan(0);
    for (const j of jvms) process.kill(j.pid, 'SIGKILL');
    expect(await firstExit).toBe(4);
    expect(firstStderr).toContain('submit --resume');

    // What the killed run had written: nothing changes the table until the resume.
    const writtenBefore = (await stack.dynamo.scanItems(TABLE)).length;
    expect(writtenBefore).toBeGreaterThan(0);
    expect(writtenBefore).toBeLessThan(keys);
    const putsBefore = proxy.stats().byOperation.PutItem?.received ?? 0;

    // 2. Another input than the run's is refused, naming it; nothing is sent.
    const other = await cli(['submit', '--resume', '--etl-time', 'event', '--json']);
    expect(other.code).toBe(2);
    const refusal = JSON.parse(other.stdout) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe('RESUME_INPUTS_DIFFER');
    expect(refusal.error.message).toContain('--etl-time was "run", now "event"');
    expect(proxy.stats().byOperation.PutItem?.received ?? 0).toBe(putsBefore);

    // 3. The resume: no argument, the newest run's inputs.
    const resumed = await cli(['submit', '--resume', '--master', 'local[2,4]', '--json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    const result = JSON.parse(resumed.stdout) as {
      status: string;
      runName: string;
      resumedFrom: string | null;
      plan: { resume: { from: string; writesSaved: number } | null };
      summary: JobSummary;
    };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.resumedFrom).not.toBeNull();
    expect(result.runName).not.toBe(result.resumedFrom);
    expect(result.plan.resume?.from).toBe(result.resumedFrom);
    expect(result.plan.resume?.writesSaved).toBeGreaterThan(0);
    expect(resumed.stderr).toContain(`Resuming run ${result.resumedFrom} (FAILED`);
    // The run's pacing and executors are kept: no flag was given to change them.
    expect(resumed.stderr).toContain(
      `Kept from run ${result.resumedFrom}: --write-rate ${WRITE_RATE}, --executors 2`,
    );
    expect(result.summary.writeRate).toBe(WRITE_RATE);

    // The table is exact: every key, every etlTime and ttl as the oracle says.
    expect((await stack.dynamo.scanItems(TABLE)).sort(compareKeys)).toEqual(expected.items);

    // The counters of both runs add up to the archive's.
    const s = result.summary;
    const c = s.counters;
    expect(countersAddUp(c)).toBe(true);
    expect(c.written + c.alreadyPresent).toBe(expected.counters.written);
    expect({ ...c, written: 0, alreadyPresent: 0 }).toEqual({
      ...expected.counters,
      written: 0,
      alreadyPresent: 0,
    });

    // Puts sent on the resume: at most the keys not yet written plus 10 s at the write rate.
    const putsOnResume = (proxy.stats().byOperation.PutItem?.received ?? 0) - putsBefore;
    const bound = keys - writtenBefore + 10 * WRITE_RATE;
    expect(putsOnResume).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(keys); // the bound says something: a plain re-run sends every key
    const r = s.resume!;
    expect(r.resumedFrom).toContain(result.resumedFrom!);
    expect(r.writesSaved).toBeGreaterThanOrEqual(writtenBefore - 10 * WRITE_RATE);
    expect(r.writesSaved + putsOnResume).toBeGreaterThanOrEqual(keys);
    expect(r.recorded.written + r.thisRun.written).toBe(c.written);

    // The secret never reached the CLI's output.
    for (const text of [resumed.stdout, resumed.stderr, firstStderr])
      expect(text).not.toContain(TEST_KEYS.secretAccessKey);

    // `populator runs` says which run the new one resumes.
    const runs = await cli(['runs']);
    expect(runs.stdout).toMatch(new RegExp(`^${result.runName}\\s.*\\s${result.resumedFrom!}$`, 'm'));

    // 4. The resumed run succeeded: resuming it again is refused, nothing is sent.
    const again = await cli(['submit', '--resume', '--json']);
    expect(again.code).toBe(2);
    expect((JSON.parse(again.stdout) as { error: { code: string } }).error.code).toBe('RESUME_NOT_NEEDED');
    const putsAfter = proxy.stats().byOperation.PutItem?.received ?? 0;
    expect(putsAfter - putsBefore).toBe(putsOnResume);
  }, 600_000);
});

describe('--skip-present', () => {
  it('writes only the keys the table does not hold; those found are counted as puts would be and left as they are', async () => {
    const table = 'manifest-skip-present';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const expected = defaultManifest(archive.runs, NOW);
    // A third already there as a back-fill without records left them (another ttl), a tenth with another etlTime.
    const same = expected.items.filter((_, i) => i % 3 === 0).map((it) => ({ ...it, ttl: 42 }));
    const other = expected.items
      .filter((_, i) => i % 10 === 1 && i % 3 !== 0)
      .map((it) => ({ ...it, etlTime: 7 }));
    const fill = manifestWriter(stack.dynalite.endpoint, TEST_REGION, TEST_KEYS);
    try {
      await fill.put(table, [...same, ...other]);
    } finally {
      fill.destroy();
    }
    const putsBefore = proxy.stats().byOperation.PutItem?.received ?? 0;
    const result = await submitLocal(
      stack.submitOptions(
        { archive: archive.dir, table, staging: 'skip-present', now: NOW },
        {
          dynamodbEndpoint: proxy.endpoint,
          skipPresent: true,
          writeRate: 2000,
          // The lookups and puts from two executor JVMs.
          emr: { sizing: { executors: 2, executorMemory: '768m' } },
        },
      ),
    );
    const found = same.length + other.length;
    expect((proxy.stats().byOperation.PutItem?.received ?? 0) - putsBefore).toBe(
      expected.items.length - found,
    );
    expect(result.plan.skipPresent?.keys).toBeGreaterThan(0);
    const c = result.summary.counters;
    expect(countersAddUp(c)).toBe(true);
    expect(c.alreadyPresent).toBe(same.length);
    expect(c.conflicting).toBe(other.length);
    expect(c.written).toBe(expected.items.length - found);
    expect(result.summary.skipPresent).toMatchObject({
      lookedUp: expected.items.length,
      skippedPresent: same.length,
      skippedConflicting: other.length,
      putsSaved: found,
    });
    // Found items are left as they were; the rest is the oracle's.
    const byKey = new Map([...same, ...other].map((it) => [`${it.eventId}/${it.fingerprint}`, it]));
    const want = expected.items.map((it) => byKey.get(`${it.eventId}/${it.fingerprint}`) ?? it);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(want.sort(compareKeys));
  }, 600_000);
});

describe("--resume takes the run's own inputs where none is given", () => {
  it('plans the recorded selection, etl-time mode and ttl, not the defaults (--dry-run: nothing runs)', async () => {
    const table = 'manifest-resume-inputs';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const runName = 'populator-recorded-inputs';
    const output = path.join(stack.dir, 'recorded', 'runs', runName);
    mkdirSync(output, { recursive: true });
    const since = archive.runs[1]!.runId;
    saveRunRecord(path.join(stack.dir, 'config', 'populator', 'runs'), {
      version: RUN_RECORD_VERSION,
      runName,
      runner: 'local',
      createdAt: '2026-01-01T00:00:00.000Z',
      region: TEST_REGION,
      table,
      staging: path.join(stack.dir, 'recorded'),
      output,
      inputs: {
        archive: pathToFileURL(archive.dir).href,
        storageConfig: stack.storageConfig(table),
        resolver: stack.resolver,
        since,
        until: null,
        etlTime: 'event',
        ttlSeconds: 100_000,
        writeExpired: true,
      },
      // A submit process that is gone: the run ended without its report.
      local: { pid: 4_194_303, hostname: os.hostname() },
    });
    const r = await cli(['submit', '--resume', '--run', runName, '--dry-run', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      status: string;
      etlTime: string;
      since: string | null;
      table: string;
      resumedFrom: string;
      warnings: string[];
      plan: { runs: { selected: number }; resume: { from: string } | null };
    };
    expect(doc).toMatchObject({ status: 'PLANNED', etlTime: 'event', since, table, resumedFrom: runName });
    expect(doc.plan.runs.selected).toBe(archive.runs.length - 1);
    expect(doc.plan.resume?.from).toBe(runName);
    expect(doc.warnings.join('\n')).toContain('--ttl-seconds 100000');
    expect(r.stderr).toContain(`Resuming run ${runName} (FAILED`);
  }, 120_000);
});
