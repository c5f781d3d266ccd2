/**
 * The emulated EMR Serverless service: applications and job runs, their state machines, clientToken
 * idempotency, the account's vCPU quota, tags, and each job run carried out for real by
 * `runJobProcess`. Operations take validated input and return the output shape (timestamps in
 * epoch milliseconds; the HTTP layer writes them as the protocol's epoch seconds).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, notFound, ServiceError, validationError } from './errors.js';
import { runJobProcess, type JobOutcome, type JobProcessContext } from './job-process.js';
import {
  arnAccount,
  DEFAULT_EXECUTION_TIMEOUT_MINUTES,
  executionTimeoutProblem,
  parseReleaseLabel,
} from './rules.js';
import type { ApplicationState, JobRunState } from './shapes.js';
import { jobSizing, jobVcpus, resourceUtilization, WORKER_GRID, type ResourceUtilization } from './sizing.js';
import { parseSparkSubmitParameters, sparkDefaults } from './spark-submit.js';

/** How long the emulated service takes for each step (tests use short ones). */
export interface Delays {
  /** CREATING -> CREATED */
  applicationCreateMs: number;
  /** STARTING -> STARTED */
  applicationStartMs: number;
  /** STOPPING -> STOPPED */
  applicationStopMs: number;
  /** SUBMITTED -> SCHEDULED (or QUEUED) */
  jobSubmittedMs: number;
  /** Time in QUEUED when every job run is queued first (`queueJobRuns`). */
  jobQueuedMs: number;
  /** SCHEDULED -> RUNNING (workers being allocated) */
  jobScheduledMs: number;
  /** CANCELLING -> CANCELLED once the driver is gone */
  jobCancellingMs: number;
  /** One emulated minute, for executionTimeoutMinutes and the auto-stop idleTimeoutMinutes. */
  minuteMs: number;
  /** SIGTERM -> SIGKILL of a cancelled driver when CancelJobRun gives no shutdownGracePeriodInSeconds. */
  cancelGraceMs: number;
}

export const DEFAULT_DELAYS: Delays = {
  applicationCreateMs: 2000,
  applicationStartMs: 5000,
  applicationStopMs: 3000,
  jobSubmittedMs: 2000,
  jobQueuedMs: 2000,
  jobScheduledMs: 3000,
  jobCancellingMs: 1000,
  minuteMs: 60_000,
  cancelGraceMs: 10_000,
};

export interface ServiceOptions {
  region: string;
  accountId: string;
  /** `createdBy` of job runs: the caller's ARN. */
  callerArn: string;
  /** The account's concurrent vCPU quota (a new account has 16). */
  maxVcpus: number;
  /** Every job run passes through QUEUED before SCHEDULED (as with queueing on, emr-7.3+). */
  queueJobRuns: boolean;
  delays: Delays;
  /** The base URL the dashboard links point at. */
  dashboardBase: () => string;
  jobContext: JobProcessContext;
  now: () => number;
  log: (line: string) => void;
}

/** One step of a resource's history, for tests that assert whole state sequences. */
export interface StateChange<S extends string> {
  state: S;
  at: number;
}

type Json = Record<string, unknown>;

const APPLICATION_SETTING_KEYS = [
  'initialCapacity',
  'maximumCapacity',
  'autoStartConfiguration',
  'autoStopConfiguration',
  'networkConfiguration',
  'architecture',
  'imageConfiguration',
  'workerTypeSpecifications',
  'runtimeConfiguration',
  'monitoringConfiguration',
  'diskEncryptionConfiguration',
  'interactiveConfiguration',
  'schedulerConfiguration',
  'identityCenterConfiguration',
  'jobLevelCostAllocationConfiguration',
] as const;

interface Application {
  applicationId: string;
  arn: string;
  name?: string;
  releaseLabel: string;
  type: string;
  state: ApplicationState;
  stateDetails?: string;
  createdAt: number;
  updatedAt: number;
  tags: Record<string, string>;
  settings: Json;
  history: StateChange<ApplicationState>[];
  timer?: NodeJS.Timeout;
  idleTimer?: NodeJS.Timeout;
}

interface JobRun {
  applicationId: string;
  jobRunId: string;
  arn: string;
  name?: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  executionRole: string;
  executionIamPolicy?: unknown;
  state: JobRunState;
  stateDetails: string;
  releaseLabel: string;
  jobDriver: Json;
  configurationOverrides?: Json;
  tags: Record<string, string>;
  networkConfiguration?: unknown;
  executionTimeoutMinutes: number;
  mode: 'BATCH' | 'STREAMING';
  retryPolicy?: unknown;
  startedAt?: number;
  endedAt?: number;
  queuedDurationMilliseconds?: number;
  totalExecutionDurationSeconds?: number;
  billed?: ResourceUtilization;
  total?: ResourceUtilization;
  history: StateChange<JobRunState>[];
  abort: AbortController;
  cancel?: { reason: 'user' | 'timeout' | 'shutdown'; graceMs: number };
  /** Holds one of the application's maxConcurrentRuns slots. */
  admitted: boolean;
  /** vCPUs of the account's quota this run holds while its workers are allocated. */
  vcpusHeld: number;
  jvmPid?: number;
}

const FINAL_JOB_STATES: readonly JobRunState[] = ['SUCCESS', 'FAILED', 'CANCELLED'];
const STATE_DETAILS_MAX = 256;

/** Ids as the service makes them: 16 characters of [0-9a-z], starting `00f`. */
function newId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return `00f${[...randomBytes(13)].map((b) => alphabet[b % 36]).join('')}`;
}

/** A stable rendering of a request, to tell a retried request from a different one. */
function fingerprint(input: Json): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Json)[k])]),
          )
        : v;
  const { clientToken: _ignored, ...rest } = input;
  return JSON.stringify(canonical(rest));
}

function truncate(text: string, max = STATE_DETAILS_MAX): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine;
}

function pageOf<T>(items: readonly T[], input: Json, defaultSize = 50): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (typeof input.nextToken === 'string') {
    const decoded = Number(Buffer.from(input.nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw validationError('Invalid nextToken.');
    offset = decoded;
  }
  const size = typeof input.maxResults === 'number' ? input.maxResults : defaultSize;
  const page = items.slice(offset, offset + size);
  const next =
    offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
  return next === undefined ? { page } : { page, nextToken: next };
}

function parseCount(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d+)/.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

export class EmrServerlessService {
  private readonly apps = new Map<string, Application>();
  private readonly appTokens = new Map<string, { id: string; fingerprint: string }>();
  private readonly jobs = new Map<string, JobRun>();
  private readonly jobTokens = new Map<string, { id: string; fingerprint: string }>();
  private readonly drivers = new Set<Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private readonly killTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly o: ServiceOptions) {}

  // ---- bookkeeping ----------------------------------------------------------------------------

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves once `condition` holds (checked after every state change); rejects on abort. */
  private waitFor(condition: () => boolean, signal: AbortSignal): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (condition()) done(resolve);
      };
      const onAbort = (): void => done(() => reject(signal.reason as Error));
      const done = (f: () => void): void => {
        this.listeners.delete(check);
        signal.removeEventListener('abort', onAbort);
        f();
      };
      if (signal.aborted) return onAbort();
      this.listeners.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private setAppState(app: Application, state: ApplicationState, details?: string): void {
    app.state = state;
    app.updatedAt = this.o.now();
    if (details === undefined) delete app.stateDetails;
    else app.stateDetails = details;
    app.history.push({ state, at: app.updatedAt });
    this.o.log(`application ${app.applicationId}: ${state}`);
    this.notify();
  }

  private later(app: Application, ms: number, f: () => void): void {
    clearTimeout(app.timer);
    app.timer = setTimeout(() => {
      app.timer = undefined;
      if (!this.stopped) f();
    }, ms);
  }

  private setJobState(job: JobRun, state: JobRunState, details?: string): void {
    job.state = state;
    job.updatedAt = this.o.now();
    if (details !== undefined) job.stateDetails = truncate(details);
    job.history.push({ state, at: job.updatedAt });
    this.o.log(`job run ${job.jobRunId}: ${state}${details ? ` (${details})` : ''}`);
    this.notify();
  }

  private application(id: string): Application {
    const app = this.apps.get(id);
    if (app === undefined) throw notFound(`Application ${id} does not exist`);
    return app;
  }

  private jobRun(applicationId: string, jobRunId: string): JobRun {
    this.application(applicationId);
    const job = this.jobs.get(`${applicationId}/${jobRunId}`);
    if (job === undefined)
      throw notFound(`Job run ${jobRunId} does not exist in application ${applicationId}`);
    return job;
  }

  private activeJobs(applicationId?: string): JobRun[] {
    return [...this.jobs.values()].filter(
      (j) =>
        !FINAL_JOB_STATES.includes(j.state) &&
        (applicationId === undefined || j.applicationId === applicationId),
    );
  }

  private usedVcpus(): number {
    return [...this.jobs.values()].reduce((sum, j) => sum + j.vcpusHeld, 0);
  }

  // ---- applications ---------------------------------------------------------------------------

  private checkReleaseAndType(releaseLabel: string, type: string): void {
    if (!['SPARK', 'HIVE'].includes(type.toUpperCase())) throw validationError(`Unsupported engine ${type}`);
    if (parseReleaseLabel(releaseLabel) === undefined) {
      throw validationError(
        `Type '${type}' is not supported for release label '${releaseLabel}' or release label does not exist`,
      );
    }
  }

  private checkWorkerConfigs(settings: Json): void {
    const initial = (settings.initialCapacity ?? {}) as Record<string, { workerConfiguration?: Json }>;
    for (const [workerType, c] of Object.entries(initial)) {
      if (!['Driver', 'Executor', 'HiveDriver', 'TezTask'].includes(workerType)) {
        throw validationError(`Worker type ${workerType} is not supported: use Driver or Executor (Spark).`);
      }
      const cpu = parseCount(c.workerConfiguration?.cpu);
      const memory = parseCount(c.workerConfiguration?.memory);
      if (cpu === undefined || memory === undefined) continue;
      const grid = WORKER_GRID[cpu];
      if (grid === undefined)
        throw validationError(`Unsupported worker CPU ${cpu} vCPU: use 1, 2, 4, 8 or 16.`);
      if (memory < grid.min || memory > grid.max || (memory - grid.min) % grid.step !== 0) {
        throw validationError(
          `Unsupported worker memory ${memory} GB for ${cpu} vCPU: use ${grid.min} to ${grid.max} GB in ${grid.step} GB steps.`,
        );
      }
    }
  }

  private applicationView(app: Application): Json {
    return {
      applicationId: app.applicationId,
      ...(app.name === undefined ? {} : { name: app.name }),
      arn: app.arn,
      releaseLabel: app.releaseLabel,
      type: app.type,
      state: app.state,
      ...(app.stateDetails === undefined ? {} : { stateDetails: app.stateDetails }),
      createdAt: app.createdAt,
      updatedAt: app.updatedAt,
      tags: { ...app.tags },
      ...structuredClone(app.settings),
    };
  }

  createApplication(input: Json): Json {
    const token = input.clientToken as string;
    const seen = this.appTokens.get(token);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint(input)) {
        throw conflict(
          `The clientToken ${token} was already used to create an application with other parameters.`,
        );
      }
      const app = this.application(seen.id);
      return {
        applicationId: app.applicationId,
        ...(app.name === undefined ? {} : { name: app.name }),
        arn: app.arn,
      };
    }
    const type = input.type as string;
    const releaseLabel = input.releaseLabel as string;
    this.checkReleaseAndType(releaseLabel, type);
    const settings: Json = {
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
      architecture: 'X86_64',
    };
    for (const k of APPLICATION_SETTING_KEYS)
      if (input[k] !== undefined) settings[k] = structuredClone(input[k]);
    normalizeAutoStop(settings);
    this.checkWorkerConfigs(settings);
    const id = newId();
    const now = this.o.now();
    const app: Application = {
      applicationId: id,
      arn: `arn:aws:emr-serverless:${this.o.region}:${this.o.accountId}:/applications/${id}`,
      ...(typeof input.name === 'string' ? { name: input.name } : {}),
      releaseLabel,
      // The service answers with the engine's own spelling (SPARK -> Spark).
      type: type.toUpperCase() === 'SPARK' ? 'Spark' : 'Hive',
      state: 'CREATING',
      createdAt: now,
      updatedAt: now,
      tags: { ...((input.tags ?? {}) as Record<string, string>) },
      settings,
      history: [{ state: 'CREATING', at: now }],
    };
    this.apps.set(id, app);
    this.appTokens.set(token, { id, fingerprint: fingerprint(input) });
    this.o.log(`application ${id}: CREATING`);
    this.later(app, this.o.delays.applicationCreateMs, () => this.setAppState(app, 'CREATED'));
    return { applicationId: id, ...(app.name === undefined ? {} : { name: app.name }), arn: app.arn };
  }

  getApplication(input: Json): Json {
    return { application: this.applicationView(this.application(input.applicationId as string)) };
  }

  listApplications(input: Json): Json {
    const states = input.states as string[] | undefined;
    const all = [...this.apps.values()]
      .filter((a) => states === undefined || states.includes(a.state))
      .sort((a, b) => b.createdAt - a.createdAt);
    const { page, nextToken } = pageOf(all, input);
    return {
      applications: page.map((a) => ({
        id: a.applicationId,
        ...(a.name === undefined ? {} : { name: a.name }),
        arn: a.arn,
        releaseLabel: a.releaseLabel,
        type: a.type,
        state: a.state,
        ...(a.stateDetails === undefined ? {} : { stateDetails: a.stateDetails }),
        createdAt: a.createdAt,
        updatedAt: a.updatedAt,
        architecture: a.settings.architecture,
      })),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  updateApplication(input: Json): Json {
    const app = this.application(input.applicationId as string);
    if (app.state !== 'CREATED' && app.state !== 'STOPPED') {
      throw validationError(
        `Application ${app.applicationId} must be in one of the following statuses [CREATED, STOPPED]. Current status: ${app.state}`,
      );
    }
    if (typeof input.releaseLabel === 'string') {
      this.checkReleaseAndType(input.releaseLabel, app.type);
    }
    const settings = structuredClone(app.settings);
    for (const k of APPLICATION_SETTING_KEYS)
      if (input[k] !== undefined) settings[k] = structuredClone(input[k]);
    normalizeAutoStop(settings);
    this.checkWorkerConfigs(settings);
    app.settings = settings;
    if (typeof input.releaseLabel === 'string') app.releaseLabel = input.releaseLabel;
    app.updatedAt = this.o.now();
    return { application: this.applicationView(app) };
  }

  deleteApplication(input: Json): Json {
    const app = this.application(input.applicationId as string);
    if (app.state !== 'CREATED' && app.state !== 'STOPPED') {
      throw validationError(
        `Application ${app.applicationId} must be in one of the following statuses [CREATED, STOPPED]. Current status: ${app.state}`,
      );
    }
    if (this.activeJobs(app.applicationId).length > 0) {
      throw validationError(
        `Application ${app.applicationId} has job runs that are not finished: cancel them first.`,
      );
    }
    clearTimeout(app.idleTimer);
    this.setAppState(app, 'TERMINATED');
    return {};
  }

  startApplication(input: Json): Json {
    const app = this.application(input.applicationId as string);
    if (app.state === 'TERMINATED' || app.state === 'CREATING' || app.state === 'STOPPING') {
      throw validationError(`Application ${app.applicationId} cannot be started in state ${app.state}.`);
    }
    const initial = (app.settings.initialCapacity ?? {}) as Record<
      string,
      { workerCount?: number; workerConfiguration?: Json }
    >;
    const vcpus = Object.values(initial).reduce(
      (sum, c) => sum + (c.workerCount ?? 0) * (parseCount(c.workerConfiguration?.cpu) ?? 0),
      0,
    );
    if (vcpus > this.o.maxVcpus) {
      throw new ServiceError(
        'ServiceQuotaExceededException',
        `The application's initial capacity (${vcpus} vCPU) exceeds the account's maximum concurrent vCPUs (${this.o.maxVcpus}).`,
      );
    }
    this.start(app);
    return {};
  }

  /** CREATED/STOPPED -> STARTING -> STARTED; nothing when already on its way. */
  private start(app: Application): void {
    if (app.state !== 'CREATED' && app.state !== 'STOPPED') return;
    this.setAppState(app, 'STARTING');
    this.later(app, this.o.delays.applicationStartMs, () => {
      this.setAppState(app, 'STARTED');
      this.scheduleIdleStop(app);
    });
  }

  stopApplication(input: Json): Json {
    const app = this.application(input.applicationId as string);
    if (app.state === 'TERMINATED' || app.state === 'CREATING') {
      throw validationError(`Application ${app.applicationId} cannot be stopped in state ${app.state}.`);
    }
    if (this.activeJobs(app.applicationId).length > 0) {
      throw validationError(
        `Application ${app.applicationId} has job runs that are not finished: cancel them or wait before stopping it.`,
      );
    }
    this.stop(app);
    return {};
  }

  private stop(app: Application): void {
    if (app.state !== 'STARTED' && app.state !== 'STARTING') return;
    clearTimeout(app.idleTimer);
    this.setAppState(app, 'STOPPING');
    this.later(app, this.o.delays.applicationStopMs, () => this.setAppState(app, 'STOPPED'));
  }

  /** Auto-stop: a STARTED application without job runs stops after its idle timeout. */
  private scheduleIdleStop(app: Application): void {
    clearTimeout(app.idleTimer);
    const cfg = app.settings.autoStopConfiguration as { enabled?: boolean; idleTimeoutMinutes?: number };
    if (cfg.enabled === false || app.state !== 'STARTED' || this.activeJobs(app.applicationId).length > 0)
      return;
    app.idleTimer = setTimeout(
      () => {
        if (!this.stopped && app.state === 'STARTED' && this.activeJobs(app.applicationId).length === 0)
          this.stop(app);
      },
      (cfg.idleTimeoutMinutes ?? 15) * this.o.delays.minuteMs,
    );
  }

  // ---- job runs -------------------------------------------------------------------------------

  startJobRun(input: Json): Json {
    const app = this.application(input.applicationId as string);
    const token = input.clientToken as string;
    const tokenKey = `${app.applicationId}/${token}`;
    const seen = this.jobTokens.get(tokenKey);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint(input)) {
        throw conflict(`The clientToken ${token} was already used to start a job run with other parameters.`);
      }
      const job = this.jobRun(app.applicationId, seen.id);
      return { applicationId: job.applicationId, jobRunId: job.jobRunId, arn: job.arn };
    }
    const role = input.executionRoleArn as string;
    if (arnAccount(role) !== this.o.accountId) {
      throw new ServiceError('AccessDeniedException', 'Cross-account pass role is not allowed.');
    }
    const mode = (input.mode as 'BATCH' | 'STREAMING' | undefined) ?? 'BATCH';
    const timeoutProblem = executionTimeoutProblem(
      input.executionTimeoutMinutes as number | undefined,
      app.releaseLabel,
      mode,
    );
    if (timeoutProblem !== undefined) throw validationError(timeoutProblem);
    if (app.state === 'TERMINATED') {
      throw validationError(`Application ${app.applicationId} is terminated. Cannot start job run.`);
    }
    const driver = input.jobDriver as Json | undefined;
    if (driver === undefined || Object.keys(driver).length === 0)
      throw validationError('Job driver is required.');
    const engine = driver.sparkSubmit !== undefined ? 'Spark' : 'Hive';
    if (engine !== app.type) {
      throw validationError(
        `Job driver ${engine === 'Spark' ? 'sparkSubmit' : 'hive'} does not match the application type ${app.type}.`,
      );
    }
    const autoStart = (app.settings.autoStartConfiguration as { enabled?: boolean }).enabled !== false;
    if (!autoStart && app.state !== 'STARTED' && app.state !== 'STARTING') {
      throw conflict(
        `Application ${app.applicationId} is ${app.state} and its autoStartConfiguration is disabled: start it first.`,
      );
    }
    const logUri = logUriOf(input.configurationOverrides as Json | undefined);
    if (logUri !== undefined && !/^s3:\/\/[^/]+/.test(logUri)) {
      throw validationError(`Invalid logUri ${logUri}: it must be an S3 URI (s3://bucket/prefix/).`);
    }

    const id = newId();
    const now = this.o.now();
    const job: JobRun = {
      applicationId: app.applicationId,
      jobRunId: id,
      arn: `${app.arn}/jobruns/${id}`,
      ...(typeof input.name === 'string' ? { name: input.name } : {}),
      createdBy: this.o.callerArn,
      createdAt: now,
      updatedAt: now,
      executionRole: role,
      ...(input.executionIamPolicy === undefined
        ? {}
        : { executionIamPolicy: structuredClone(input.executionIamPolicy) }),
      state: 'SUBMITTED',
      stateDetails: '',
      releaseLabel: app.releaseLabel,
      jobDriver: structuredClone(driver),
      ...(input.configurationOverrides === undefined
        ? {}
        : { configurationOverrides: structuredClone(input.configurationOverrides as Json) }),
      tags: { ...((input.tags ?? {}) as Record<string, string>) },
      ...(app.settings.networkConfiguration === undefined
        ? {}
        : { networkConfiguration: structuredClone(app.settings.networkConfiguration) }),
      executionTimeoutMinutes:
        (input.executionTimeoutMinutes as number | undefined) ?? DEFAULT_EXECUTION_TIMEOUT_MINUTES,
      mode,
      ...(input.retryPolicy === undefined ? {} : { retryPolicy: structuredClone(input.retryPolicy) }),
      history: [{ state: 'SUBMITTED', at: now }],
      abort: new AbortController(),
      admitted: false,
      vcpusHeld: 0,
    };
    this.jobs.set(`${app.applicationId}/${id}`, job);
    this.jobTokens.set(tokenKey, { id, fingerprint: fingerprint(input) });
    clearTimeout(app.idleTimer);
    this.o.log(`job run ${id}: SUBMITTED`);
    const driving = this.drive(job, app).finally(() => this.drivers.delete(driving));
    this.drivers.add(driving);
    return { applicationId: app.applicationId, jobRunId: id, arn: job.arn };
  }

  /** The job run's life from SUBMITTED to a final state. */
  private async drive(job: JobRun, app: Application): Promise<void> {
    const signal = job.abort.signal;
    const d = this.o.delays;
    try {
      await sleep(d.jobSubmittedMs, undefined, { signal });
      // Admission happens inside the condition: listeners run one after the other, so two waiting
      // job runs never both take the last slot.
      const admit = (): boolean => {
        if (this.concurrencyFull(app, job)) return false;
        job.admitted = true;
        return true;
      };
      if (this.o.queueJobRuns || !admit()) {
        this.setJobState(job, 'QUEUED');
        const queuedAt = this.o.now();
        if (this.o.queueJobRuns) await sleep(d.jobQueuedMs, undefined, { signal });
        await this.waitFor(admit, signal);
        job.queuedDurationMilliseconds = this.o.now() - queuedAt;
      }
      // The application must run: auto-start it (after it is created, or has stopped) and wait.
      await this.waitFor(() => app.state !== 'CREATING' && app.state !== 'STOPPING', signal);
      this.start(app);
      await this.waitFor(() => app.state === 'STARTED' || app.state === 'TERMINATED', signal);
      if (app.state === 'TERMINATED')
        return this.finish(job, 'FAILED', `Application ${app.applicationId} was terminated.`);
      this.setJobState(job, 'SCHEDULED');

      const sparkSubmit = job.jobDriver.sparkSubmit as
        | { entryPoint: string; entryPointArguments?: string[]; sparkSubmitParameters?: string }
        | undefined;
      if (sparkSubmit === undefined) {
        return this.finish(
          job,
          'FAILED',
          'This emulator runs Spark job runs only (sparkSubmit), not Hive queries.',
        );
      }
      const defaults = {
        ...sparkDefaults(app.settings.runtimeConfiguration as unknown[] | undefined),
        ...sparkDefaults(job.configurationOverrides?.applicationConfiguration as unknown[] | undefined),
      };
      const parsed = parseSparkSubmitParameters(sparkSubmit.sparkSubmitParameters, defaults);
      // A bad parameter fails spark-submit in the driver: the workers are sized from the rest.
      const conf = parsed.ok ? parsed.config.conf : defaults;
      const sized = jobSizing(conf);
      if (!sized.ok) return this.finish(job, 'FAILED', `Job failed: ${sized.problem}.`);
      const vcpus = jobVcpus(sized.sizing);
      const appMax = parseCount((app.settings.maximumCapacity as Json | undefined)?.cpu);
      if (vcpus > this.o.maxVcpus || (appMax !== undefined && vcpus > appMax)) {
        const limit =
          appMax !== undefined && appMax < this.o.maxVcpus
            ? `the application's maximum capacity of ${appMax}`
            : `the account's quota of ${this.o.maxVcpus}`;
        return this.finish(
          job,
          'FAILED',
          `Job failed: its driver and ${sized.sizing.executors} executors need ${vcpus} vCPU, more than ${limit} vCPU.`,
        );
      }
      // Workers are allocated once the account has room for all of them (the executors are pinned);
      // reserved inside the condition, as admission above.
      await this.waitFor(() => {
        if (this.usedVcpus() + vcpus > this.o.maxVcpus) return false;
        job.vcpusHeld = vcpus;
        return true;
      }, signal);
      await sleep(d.jobScheduledMs, undefined, { signal });

      this.setJobState(job, 'RUNNING');
      const runStart = this.o.now();
      job.startedAt = runStart;
      const timeout =
        job.executionTimeoutMinutes > 0
          ? setTimeout(
              () => this.requestCancel(job, 'timeout', d.cancelGraceMs),
              job.executionTimeoutMinutes * d.minuteMs,
            )
          : undefined;
      const logUri = this.logUri(job, app);
      let outcome: JobOutcome;
      try {
        outcome = parsed.ok
          ? await runJobProcess(
              {
                applicationId: job.applicationId,
                jobRunId: job.jobRunId,
                entryPoint: sparkSubmit.entryPoint,
                entryPointArguments: sparkSubmit.entryPointArguments ?? [],
                submit: parsed.config,
                sizing: sized.sizing,
                releaseLabel: job.releaseLabel,
                ...(logUri === undefined ? {} : { logUri }),
              },
              { ...this.o.jobContext, onJvm: (pid) => this.trackJvm(job, pid) },
              signal,
            )
          : { kind: 'not-started', reason: parsed.problem };
      } finally {
        clearTimeout(timeout);
      }
      const ran = this.o.now() - runStart;
      job.vcpusHeld = 0;
      const usage = resourceUtilization(sized.sizing, ran);
      job.billed = usage.billed;
      job.total = usage.total;
      job.totalExecutionDurationSeconds = Math.round(ran / 1000);
      await this.settle(job, outcome);
    } catch (e) {
      if (!signal.aborted) {
        this.o.log(`job run ${job.jobRunId}: emulator error: ${(e as Error).stack ?? String(e)}`);
        return this.finish(
          job,
          'FAILED',
          `Job failed: internal error of the emulator: ${(e as Error).message}`,
        );
      }
      // Cancelled before the driver ran: nothing ran, nothing is billed.
      await this.endCancel(job);
    } finally {
      job.vcpusHeld = 0;
      this.notify();
      this.scheduleIdleStop(app);
    }
  }

  private logUri(job: JobRun, app: Application): string | undefined {
    return (
      logUriOf(job.configurationOverrides) ??
      logUriOf({ monitoringConfiguration: app.settings.monitoringConfiguration })
    );
  }

  private concurrencyFull(app: Application, job: JobRun): boolean {
    const max = (app.settings.schedulerConfiguration as { maxConcurrentRuns?: number } | undefined)
      ?.maxConcurrentRuns;
    if (max === undefined) return false;
    return this.activeJobs(app.applicationId).filter((j) => j !== job && j.admitted).length >= max;
  }

  private trackJvm(job: JobRun, pid: number | undefined): void {
    if (pid === undefined) delete job.jvmPid;
    else job.jvmPid = pid;
  }

  /** The final state from how the driver ended, and why. */
  private async settle(job: JobRun, outcome: JobOutcome): Promise<void> {
    if (job.cancel?.reason === 'timeout') {
      await sleep(this.o.delays.jobCancellingMs);
      return this.finish(
        job,
        'FAILED',
        `Job run timed out: it ran longer than its execution timeout of ${job.executionTimeoutMinutes} minutes.`,
      );
    }
    if (job.cancel !== undefined) return this.endCancel(job);
    if (outcome.kind === 'not-started') {
      return this.finish(
        job,
        'FAILED',
        `Job failed, please check complete logs in configured logging destination. ExitCode: 1. Last few exceptions: ${outcome.reason}`,
      );
    }
    if (outcome.exitCode === 0) return this.finish(job, 'SUCCESS', '');
    const code = outcome.exitCode ?? (outcome.signal === 'SIGKILL' ? 137 : 143);
    return this.finish(
      job,
      'FAILED',
      `Job failed, please check complete logs in configured logging destination. ExitCode: ${code}. Last few exceptions: ${outcome.reason ?? 'none'}`,
    );
  }

  private async endCancel(job: JobRun): Promise<void> {
    if (this.stopped) return this.finish(job, 'CANCELLED', 'Job run was cancelled: the emulator stopped.');
    await sleep(this.o.delays.jobCancellingMs);
    this.finish(
      job,
      'CANCELLED',
      job.cancel?.reason === 'timeout' ? 'Job run timed out.' : 'Job run was cancelled by the user.',
    );
  }

  private finish(job: JobRun, state: JobRunState, details: string): void {
    if (FINAL_JOB_STATES.includes(job.state)) return;
    job.endedAt = this.o.now();
    this.setJobState(job, state, details);
  }

  /** CANCELLING, abort the driver (SIGTERM), and SIGKILL it if it is still there after the grace period. */
  private requestCancel(job: JobRun, reason: 'user' | 'timeout' | 'shutdown', graceMs: number): void {
    if (FINAL_JOB_STATES.includes(job.state) || job.cancel !== undefined) return;
    job.cancel = { reason, graceMs };
    this.setJobState(job, 'CANCELLING');
    job.abort.abort(new Error(`job run ${reason === 'user' ? 'cancelled' : reason}`));
    const timer = setTimeout(() => {
      this.killTimers.delete(timer);
      if (job.jvmPid !== undefined) {
        try {
          process.kill(job.jvmPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, graceMs);
    this.killTimers.add(timer);
  }

  getJobRun(input: Json): Json {
    const job = this.jobRun(input.applicationId as string, input.jobRunId as string);
    if (input.attempt !== undefined && input.attempt !== 1) {
      throw notFound(`Attempt ${String(input.attempt)} of job run ${job.jobRunId} does not exist`);
    }
    return { jobRun: this.jobRunView(job) };
  }

  private jobRunView(job: JobRun): Json {
    const final = FINAL_JOB_STATES.includes(job.state);
    return {
      applicationId: job.applicationId,
      jobRunId: job.jobRunId,
      ...(job.name === undefined ? {} : { name: job.name }),
      arn: job.arn,
      createdBy: job.createdBy,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      executionRole: job.executionRole,
      ...(job.executionIamPolicy === undefined ? {} : { executionIamPolicy: job.executionIamPolicy }),
      state: job.state,
      stateDetails: job.stateDetails,
      releaseLabel: job.releaseLabel,
      ...(job.configurationOverrides === undefined
        ? {}
        : { configurationOverrides: job.configurationOverrides }),
      jobDriver: job.jobDriver,
      tags: { ...job.tags },
      ...(final && job.total !== undefined ? { totalResourceUtilization: job.total } : {}),
      ...(job.networkConfiguration === undefined ? {} : { networkConfiguration: job.networkConfiguration }),
      ...(final ? { totalExecutionDurationSeconds: job.totalExecutionDurationSeconds ?? 0 } : {}),
      executionTimeoutMinutes: job.executionTimeoutMinutes,
      ...(final
        ? { billedResourceUtilization: job.billed ?? { vCPUHour: 0, memoryGBHour: 0, storageGBHour: 0 } }
        : {}),
      mode: job.mode,
      ...(job.retryPolicy === undefined ? {} : { retryPolicy: job.retryPolicy }),
      attempt: 1,
      attemptCreatedAt: job.createdAt,
      attemptUpdatedAt: job.updatedAt,
      ...(job.startedAt === undefined ? {} : { startedAt: job.startedAt }),
      ...(job.endedAt === undefined ? {} : { endedAt: job.endedAt }),
      ...(job.queuedDurationMilliseconds === undefined
        ? {}
        : { queuedDurationMilliseconds: job.queuedDurationMilliseconds }),
    };
  }

  listJobRuns(input: Json): Json {
    const app = this.application(input.applicationId as string);
    const states = input.states as string[] | undefined;
    const after = input.createdAtAfter === undefined ? undefined : toMs(input.createdAtAfter);
    const before = input.createdAtBefore === undefined ? undefined : toMs(input.createdAtBefore);
    const runs = [...this.jobs.values()]
      .filter(
        (j) =>
          j.applicationId === app.applicationId &&
          (states === undefined || states.length === 0 || states.includes(j.state)) &&
          (after === undefined || j.createdAt > after) &&
          (before === undefined || j.createdAt < before) &&
          (input.mode === undefined || j.mode === input.mode),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    const { page, nextToken } = pageOf(runs, input);
    return {
      jobRuns: page.map((j) => ({
        applicationId: j.applicationId,
        id: j.jobRunId,
        ...(j.name === undefined ? {} : { name: j.name }),
        mode: j.mode,
        arn: j.arn,
        createdBy: j.createdBy,
        createdAt: j.createdAt,
        updatedAt: j.updatedAt,
        executionRole: j.executionRole,
        state: j.state,
        stateDetails: j.stateDetails,
        releaseLabel: j.releaseLabel,
        type: app.type,
        attempt: 1,
        attemptCreatedAt: j.createdAt,
        attemptUpdatedAt: j.updatedAt,
      })),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  listJobRunAttempts(input: Json): Json {
    const job = this.jobRun(input.applicationId as string, input.jobRunId as string);
    const app = this.application(job.applicationId);
    return {
      jobRunAttempts: [
        {
          applicationId: job.applicationId,
          id: job.jobRunId,
          ...(job.name === undefined ? {} : { name: job.name }),
          mode: job.mode,
          arn: job.arn,
          createdBy: job.createdBy,
          jobCreatedAt: job.createdAt,
          createdAt: job.createdAt,
          updatedAt: job.updatedAt,
          executionRole: job.executionRole,
          state: job.state,
          stateDetails: job.stateDetails,
          releaseLabel: job.releaseLabel,
          type: app.type,
          attempt: 1,
        },
      ],
    };
  }

  cancelJobRun(input: Json): Json {
    const job = this.jobRun(input.applicationId as string, input.jobRunId as string);
    if (FINAL_JOB_STATES.includes(job.state)) {
      throw validationError(
        `Job run ${job.jobRunId} is in a final state (${job.state}) and cannot be cancelled.`,
      );
    }
    const grace = input.shutdownGracePeriodInSeconds;
    this.requestCancel(
      job,
      'user',
      typeof grace === 'number' ? Math.max(0, grace) * 1000 : this.o.delays.cancelGraceMs,
    );
    return { applicationId: job.applicationId, jobRunId: job.jobRunId };
  }

  getDashboardForJobRun(input: Json): Json {
    const job = this.jobRun(input.applicationId as string, input.jobRunId as string);
    const token = randomBytes(12).toString('hex');
    return {
      url: `${this.o.dashboardBase()}/dashboard/${job.applicationId}/${job.jobRunId}?authToken=${token}`,
    };
  }

  // ---- tags -----------------------------------------------------------------------------------

  private tagged(arn: string): { tags: Record<string, string> } {
    const m =
      /^arn:aws[a-zA-Z0-9-]*:emr-serverless:([^:]+):(\d{12}):\/applications\/([0-9a-z]+)(?:\/jobruns\/([0-9a-z]+))?$/.exec(
        arn,
      );
    const missing = (): ServiceError => notFound(`Resource ${arn} does not exist`);
    if (!m || m[1] !== this.o.region || m[2] !== this.o.accountId) throw missing();
    const app = this.apps.get(m[3] as string);
    if (app === undefined) throw missing();
    if (m[4] === undefined) return app;
    const job = this.jobs.get(`${app.applicationId}/${m[4]}`);
    if (job === undefined) throw missing();
    return job;
  }

  tagResource(input: Json): Json {
    const r = this.tagged(input.resourceArn as string);
    Object.assign(r.tags, input.tags as Record<string, string>);
    return {};
  }

  untagResource(input: Json): Json {
    const r = this.tagged(input.resourceArn as string);
    for (const k of input.tagKeys as string[]) delete r.tags[k];
    return {};
  }

  listTagsForResource(input: Json): Json {
    return { tags: { ...this.tagged(input.resourceArn as string).tags } };
  }

  // ---- for tests and the dashboard ------------------------------------------------------------

  applicationHistory(applicationId: string): StateChange<ApplicationState>[] {
    return [...(this.apps.get(applicationId)?.history ?? [])];
  }

  jobRunHistory(applicationId: string, jobRunId: string): StateChange<JobRunState>[] {
    return [...(this.jobs.get(`${applicationId}/${jobRunId}`)?.history ?? [])];
  }

  /** A job run as GetJobRun shows it, or undefined. */
  peekJobRun(applicationId: string, jobRunId: string): Json | undefined {
    const job = this.jobs.get(`${applicationId}/${jobRunId}`);
    return job === undefined ? undefined : this.jobRunView(job);
  }

  /** Pids of the driver JVMs running now. */
  jvmPids(): number[] {
    return [...this.jobs.values()].flatMap((j) => (j.jvmPid === undefined ? [] : [j.jvmPid]));
  }

  /** Cancels every job run (drivers get SIGTERM, SIGKILL after `graceMs`) and waits until all ended. */
  async shutdown(graceMs: number): Promise<void> {
    for (const job of this.jobs.values()) this.requestCancel(job, 'shutdown', graceMs);
    this.stopped = true;
    this.notify();
    await Promise.allSettled([...this.drivers]);
    for (const t of this.killTimers) clearTimeout(t);
    for (const app of this.apps.values()) {
      clearTimeout(app.timer);
      clearTimeout(app.idleTimer);
    }
  }
}

/** A timeout of 0 disables auto-stop's idle timer only when auto-stop is off; fill the default. */
function normalizeAutoStop(settings: Json): void {
  const cfg = settings.autoStopConfiguration as { enabled?: boolean; idleTimeoutMinutes?: number };
  if (cfg.enabled !== false && cfg.idleTimeoutMinutes === undefined) {
    settings.autoStopConfiguration = { ...cfg, enabled: true, idleTimeoutMinutes: 15 };
  }
}

function logUriOf(overrides: Json | undefined): string | undefined {
  const m = overrides?.monitoringConfiguration as
    | { s3MonitoringConfiguration?: { logUri?: string } }
    | undefined;
  return m?.s3MonitoringConfiguration?.logUri;
}

function toMs(v: unknown): number {
  return typeof v === 'number' ? v * 1000 : Date.parse(String(v));
}
