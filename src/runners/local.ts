/**
 * The local runner: the job jar on local Spark (local[*,4]) in a child JVM of the `submit` process, its
 * report and log in a local folder. Another process (`status`, `cancel`, `logs`) works from the
 * run's folder and the submit process's pid in the record.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { JOB_EXIT, JOB_OUTPUT } from '../domain/contract.js';
import { UserError } from '../domain/errors.js';
import { parseJobSummary, type JobProgress, type JobSummary } from '../domain/job-report.js';
import type { RunRecord } from '../domain/run-record.js';
import { launchLocalJob, type LaunchResult, type S3HadoopAccess } from '../local/spark-launcher.js';
import type { SparkHome } from '../local/spark-home.js';
import { processStartTime } from '../local/process.js';
import type { Toolchain } from '../local/toolchain.js';
import { pollUntilFinal } from './follow.js';
import type { DriverLog, FollowOptions, JobLaunch, Runner, RunSnapshot } from './runner.js';

/** How this machine runs the job (needed by `start` only). */
export interface LocalLaunchSettings {
  toolchain: Toolchain;
  jar: string;
  classpath: readonly string[];
  /** The JVM's environment: credentials go here, never into arguments. */
  env: NodeJS.ProcessEnv;
  master: string;
  /** The Spark home of a `local-cluster` master (its executor JVMs start from it). */
  sparkHome?: SparkHome;
  driverMemory: string;
  s3?: S3HadoopAccess;
}

export interface LocalRunnerOptions {
  launch?: LocalLaunchSettings;
  /** This process and host, recorded so that other processes can find the run. */
  pid: number;
  hostname: string;
  /** Whether a process is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
  /** When a process started (default /proc's starttime); undefined when unknown. */
  startTime?: (pid: number) => string | undefined;
  /** Sends a signal (default `process.kill`). */
  signalProcess?: (pid: number, signal: NodeJS.Signals) => void;
  /** Between looks when following a run of another process; default 2 s. */
  pollMs?: number;
}

/** A local run started by this process. */
interface InProcess {
  done: Promise<LaunchResult>;
  abort: AbortController;
  result?: LaunchResult;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null; // being rewritten: the next look gets a whole one
  }
}

/** The job's own failure reason from the last lines it printed on stderr. */
function reasonFromStderr(tail: readonly string[]): string {
  const jobLines = tail.filter((l) => /^(ERROR|populator|Error)/.test(l) || l.includes('populator'));
  return jobLines.slice(-5).join('\n') || tail.slice(-10).join('\n');
}

/** The local runner. */
export function createLocalRunner(o: LocalRunnerOptions): Runner {
  const inProcess = new Map<string, InProcess>();
  const isAlive = o.isAlive ?? alive;
  const startTime = o.startTime ?? processStartTime;
  const startOf = (pid: number): { pidStart?: string } => {
    const t = startTime(pid);
    return t === undefined ? {} : { pidStart: t };
  };
  /** The recorded submit process is alive, and is that process (not a later one given its pid). */
  const isRecordedProcess = (p: { pid: number; pidStart?: string }): boolean =>
    isAlive(p.pid) && (p.pidStart === undefined || startTime(p.pid) === p.pidStart);

  const snapshot = (record: RunRecord, over: Partial<RunSnapshot>): RunSnapshot => {
    const progress = readJson<JobProgress>(path.join(record.output, JOB_OUTPUT.progress));
    const summaryFile = path.join(record.output, JOB_OUTPUT.summary);
    const summary: JobSummary | null = existsSync(summaryFile)
      ? parseJobSummary(readFileSync(summaryFile, 'utf8'))
      : null;
    const log = record.log ?? null;
    return {
      runName: record.runName,
      runner: 'local',
      state: 'RUNNING',
      final: false,
      stateDetails: null,
      createdAt: record.createdAt,
      startedAt: record.createdAt,
      endedAt: null,
      queuedSeconds: null,
      progress,
      summary,
      billed: null,
      dashboardUrl: null,
      logs: { stdout: log, stderr: log },
      applicationId: null,
      jobRunId: null,
      ...over,
    };
  };

  const endedAt = (file: string | undefined): string | null =>
    file !== undefined && existsSync(file) ? statSync(file).mtime.toISOString() : null;

  /** The final look at a run this process ran, from how its JVM ended. */
  const finished = (record: RunRecord, run: InProcess, r: LaunchResult): RunSnapshot => {
    const base = snapshot(record, { endedAt: endedAt(record.log), exitCode: r.exitCode });
    if (run.abort.signal.aborted) {
      return {
        ...base,
        state: 'CANCELLED',
        final: true,
        stateDetails: 'The job was stopped (Ctrl-C).',
        summary: null,
      };
    }
    if (r.exitCode === JOB_EXIT.ok && base.summary !== null)
      return { ...base, state: 'SUCCESS', final: true };
    const how = r.signal ? `was stopped by ${r.signal}` : `exited with code ${r.exitCode}`;
    const reason =
      base.progress?.phase === 'failed' && base.progress.message
        ? base.progress.message
        : reasonFromStderr(r.stderrTail);
    return {
      ...base,
      state: 'FAILED',
      final: true,
      stateDetails: `The job ${how}: ${reason}`,
      summary: null,
    };
  };

  const status = (record: RunRecord): Promise<RunSnapshot> => {
    const own = inProcess.get(record.runName);
    if (own?.result !== undefined) return Promise.resolve(finished(record, own, own.result));
    const s = snapshot(record, {});
    if (s.summary !== null)
      return Promise.resolve({ ...s, state: 'SUCCESS', final: true, endedAt: s.summary.finishedAt });
    const stoppedAt = record.local?.stoppedAt;
    if (stoppedAt !== undefined) {
      return Promise.resolve({
        ...s,
        state: 'CANCELLED',
        final: true,
        endedAt: stoppedAt,
        stateDetails: 'The job was stopped (Ctrl-C or populator cancel); what it wrote stays in the table.',
      });
    }
    if (s.progress?.phase === 'failed') {
      return Promise.resolve({
        ...s,
        state: 'FAILED',
        final: true,
        endedAt: endedAt(record.log),
        stateDetails: s.progress.message ?? null,
      });
    }
    const running =
      own !== undefined ||
      (record.local !== undefined && record.local.hostname === o.hostname && isRecordedProcess(record.local));
    if (running) return Promise.resolve(s);
    return Promise.resolve({
      ...s,
      state: 'FAILED',
      final: true,
      endedAt: endedAt(record.log),
      stateDetails:
        record.local !== undefined && record.local.hostname !== o.hostname
          ? `The run was submitted on ${record.local.hostname}: look there.`
          : 'The submit process ended before the job wrote its report (stopped with Ctrl-C, killed, or the machine restarted).',
    });
  };

  return {
    name: 'local',

    start(launch: JobLaunch) {
      const settings = o.launch;
      if (settings === undefined) throw new Error('this local runner was not given a jar and a classpath');
      const record = launch.record;
      const logFile = record.log ?? path.join(record.output, 'driver.log');
      const abort = new AbortController();
      launch.signal?.addEventListener('abort', () => abort.abort(), { once: true });
      const run: InProcess = {
        abort,
        done: launchLocalJob({
          toolchain: settings.toolchain,
          jar: settings.jar,
          classpath: settings.classpath,
          jobArgs: launch.jobArgs,
          env: settings.env,
          progressFile: path.join(record.output, JOB_OUTPUT.progress),
          logFile,
          master: settings.master,
          sparkHome: settings.sparkHome,
          driverMemory: settings.driverMemory,
          s3: settings.s3,
          onProgress: launch.onProgress ?? (() => {}),
          signal: abort.signal,
        }),
      };
      run.done.then(
        (r) => (run.result = r),
        () => {},
      );
      inProcess.set(record.runName, run);
      return Promise.resolve({
        ...record,
        log: logFile,
        local: { ...record.local, pid: o.pid, hostname: o.hostname, ...startOf(o.pid) },
      });
    },

    status: (record) => status(record),

    async follow(record: RunRecord, f: FollowOptions = {}) {
      const own = inProcess.get(record.runName);
      if (own === undefined) {
        return pollUntilFinal(() => status(record), { ...f, intervalMs: f.intervalMs ?? o.pollMs ?? 2000 });
      }
      const r = await own.done;
      own.result = r;
      const last = finished(record, own, r);
      f.onSnapshot?.(last);
      return last;
    },

    cancel(record) {
      const own = inProcess.get(record.runName);
      if (own !== undefined) {
        own.abort.abort();
        return Promise.resolve();
      }
      const p = record.local;
      if (p === undefined || p.hostname !== o.hostname || !isRecordedProcess(p)) {
        return Promise.reject(
          new UserError(`The local run ${record.runName} is not running on this machine.`, {
            code: 'RUN_NOT_RUNNING',
            hint: `\`populator status --run ${record.runName}\` shows how it ended.`,
          }),
        );
      }
      // The submit process treats SIGINT as Ctrl-C: it stops the JVM and reports the run stopped.
      (o.signalProcess ?? ((pid, sig) => process.kill(pid, sig)))(p.pid, 'SIGINT');
      return Promise.resolve();
    },

    logs(record, stream) {
      const file = record.log;
      if (file === undefined || !existsSync(file)) return Promise.resolve([]);
      // One file holds both streams: the local JVM's stdout and stderr go to driver.log.
      const log: DriverLog = { attempt: 1, stream, location: file, text: readFileSync(file, 'utf8') };
      return Promise.resolve([log]);
    },

    close() {},
  };
}
