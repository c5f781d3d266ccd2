/**
 * The local runner's half of submit: the run's name (derived from its inputs, so the same submit
 * finds the same run), its record reserved before any slow step, the jar and Spark classpath built
 * or found, then the job run here and followed to its end.
 */
import os from 'node:os';
import path from 'node:path';
import { JOB_EXIT, JOB_OUTPUT } from '../domain/contract.js';
import { clientTokenFor } from '../domain/emr.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import type { Plan } from '../domain/plan.js';
import type { RunRecord } from '../domain/run-record.js';
import { isLocalCluster } from '../domain/spark-master.js';
import { localClasspathSource, resolveSparkClasspath } from '../local/classpath.js';
import { makeFolder } from '../local/folders.js';
import { jobJarFile } from '../local/jar.js';
import { processStartTime } from '../local/process.js';
import { resolveSparkHome } from '../local/spark-home.js';
import { findToolchain, type Toolchain } from '../local/toolchain.js';
import { createLocalRunner } from '../runners/local.js';
import type { RunSnapshot } from '../runners/runner.js';
import { listRunRecords, loadRunRecord, reserveRunRecord, saveRunRecord } from './run-records.js';
import type { CheckedSubmit } from './submit-inputs.js';
import {
  baseRecord,
  isoNow,
  jobArguments,
  jobEnvironment,
  localMasterOf,
  recordedInputs,
  throwIfInterrupted,
} from './submit-job.js';
import { JobFailedError, type SubmitFacts, type SubmitOptions, type SubmitResult } from './submit-types.js';

/** Runs the job here and follows it to its end. */
export async function runLocal(
  c: CheckedSubmit,
  facts: SubmitFacts,
  o: SubmitOptions,
): Promise<SubmitResult> {
  const local = c.local;
  if (local === undefined) throw new Error('local runner without local settings');
  const runName = localRunName(c, o, facts.plan);
  const output = path.join(local.staging, 'runs', runName);
  const logDir = local.logPath === undefined ? output : path.join(local.logPath, runName);
  const logFile = path.join(logDir, 'driver.log');
  // The same submit again finds the run it started: nothing is run (or paid) twice.
  const previous = o.recordsDir === undefined ? undefined : findRunRecord(o.recordsDir, runName);
  if (previous !== undefined) return answerIdenticalSubmit(previous, facts, o);
  makeFolder(output);
  // Reserved before any slow step (Maven, the classpath), so that another terminal sees it at once
  // and a second identical submit started meanwhile is answered instead of run beside it.
  let record: RunRecord = {
    ...baseRecord(c, o, {
      runName,
      createdAt: isoNow(o.now),
      staging: local.staging,
      output,
      log: logFile,
      plan: facts.plan,
    }),
    local: { pid: process.pid, hostname: os.hostname(), ...pidStartOf(process.pid) },
  };
  let recordFile: string | null = null;
  if (o.recordsDir !== undefined) {
    recordFile = reserveRunRecord(o.recordsDir, record);
    if (recordFile === null) return answerIdenticalSubmit(loadRunRecord(o.recordsDir, runName), facts, o);
  }

  const master = localMasterOf(o);
  const { toolchain, jar, classpath, sparkHome } = await jobToolchain(c, o, master);

  const runner = createLocalRunner({
    pid: process.pid,
    hostname: os.hostname(),
    launch: {
      toolchain,
      jar,
      classpath,
      env: jobEnvironment(o.env, c.storage, c.region, o.profile),
      master,
      sparkHome,
      driverMemory: local.driverMemory,
      // S3A settings only; the keys stay in the environment above.
      s3: usesS3(c) ? { region: c.region, endpoint: c.s3Endpoint, family: c.family } : undefined,
    },
  });
  o.log(`Running the job on Spark ${master} (log: ${logFile})`);
  if (sparkHome !== undefined) {
    o.log(
      `Executor JVMs start from ${sparkHome.from === 'SPARK_HOME' ? `SPARK_HOME (${path.dirname(sparkHome.jarsDir)})` : 'the Maven-resolved Spark classpath'}; their logs: ${path.join(path.dirname(logFile), 'spark-cluster', 'work')}`,
    );
  }
  record = await runner.start({
    record,
    // A resume judges expiry at the resumed run's "now" (the job takes it from its write plan).
    jobArgs: jobArguments(c, o, output, o.resume === undefined ? o.now : undefined),
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const last = await runner.follow(record);
  requireSucceeded(last, record, o, logFile);
  if (last.summary === null) throw new Error('a successful run without its summary');
  return {
    ...facts,
    status: 'SUCCEEDED',
    runName,
    output,
    recordFile,
    logFile,
    badRows: path.join(output, JOB_OUTPUT.badRows),
    unreadableFiles: last.summary.unreadableFiles,
    summary: last.summary,
    emr: null,
    billed: null,
  };
}

/**
 * The JVM toolchain, the job jar (`--jar`, the one populator ships with, or spark/'s: only building
 * that one needs Maven), the Spark classpath and, for a local cluster, the Spark home.
 */
async function jobToolchain(c: CheckedSubmit, o: SubmitOptions, master: string) {
  const local = c.local;
  if (local === undefined) throw new Error('local runner without local settings');
  // SPARK_HOME, when set, was checked by the validator (toolchain.spark-home).
  const toolchain = await findToolchain(o.env, { needMaven: false });
  let jar: string;
  let classpath: string[];
  try {
    jar = local.jar ?? (await jobJarFile(c.jobJar, c.family, o.env, o.log, o.signal));
    classpath = await localClasspath(c, o, toolchain);
  } catch (e) {
    throwIfInterrupted(o.signal); // a Maven run stopped by Ctrl-C is an interruption, not a failure
    throw e;
  }
  throwIfInterrupted(o.signal);
  const sparkHome = isLocalCluster(master)
    ? resolveSparkHome(o.env, classpath, o.cacheDir, c.family)
    : undefined;
  return { toolchain, jar, classpath, sparkHome };
}

/** The Spark classpath: cached, else resolved by Maven, else SPARK_HOME's jars; an error saying what to install otherwise. */
async function localClasspath(c: CheckedSubmit, o: SubmitOptions, toolchain: Toolchain): Promise<string[]> {
  const sparkDir = path.join(o.projectRoot, 'spark');
  const s3 = usesS3(c);
  const source = localClasspathSource({ sparkDir, cacheDir: o.cacheDir, env: o.env, s3, family: c.family });
  switch (source.kind) {
    case 'cached':
      return source.classpath;
    case 'spark-home':
      o.log(`The Spark ${c.family} classpath comes from SPARK_HOME=${source.home} (Maven is not on PATH).`);
      return source.classpath;
    case 'maven':
      return resolveSparkClasspath(sparkDir, o.cacheDir, { ...toolchain, mvn: source.mvn }, o.log, {
        s3,
        family: c.family,
        signal: o.signal,
      });
    case 'none':
      throw new UserError(`${source.problem.charAt(0).toUpperCase()}${source.problem.slice(1)}.`, {
        code: 'SPARK_CLASSPATH_MISSING',
        hint: source.hint,
      });
  }
}

/** The job reads (an S3 archive) or writes (`--import`'s files) S3: S3A on its classpath and settings. */
function usesS3(c: CheckedSubmit): boolean {
  return c.archive.kind === 's3' || c.import !== undefined;
}

/** Throws the job's end as the user's error unless it succeeded; a Ctrl-C is recorded as a stop. */
function requireSucceeded(last: RunSnapshot, record: RunRecord, o: SubmitOptions, logFile: string): void {
  const runName = record.runName;
  if (last.state === 'CANCELLED') {
    // Said in the record: status (from any terminal) shows it stopped, with when, not failed.
    if (o.recordsDir !== undefined && record.local !== undefined) {
      saveRunRecord(o.recordsDir, {
        ...record,
        local: { ...record.local, stoppedAt: new Date().toISOString() },
      });
    }
    throw new JobFailedError('The job was stopped (Ctrl-C).', {
      code: 'INTERRUPTED',
      exitCode: EXIT_CODES.jobFailed,
      hint: `Items written so far stay in the table. ${againHint(o, runName)}`,
    });
  }
  if (last.state !== 'SUCCESS' || last.summary === null) {
    const inputProblem = last.exitCode === JOB_EXIT.input;
    throw new JobFailedError(last.stateDetails ?? 'The job failed.', {
      exitCode: inputProblem ? EXIT_CODES.usage : EXIT_CODES.jobFailed,
      code: inputProblem ? 'JOB_INPUT' : 'JOB_FAILED',
      hint: inputProblem
        ? 'Fix the input named above and submit again; nothing was written.'
        : `See the driver log for details: ${logFile}. ${againHint(o, runName)}`,
    });
  }
}

/**
 * A local run's name: --name, else derived from what decides its writes (the inputs, the table, the
 * selection's objects and bytes, --skip-present, the run it resumes), as EMR Serverless runs are
 * named from their request: the same submit gets the same name, and finds the same run.
 */
function localRunName(c: CheckedSubmit, o: SubmitOptions, plan: Plan): string {
  if (o.emr?.name !== undefined) return o.emr.name;
  const token = clientTokenFor({
    runner: 'local',
    inputs: recordedInputs(c, o),
    table: c.storage.table,
    region: c.region,
    selection: { runs: plan.runs.selected, objects: plan.objects, bytes: plan.bytes },
    skipPresent: o.skipPresent === true,
    resumedFrom: o.resume?.record.runName ?? null,
    // Only with --import, so that the names of runs without it stay what they were.
    ...(c.import !== undefined ? { import: c.import } : {}),
  });
  return `populator-${token.slice(-12)}`;
}

/** This process's start time, so that a later process given the same pid is not taken for it. */
function pidStartOf(pid: number): { pidStart?: string } {
  const t = processStartTime(pid);
  return t === undefined ? {} : { pidStart: t };
}

/** The record of a run by name, or undefined. */
function findRunRecord(dir: string, runName: string): RunRecord | undefined {
  return listRunRecords(dir).records.find((r) => r.runName === runName);
}

/**
 * The answer to a local submit that matches a run started before: its report when it succeeded
 * (nothing new runs), or what to do when it is still running or ended otherwise.
 */
async function answerIdenticalSubmit(
  previous: RunRecord,
  facts: SubmitFacts,
  o: SubmitOptions,
): Promise<SubmitResult> {
  const runner = createLocalRunner({ pid: process.pid, hostname: os.hostname() });
  const s = await runner.status(previous);
  const name = previous.runName;
  const again =
    'To run the same inputs again on purpose, give the run a name of its own: --name NAME (with --skip-present, keys the table already holds are looked up, not written again).';
  if (s.state === 'SUCCESS' && s.summary !== null) {
    o.log(
      `This submit matches run ${name}, which succeeded (${s.endedAt ?? 'earlier'}): nothing new was started. ${again}`,
    );
    return {
      ...facts,
      status: 'SUCCEEDED',
      runName: name,
      output: previous.output,
      recordFile: null,
      logFile: previous.log ?? path.join(previous.output, 'driver.log'),
      badRows: path.join(previous.output, JOB_OUTPUT.badRows),
      unreadableFiles: s.summary.unreadableFiles,
      summary: s.summary,
      emr: null,
      billed: null,
    };
  }
  if (!s.final) {
    throw new UserError(`This submit matches run ${name}, which is still running: nothing new was started.`, {
      code: 'RUN_IN_PROGRESS',
      exitCode: EXIT_CODES.notFinal,
      hint: `Follow it: populator status --watch --run ${name}; stop it: populator cancel --run ${name}.`,
    });
  }
  throw new JobFailedError(
    `This submit matches run ${name}, which ended ${s.state}: nothing new was started.`,
    {
      code: 'RUN_ENDED',
      exitCode: EXIT_CODES.jobFailed,
      hint: `Finish it without paying again for what it wrote: populator submit --resume --run ${name}. ${again}`,
    },
  );
}

/** How to finish a run that stopped: a resume when it is recorded, else the same command again. */
function againHint(o: Pick<SubmitOptions, 'recordsDir'>, runName: string): string {
  return o.recordsDir === undefined
    ? "Running the same command again is safe and finishes the rest (items already there are rewritten with the same etlTime and this run's ttl)."
    : `Finish the rest without paying again for what was written: populator submit --resume --run ${runName}.`;
}
