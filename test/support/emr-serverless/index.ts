/**
 * An EMR Serverless emulator for the tests and the offline demo: a real HTTP server on 127.0.0.1
 * that speaks the service's REST-JSON protocol to the real `@aws-sdk/client-emr-serverless`
 * (through `endpoint` or `AWS_ENDPOINT_URL_EMR_SERVERLESS`), validates requests as the service
 * model does, walks the real application and job run states, and *runs each job run* with the
 * local runner: the entry point jar from S3, Spark `local[N]`, the execution role's credentials in
 * the JVM's environment only, gzipped driver logs under the log URI. See the README's
 * "EMR Serverless emulator" section for what it does and does not do.
 *
 * Nothing imports this at CLI start-up; load it only where it is used.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { resolveSparkClasspath } from '../../../src/local/classpath.js';
import type { SparkFamily } from '../../../src/domain/spark-family.js';
import { resolveSparkHome, sparkHomeFromClasspath } from '../../../src/local/spark-home.js';
import { findToolchain, type Toolchain } from '../../../src/local/toolchain.js';
import { listenOnLoopback } from '../../../src/services/loopback.js';
import { ServiceError } from './errors.js';
import {
  credentialScope,
  readBody,
  readInput,
  route,
  sendError,
  sendJson,
  validateInput,
  type RecordedRequest,
} from './http.js';
import { driverLogFile } from './job-process.js';
import { createEmulatorS3, type AwsCredentials } from './s3.js';
import { DEFAULT_DELAYS, EmrServerlessService, type Delays, type StateChange } from './service.js';
import type { ApplicationState, JobRunState, OperationName } from './shapes.js';

export type { AwsCredentials } from './s3.js';
export type { Delays, StateChange } from './service.js';
export type { RecordedRequest } from './http.js';
export type { ApplicationState, JobRunState, OperationName } from './shapes.js';
export { DEFAULT_DELAYS } from './service.js';

/** A call as the authorizer sees it. */
export interface AuthorizationRequest {
  operation: OperationName;
  /** The ARN acted on (`.../applications/*` for CreateApplication and ListApplications). */
  resource: string;
  /** The caller's access key id, from the request's signature. */
  accessKeyId: string;
}

/**
 * Decides whether a call is allowed: `true`/`undefined` allow it; `false` denies it with IAM's usual
 * message; a string denies it with that message (AccessDeniedException, 403).
 */
export type Authorizer = (call: AuthorizationRequest) => boolean | string | undefined;

export interface EmrServerlessEmulatorOptions {
  /** The region it serves (requests signed for another region are refused as AWS does). */
  region: string;
  /** The account (default moto's, 123456789012): ARNs, and the account execution roles must be in. */
  accountId?: string;
  /** `createdBy` of job runs (default `arn:aws:iam::<account>:user/emulator`). */
  callerArn?: string;
  /** The S3 endpoint (moto's server) the entry points come from, the logs go to and the job reads. */
  s3: { endpoint: string; credentials: AwsCredentials; region?: string };
  /**
   * The execution role's credentials, as the job's JVM gets them (environment only); default the
   * S3 credentials. Every job run gets them, whatever its executionRoleArn.
   */
  executionRoleCredentials?: AwsCredentials;
  /** More environment for every job's JVM, e.g. `{ AWS_ENDPOINT_URL_DYNAMODB: dynalite }`. */
  jobEnv?: Readonly<Record<string, string>>;
  /** Where Java and Maven are found (PATH, JAVA_HOME); its AWS_* variables never reach a job. */
  env: NodeJS.ProcessEnv;
  /** The project (its spark/pom.xml gives the Spark classpath of the local runner). */
  projectRoot: string;
  /** The classpath cache (as the local runner's: `~/.cache/populator`). */
  cacheDir: string;
  /** Where job runs keep their files (default a new temporary folder, removed by stop()). */
  workDir?: string;
  delays?: Partial<Delays>;
  /** How often a running job's driver logs are re-uploaded (default 15 s, as EMR does). */
  logUploadIntervalMs?: number;
  /** The account's concurrent vCPU quota (default 16, a new account's). */
  maxVcpus?: number;
  /** Every job run passes through QUEUED first (default false). */
  queueJobRuns?: boolean;
  /** Cores of this machine a job may use: N of local[N] is at most this (default 2). */
  maxLocalCores?: number;
  /**
   * Executor JVMs a job run gets at most (default 2): its spark.executor.instances scaled down, as
   * a local cluster whose Spark home is SPARK_HOME (in `env`) or made from the Maven classpath.
   * 0 runs every job in one JVM.
   */
  maxExecutors?: number;
  /** Heap of each executor JVM at most (default 768 MiB). */
  executorMemoryMiB?: number;
  /** Heap of each driver JVM (default 1g; the job's spark.driver.memory only sizes the bill). */
  driverMemory?: string;
  authorize?: Authorizer;
  /** The emulator's own progress lines (state changes, upload problems). */
  log?: (line: string) => void;
  now?: () => number;
}

export interface EmrServerlessEmulator {
  /** `http://127.0.0.1:<port>`: the SDK's `endpoint`, or AWS_ENDPOINT_URL_EMR_SERVERLESS. */
  endpoint: string;
  region: string;
  accountId: string;
  /** Every request received so far (method, URL, headers, body, status), oldest first. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** The states an application went through, with when. */
  applicationHistory(applicationId: string): StateChange<ApplicationState>[];
  /** The states a job run went through, with when. */
  jobRunHistory(applicationId: string, jobRunId: string): StateChange<JobRunState>[];
  /** Pids of the driver JVMs running now. */
  jvmPids(): number[];
  /** Replaces the authorizer (undefined allows everything). */
  setAuthorizer(authorize: Authorizer | undefined): void;
  /** Cancels every job run, stops every JVM it started, closes the server. Safe to call twice. */
  stop(): Promise<void>;
}

/** Environment without AWS_* variables: the caller's identity must not leak into a job. */
function withoutAws(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('AWS_')));
}

/** Caches a promise, but not a failure (the next job run tries again). */
function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f().catch((e: unknown) => {
      p = undefined;
      throw e;
    });
    return p;
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Starts the emulator on 127.0.0.1 and a free port. */
export async function startEmrServerlessEmulator(
  o: EmrServerlessEmulatorOptions,
): Promise<EmrServerlessEmulator> {
  const accountId = o.accountId ?? '123456789012';
  const callerArn = o.callerArn ?? `arn:aws:iam::${accountId}:user/emulator`;
  const log = o.log ?? (() => {});
  const now = o.now ?? Date.now;
  const createdWorkDir = o.workDir === undefined;
  const workDir = o.workDir ?? mkdtempSync(path.join(os.tmpdir(), 'populator-emr-emulator-'));
  mkdirSync(workDir, { recursive: true });
  const s3Region = o.s3.region ?? o.region;
  const s3 = createEmulatorS3({ endpoint: o.s3.endpoint, region: s3Region, credentials: o.s3.credentials });
  const role = o.executionRoleCredentials ?? o.s3.credentials;
  const toolEnv = withoutAws(o.env);
  const toolchain = once<Toolchain>(() => findToolchain(toolEnv, { needMaven: true }));
  // One classpath per Spark family, resolved when a job run of that family first needs it.
  const classpaths = new Map<SparkFamily, () => Promise<string[]>>();
  const classpath = (family: SparkFamily): Promise<string[]> => {
    let resolve = classpaths.get(family);
    if (resolve === undefined) {
      resolve = once(async () =>
        resolveSparkClasspath(path.join(o.projectRoot, 'spark'), o.cacheDir, await toolchain(), log, {
          s3: true,
          family,
        }),
      );
      classpaths.set(family, resolve);
    }
    return resolve();
  };
  let endpoint = '';
  let authorize = o.authorize;
  const recorded: RecordedRequest[] = [];

  const service = new EmrServerlessService({
    region: o.region,
    accountId,
    callerArn,
    maxVcpus: o.maxVcpus ?? 16,
    queueJobRuns: o.queueJobRuns ?? false,
    delays: { ...DEFAULT_DELAYS, ...o.delays },
    dashboardBase: () => endpoint,
    now,
    log,
    jobContext: {
      toolchain,
      classpath,
      s3,
      s3Access: { endpoint: o.s3.endpoint, region: s3Region },
      jvmEnv: {
        AWS_REGION: o.region,
        SPARK_LOCAL_IP: '127.0.0.1',
        AWS_ACCESS_KEY_ID: role.accessKeyId,
        AWS_SECRET_ACCESS_KEY: role.secretAccessKey,
        // '' unsets it in the launcher: no stale token next to long-term keys.
        AWS_SESSION_TOKEN: role.sessionToken ?? '',
        ...o.jobEnv,
      },
      workDir,
      driverMemory: o.driverMemory ?? '1g',
      maxLocalCores: o.maxLocalCores ?? 2,
      maxExecutors: o.maxExecutors ?? 2,
      executorMemoryMiB: o.executorMemoryMiB ?? 768,
      // A SPARK_HOME of another family than the run's is not used: a home made from the classpath is.
      sparkHome: (cp, family) => {
        try {
          return resolveSparkHome(toolEnv, cp, o.cacheDir, family);
        } catch {
          return sparkHomeFromClasspath(cp, o.cacheDir, family);
        }
      },
      logUploadIntervalMs: o.logUploadIntervalMs ?? 15_000,
      log,
      onJvm: () => {},
    },
  });

  const call = (operation: OperationName, input: Record<string, unknown>): Record<string, unknown> => {
    switch (operation) {
      case 'CreateApplication':
        return service.createApplication(input);
      case 'GetApplication':
        return service.getApplication(input);
      case 'ListApplications':
        return service.listApplications(input);
      case 'UpdateApplication':
        return service.updateApplication(input);
      case 'DeleteApplication':
        return service.deleteApplication(input);
      case 'StartApplication':
        return service.startApplication(input);
      case 'StopApplication':
        return service.stopApplication(input);
      case 'StartJobRun':
        return service.startJobRun(input);
      case 'GetJobRun':
        return service.getJobRun(input);
      case 'ListJobRuns':
        return service.listJobRuns(input);
      case 'ListJobRunAttempts':
        return service.listJobRunAttempts(input);
      case 'CancelJobRun':
        return service.cancelJobRun(input);
      case 'GetDashboardForJobRun':
        return service.getDashboardForJobRun(input);
      case 'TagResource':
        return service.tagResource(input);
      case 'UntagResource':
        return service.untagResource(input);
      case 'ListTagsForResource':
        return service.listTagsForResource(input);
    }
  };

  const resourceOf = (operation: OperationName, input: Record<string, unknown>): string => {
    const base = `arn:aws:emr-serverless:${o.region}:${accountId}:/applications`;
    if (typeof input.resourceArn === 'string') return input.resourceArn;
    if (typeof input.applicationId !== 'string' || operation === 'CreateApplication') return `${base}/*`;
    const app = `${base}/${input.applicationId}`;
    if (typeof input.jobRunId === 'string') return `${app}/jobruns/${input.jobRunId}`;
    return operation === 'StartJobRun' || operation === 'ListJobRuns' ? `${app}/jobruns/*` : app;
  };

  const dashboard = (res: ServerResponse, applicationId: string, jobRunId: string): void => {
    const job = service.peekJobRun(applicationId, jobRunId);
    if (job === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No such job run.\n');
      return;
    }
    const stderrFile = driverLogFile(workDir, applicationId, jobRunId, 'stderr');
    const tail = existsSync(stderrFile)
      ? readFileSync(stderrFile, 'utf8').split('\n').slice(-200).join('\n')
      : '';
    const rows = [
      'state',
      'stateDetails',
      'releaseLabel',
      'executionRole',
      'createdAt',
      'startedAt',
      'endedAt',
    ]
      .filter((k) => job[k] !== undefined)
      .map((k) => {
        const v = job[k];
        const shown = k.endsWith('At') && typeof v === 'number' ? new Date(v).toISOString() : String(v);
        return `<tr><th>${k}</th><td>${escapeHtml(shown)}</td></tr>`;
      });
    const html =
      `<!doctype html><meta charset="utf-8"><title>Job run ${escapeHtml(jobRunId)}</title>` +
      `<h1>Job run ${escapeHtml(jobRunId)} (application ${escapeHtml(applicationId)})</h1>` +
      `<p>EMR Serverless emulator: the Spark UI of a real job run would be here.</p>` +
      `<table>${rows.join('')}</table><h2>Driver stderr (last 200 lines)</h2><pre>${escapeHtml(tail)}</pre>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: RecordedRequest): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const dash = /^\/dashboard\/([0-9a-z]+)\/([0-9a-z]+)$/.exec(url.pathname);
    if (req.method === 'GET' && dash) return dashboard(res, dash[1] as string, dash[2] as string);
    const matched = route(req.method ?? 'GET', url.pathname);
    if (matched === undefined || !('route' in matched)) {
      throw new ServiceError(
        'UnknownOperationException',
        `No operation of this emulator at ${req.method} ${url.pathname}`,
      );
    }
    entry.operation = matched.route.operation;
    const scope = credentialScope(req.headers.authorization);
    if (scope === undefined)
      throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (scope.region !== o.region) {
      throw new ServiceError(
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${scope.region}'. This endpoint serves ${o.region}.`,
      );
    }
    const input = readInput(matched.route, matched.params, url, entry.body);
    validateInput(matched.route.operation, input);
    const verdict = authorize?.({
      operation: matched.route.operation,
      resource: resourceOf(matched.route.operation, input),
      accessKeyId: scope.accessKeyId,
    });
    if (verdict === false || typeof verdict === 'string') {
      throw new ServiceError(
        'AccessDeniedException',
        typeof verdict === 'string'
          ? verdict
          : `User: ${callerArn} is not authorized to perform: emr-serverless:${matched.route.operation} on resource: ${resourceOf(matched.route.operation, input)}`,
      );
    }
    sendJson(res, 200, call(matched.route.operation, input));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const entry: RecordedRequest = {
        at: now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter((e): e is [string, string | string[]] => e[1] !== undefined),
        ),
        body: '',
        status: 0,
      };
      recorded.push(entry);
      try {
        entry.body = await readBody(req);
        await handle(req, res, entry);
      } catch (e) {
        const err =
          e instanceof ServiceError
            ? e
            : new ServiceError(
                'InternalServerException',
                `Internal error of the emulator: ${(e as Error).message}`,
              );
        if (!(e instanceof ServiceError)) log(`internal error: ${(e as Error).stack ?? String(e)}`);
        entry.error = err.errorName;
        if (!res.headersSent) sendError(res, err);
      } finally {
        entry.status = res.statusCode;
      }
    })();
  });
  const port = await listenOnLoopback(server);
  endpoint = `http://127.0.0.1:${port}`;
  log(`EMR Serverless emulator on ${endpoint} (${o.region}, account ${accountId})`);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    region: o.region,
    accountId,
    requests: () => structuredClone(recorded),
    clearRequests: () => {
      recorded.length = 0;
    },
    applicationHistory: (id) => service.applicationHistory(id),
    jobRunHistory: (app, job) => service.jobRunHistory(app, job),
    jvmPids: () => service.jvmPids(),
    setAuthorizer: (a) => {
      authorize = a;
    },
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await service.shutdown(2000);
        s3.destroy();
        if (createdWorkDir) rmSync(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
