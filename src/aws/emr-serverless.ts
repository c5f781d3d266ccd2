/**
 * The EMR Serverless calls the CLI makes, behind a narrow interface built by one factory
 * (aws-cdk-cli style). Answers are plain data (ISO times, resource-hours); SDK errors a user can
 * fix become `UserError`s with the fix here, the service's own message passed through.
 */
import {
  CancelJobRunCommand,
  CreateApplicationCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  StartJobRunCommand,
  type Application,
  type EMRServerlessClientConfig,
  type ResourceUtilization,
  type TotalResourceUtilization,
} from '@aws-sdk/client-emr-serverless';

import type { ApplicationFacts } from '../domain/checks/emr.js';
import type { ResourceHours } from '../domain/emr.js';
import { UserError } from '../domain/errors.js';
import {
  connectionCode,
  errorName,
  httpStatus,
  isCredentialErrorName,
  isThrottlingErrorName,
} from './sdk-errors.js';

/** How to reach EMR Serverless. Without `credentials`, the default chain (or `profile`) is used. */
export interface EmrServerlessClientOptions {
  region: string;
  /** An endpoint override (an emulator); otherwise the SDK's own, `AWS_ENDPOINT_URL_EMR_SERVERLESS` included. */
  endpoint?: string;
  credentials?: EMRServerlessClientConfig['credentials'];
  profile?: string;
  /** Attempts per call (the SDK's default 3); checks make one call and want its answer soon. */
  maxAttempts?: number;
}

/** A job run, as `status` shows it. Times are ISO-8601 UTC. */
export interface JobRunInfo {
  applicationId: string;
  jobRunId: string;
  arn: string;
  name: string | undefined;
  state: string;
  stateDetails: string | undefined;
  releaseLabel: string | undefined;
  executionRole: string | undefined;
  createdAt: string | undefined;
  updatedAt: string | undefined;
  startedAt: string | undefined;
  endedAt: string | undefined;
  queuedMilliseconds: number | undefined;
  totalExecutionDurationSeconds: number | undefined;
  attempt: number | undefined;
  /** What AWS bills: 1-minute minimum per worker, storage beyond the free 20 GB. */
  billed: ResourceHours | undefined;
  /** What the workers used. */
  total: ResourceHours | undefined;
  logUri: string | undefined;
  entryPoint: string | undefined;
  entryPointArguments: string[];
  tags: Record<string, string>;
}

/** StartJobRun, with the fields populator sets (DESIGN 3.4). */
export interface StartJobRunInput {
  applicationId: string;
  clientToken: string;
  executionRoleArn: string;
  name: string;
  entryPoint: string;
  entryPointArguments: string[];
  sparkSubmitParameters: string;
  logUri: string;
  tags: Record<string, string>;
  executionTimeoutMinutes: number | undefined;
}

export interface CreateApplicationInput {
  name: string;
  releaseLabel: string;
  clientToken: string;
  tags: Record<string, string>;
}

/** The EMR Serverless operations the CLI uses. */
export interface EmrServerlessClient {
  /** The application (as the checks read it), or null when there is none with that id. */
  findApplication(applicationId: string): Promise<ApplicationFacts | null>;
  /** A Spark application on x86_64 that starts on submission and stops after 15 idle minutes. */
  createApplication(input: CreateApplicationInput): Promise<{ applicationId: string; arn: string }>;
  startJobRun(input: StartJobRunInput): Promise<{ applicationId: string; jobRunId: string; arn: string }>;
  getJobRun(applicationId: string, jobRunId: string): Promise<JobRunInfo>;
  cancelJobRun(applicationId: string, jobRunId: string): Promise<void>;
  /** The Spark UI (live) or history server (after the end) URL; valid for a short while. */
  getDashboardForJobRun(applicationId: string, jobRunId: string): Promise<string | undefined>;
  destroy(): void;
}

/** Minutes of idleness after which a created application stops (EMR Serverless's own default). */
export const AUTO_STOP_IDLE_MINUTES = 15;

const iso = (d: Date | undefined): string | undefined => (d === undefined ? undefined : d.toISOString());

function hours(u: ResourceUtilization | TotalResourceUtilization | undefined): ResourceHours | undefined {
  if (u === undefined) return undefined;
  return {
    vCpuHours: u.vCPUHour ?? 0,
    memoryGbHours: u.memoryGBHour ?? 0,
    storageGbHours: u.storageGBHour ?? 0,
  };
}

/** GetApplication's "no such application": AWS answers 404 ResourceNotFoundException; moto a 400 ValidationException naming the id. */
function isNoSuchApplication(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'ResourceNotFoundException' ||
    (name === 'ValidationException' && /not\s*found|does not exist/i.test(String((error as Error).message)))
  );
}

/** GetApplication's answer, as the checks read it. */
function applicationFacts(app: Application, id: string): ApplicationFacts {
  return {
    id: app.applicationId ?? id,
    ...(app.name ? { name: app.name } : {}),
    state: app.state ?? 'UNKNOWN',
    ...(app.stateDetails ? { stateDetails: app.stateDetails } : {}),
    type: app.type ?? '',
    releaseLabel: app.releaseLabel ?? '',
    ...(app.architecture ? { architecture: app.architecture } : {}),
    ...(app.maximumCapacity
      ? {
          maximumCapacity: {
            cpu: app.maximumCapacity.cpu,
            memory: app.maximumCapacity.memory,
            ...(app.maximumCapacity.disk ? { disk: app.maximumCapacity.disk } : {}),
          },
        }
      : {}),
    // EMR Serverless starts a stopped application for a job unless auto-start was turned off.
    autoStartEnabled: app.autoStartConfiguration?.enabled ?? true,
    subnetIds: app.networkConfiguration?.subnetIds ?? [],
  };
}

/** Builds the EMR Serverless adapter. Each call makes its own SDK client: nothing is cached at module level. */
export function createEmrServerlessClient(opts: EmrServerlessClientOptions): EmrServerlessClient {
  const sdk = new EMRServerlessClient({
    region: opts.region,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
  });
  const call = async <T>(
    ctx: Omit<EmrErrorContext, 'region' | 'endpoint'>,
    fn: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw mapEmrServerlessError(error, { ...ctx, region: opts.region, endpoint: opts.endpoint });
    }
  };

  return {
    async findApplication(applicationId) {
      let a;
      try {
        a = (await sdk.send(new GetApplicationCommand({ applicationId }))).application;
      } catch (error) {
        if (isNoSuchApplication(error)) return null;
        throw mapEmrServerlessError(error, {
          operation: 'GetApplication',
          applicationId,
          region: opts.region,
          endpoint: opts.endpoint,
        });
      }
      return a === undefined ? null : applicationFacts(a, applicationId);
    },

    async createApplication(input) {
      const r = await call({ operation: 'CreateApplication' }, () =>
        sdk.send(
          new CreateApplicationCommand({
            name: input.name,
            releaseLabel: input.releaseLabel,
            type: 'SPARK',
            clientToken: input.clientToken,
            architecture: 'X86_64',
            autoStartConfiguration: { enabled: true },
            autoStopConfiguration: { enabled: true, idleTimeoutMinutes: AUTO_STOP_IDLE_MINUTES },
            tags: input.tags,
          }),
        ),
      );
      if (r.applicationId === undefined) throw new Error('CreateApplication returned no applicationId');
      return { applicationId: r.applicationId, arn: r.arn ?? '' };
    },

    async startJobRun(input) {
      const r = await call(
        { operation: 'StartJobRun', applicationId: input.applicationId, role: input.executionRoleArn },
        () =>
          sdk.send(
            new StartJobRunCommand({
              applicationId: input.applicationId,
              clientToken: input.clientToken,
              executionRoleArn: input.executionRoleArn,
              name: input.name,
              jobDriver: {
                sparkSubmit: {
                  entryPoint: input.entryPoint,
                  entryPointArguments: input.entryPointArguments,
                  sparkSubmitParameters: input.sparkSubmitParameters,
                },
              },
              configurationOverrides: {
                monitoringConfiguration: { s3MonitoringConfiguration: { logUri: input.logUri } },
              },
              tags: input.tags,
              ...(input.executionTimeoutMinutes === undefined
                ? {}
                : { executionTimeoutMinutes: input.executionTimeoutMinutes }),
            }),
          ),
      );
      if (r.jobRunId === undefined) throw new Error('StartJobRun returned no jobRunId');
      return {
        applicationId: r.applicationId ?? input.applicationId,
        jobRunId: r.jobRunId,
        arn: r.arn ?? '',
      };
    },

    async getJobRun(applicationId, jobRunId) {
      const { jobRun: j } = await call({ operation: 'GetJobRun', applicationId, jobRunId }, () =>
        sdk.send(new GetJobRunCommand({ applicationId, jobRunId })),
      );
      if (j === undefined) throw new Error(`GetJobRun ${jobRunId} returned no job run`);
      const submit = j.jobDriver?.sparkSubmit;
      return {
        applicationId: j.applicationId ?? applicationId,
        jobRunId: j.jobRunId ?? jobRunId,
        arn: j.arn ?? '',
        name: j.name,
        state: j.state ?? 'UNKNOWN',
        stateDetails: j.stateDetails === '' ? undefined : j.stateDetails,
        releaseLabel: j.releaseLabel,
        executionRole: j.executionRole,
        createdAt: iso(j.createdAt),
        updatedAt: iso(j.updatedAt),
        startedAt: iso(j.startedAt),
        endedAt: iso(j.endedAt),
        queuedMilliseconds: j.queuedDurationMilliseconds,
        totalExecutionDurationSeconds: j.totalExecutionDurationSeconds,
        attempt: j.attempt,
        billed: hours(j.billedResourceUtilization),
        total: hours(j.totalResourceUtilization),
        logUri: j.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri,
        entryPoint: submit?.entryPoint,
        entryPointArguments: submit?.entryPointArguments ?? [],
        tags: j.tags ?? {},
      };
    },

    async cancelJobRun(applicationId, jobRunId) {
      await call({ operation: 'CancelJobRun', applicationId, jobRunId }, () =>
        sdk.send(new CancelJobRunCommand({ applicationId, jobRunId })),
      );
    },

    async getDashboardForJobRun(applicationId, jobRunId) {
      const r = await call({ operation: 'GetDashboardForJobRun', applicationId, jobRunId }, () =>
        sdk.send(new GetDashboardForJobRunCommand({ applicationId, jobRunId })),
      );
      return r.url;
    },

    destroy() {
      sdk.destroy();
    },
  };
}

/** Where a failed call went, for the error message. */
export interface EmrErrorContext {
  operation: string;
  region: string;
  endpoint: string | undefined;
  applicationId?: string;
  jobRunId?: string;
  /** The execution role of a StartJobRun (iam:PassRole is checked on it). */
  role?: string;
}

/** The ARN pattern of what an operation acts on (the account is not known here). */
function resourceOf(ctx: EmrErrorContext): string {
  const app = `arn:aws:emr-serverless:${ctx.region}:<account>:/applications/${ctx.applicationId ?? '*'}`;
  if (ctx.operation === 'CreateApplication') return `arn:aws:emr-serverless:${ctx.region}:<account>:/*`;
  if (ctx.jobRunId !== undefined || ctx.operation === 'StartJobRun')
    return `${app}/jobruns/${ctx.jobRunId ?? '*'}`;
  return app;
}

/** Turns an SDK error a user can fix into a `UserError` with the fix; returns anything else unchanged. */
export function mapEmrServerlessError(error: unknown, ctx: EmrErrorContext): unknown {
  if (error instanceof UserError) return error;
  const name = errorName(error);
  const status = httpStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  const op = `emr-serverless:${ctx.operation}`;
  if (name !== undefined && isCredentialErrorName(name)) {
    return new UserError(`EMR Serverless ${ctx.operation} was refused: ${message}`, {
      code: 'AWS_CREDENTIALS',
      hint: 'The AWS credentials are missing, expired or wrong: refresh them (`aws sso login`, new keys), pick a profile with --profile / AWS_PROFILE; `aws sts get-caller-identity` shows which identity is used.',
      cause: error,
    });
  }
  if (name === 'AccessDeniedException' || status === 403) {
    const passRole =
      ctx.operation === 'StartJobRun' && ctx.role !== undefined
        ? ` and iam:PassRole on ${ctx.role} (with iam:PassedToService emr-serverless.amazonaws.com)`
        : '';
    return new UserError(`EMR Serverless refused ${op} on ${resourceOf(ctx)} (access denied): ${message}`, {
      code: 'EMR_ACCESS_DENIED',
      hint: `Grant the identity you run populator with ${op} on ${resourceOf(ctx)}${passRole}; \`populator iam-policy\` prints the whole policy, \`aws sts get-caller-identity\` shows the identity.`,
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException' || status === 404) {
    if (ctx.jobRunId !== undefined) {
      return new UserError(
        `EMR Serverless has no job run ${ctx.jobRunId} in application ${ctx.applicationId} (region ${ctx.region}): ${message}`,
        {
          code: 'JOB_RUN_NOT_FOUND',
          hint: "Check the job run id and --region (job runs live in their application's region); `populator runs` lists the runs submitted from here.",
          cause: error,
        },
      );
    }
    return new UserError(
      `EMR Serverless has no application ${ctx.applicationId ?? ''} in region ${ctx.region}: ${message}`,
      {
        code: 'APPLICATION_NOT_FOUND',
        hint: `Check --application-id and --region (applications are regional; \`aws emr-serverless list-applications --region ${ctx.region}\` lists them), or create one with --create-application.`,
        cause: error,
      },
    );
  }
  if (name === 'ServiceQuotaExceededException') {
    return new UserError(`EMR Serverless refused ${ctx.operation}: a quota is exceeded (${message}).`, {
      code: 'EMR_QUOTA_EXCEEDED',
      hint: 'Lower the sizing (--executors, --executor-cpu), wait for other job runs to end, or ask for more in Service Quotas (emr-serverless, "Max concurrent vCPUs per account", L-D05C8A75).',
      cause: error,
    });
  }
  if (name === 'ConflictException') {
    return new UserError(`EMR Serverless refused ${ctx.operation}: ${message}`, {
      code: 'EMR_CONFLICT',
      hint:
        ctx.applicationId === undefined
          ? 'Wait for the resource to settle and run the command again.'
          : `The application ${ctx.applicationId} is in a state that cannot take this request: \`aws emr-serverless get-application --application-id ${ctx.applicationId}\` shows it; start it or wait until it is CREATED or STARTED.`,
      cause: error,
    });
  }
  if (name === 'ValidationException' || (status === 400 && !isThrottlingErrorName(name ?? ''))) {
    return new UserError(`EMR Serverless refused ${ctx.operation}: ${message}`, {
      code: 'EMR_VALIDATION',
      hint: "The message above is the service's own: fix the value it names (flags --application-id, --execution-role-arn, --log-path, --name, --tag, --timeout, the sizing) and run again.",
      cause: error,
    });
  }
  const code = connectionCode(error);
  if (code !== undefined || name === 'TimeoutError') {
    const target = ctx.endpoint ?? `the EMR Serverless endpoint of region ${ctx.region}`;
    return new UserError(`cannot reach EMR Serverless at ${target} (${code ?? name})`, {
      code: 'EMR_UNREACHABLE',
      hint:
        ctx.endpoint === undefined
          ? `Check the network and the region (${ctx.region}: is it a region EMR Serverless runs in? --region changes it); AWS_ENDPOINT_URL_EMR_SERVERLESS overrides the endpoint.`
          : 'Check AWS_ENDPOINT_URL_EMR_SERVERLESS / AWS_ENDPOINT_URL and that the service (e.g. an emulator) is listening there.',
      cause: error,
    });
  }
  return error;
}
