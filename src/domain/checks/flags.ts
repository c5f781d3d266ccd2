/**
 * Every flag's value checked before anything is started: the archive URI, --since/--until, the
 * region, endpoint overrides, staging and log locations, the runner's own settings and the worker
 * sizes. Pure: what needs the file system (is the staging path a file?) is the service's.
 * A value that came from an environment variable is reported under that variable's name.
 */
import { parseLocation, type ArchiveLocation } from '../archive.js';
import { endpointProblem, isApplicationId, isRegionName, parseRoleArn, type RoleArn } from '../aws-names.js';
import { checksOf, type Check } from '../checks.js';
import {
  DEFAULT_LOCAL_DRIVER_MEMORY,
  localDriverMemoryProblem,
  resolveEmrSizing,
  sizingFlag,
  type EmrSizing,
  type SizingField,
  type SizingInput,
} from '../emr-sizing.js';
import type { RunnerName } from '../run-record.js';
import { DEFAULT_LOCAL_MASTER, localRunnerMaster } from '../spark-master.js';
import { parseTimeRange, type TimeRange } from '../time-range.js';

const { pass, warn, fail } = checksOf('flags');

/** Where the job runs (the run record's names). */
export type Runner = RunnerName;

/** The AWS services the CLI may call, with the variable the SDK reads their endpoint override from. */
export const ENDPOINT_ENV = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  sts: 'AWS_ENDPOINT_URL_STS',
  iam: 'AWS_ENDPOINT_URL_IAM',
  'emr-serverless': 'AWS_ENDPOINT_URL_EMR_SERVERLESS',
  'service-quotas': 'AWS_ENDPOINT_URL_SERVICE_QUOTAS',
} as const;
export type AwsService = keyof typeof ENDPOINT_ENV;

/** An endpoint override and where it was set (`--dynamodb-endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`). */
export interface Endpoint {
  url: string;
  from: string;
}

/** Flags with an endpoint override of their own. */
const ENDPOINT_FLAGS: Partial<Record<AwsService, string>> = {
  dynamodb: '--dynamodb-endpoint',
  s3: '--s3-endpoint',
};

export interface FlagCheckInput {
  runner: Runner;
  archive: string;
  cwd: string;
  since?: string;
  until?: string;
  /** `--region`. */
  region?: string;
  /** The storage config's `awsRegion`, once the config is valid. */
  configRegion?: { value: string; source: string };
  /** `--dynamodb-endpoint`, `--s3-endpoint`. */
  endpointFlags: Partial<Record<AwsService, string>>;
  env: NodeJS.ProcessEnv;
  staging?: string;
  logPath?: string;
  applicationId?: string;
  /** `submit --create-application`: no --application-id is needed, submit makes one. */
  createApplication?: boolean;
  /** `submit --import`: --staging is the S3 prefix of the import's files, with either runner. */
  importStaging?: boolean;
  executionRoleArn?: string;
  sizing: SizingInput;
  /** Flags (`--since`) whose value came from an environment variable, with that variable. */
  fromEnv: Readonly<Record<string, string>>;
}

export interface ResolvedFlags {
  archive?: ArchiveLocation;
  range?: TimeRange;
  region?: string;
  endpoints: Partial<Record<AwsService, Endpoint>>;
  staging?: ArchiveLocation;
  logPath?: ArchiveLocation;
  /** The EMR Serverless sizing (emr-serverless runner). */
  emrSizing?: EmrSizing;
  /** The local Spark JVM's heap (local runner). */
  driverMemory: string;
  /** The local runner's `local-cluster[N,C,M]` master, when `--executors` asks for one. */
  localMaster?: string;
  roleArn?: RoleArn;
  applicationId?: string;
  /** The services this run calls (their endpoints were checked). */
  services: AwsService[];
  /** Services whose endpoint override was refused: nothing may be sent to them. */
  invalidEndpoints: AwsService[];
}

/**
 * The endpoint override of a service, the one rule every command follows: its flag (or the flag's
 * variable), else its own variable, else AWS_ENDPOINT_URL, else the one a run was submitted with
 * (`recorded`: status, logs, cancel, verify of a recorded run). What is set now wins over the record.
 */
export function resolveEndpoint(
  service: AwsService,
  flagValue: string | undefined,
  env: NodeJS.ProcessEnv,
  fromEnv: Readonly<Record<string, string>> = {},
  recorded?: string,
): Endpoint | undefined {
  const flag = ENDPOINT_FLAGS[service];
  const candidates: [string | undefined, string][] = [
    [flagValue, flag === undefined ? ENDPOINT_ENV[service] : (fromEnv[flag] ?? flag)],
    [env[ENDPOINT_ENV[service]], ENDPOINT_ENV[service]],
    [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'],
    [recorded, 'the run record'],
  ];
  for (const [value, from] of candidates) {
    if (value !== undefined && value.trim() !== '') return { url: value.trim(), from };
  }
  return undefined;
}

/** Every flag's problems, and the values the later checks and the runner use. */
export function flagChecks(input: FlagCheckInput): { checks: Check[]; resolved: ResolvedFlags } {
  const report = flagReport(input);
  const resolved: ResolvedFlags = {
    endpoints: {},
    driverMemory: input.sizing.driverMemory ?? DEFAULT_LOCAL_DRIVER_MEMORY,
    services: [],
    invalidEndpoints: [],
  };
  const emr = input.runner === 'emr-serverless';
  archiveFlag(input, emr, report, resolved);
  timeRangeFlags(input, report, resolved);
  regionFlag(input, report, resolved);
  // Staging and logs: a location of the runner's kind.
  // With --import, an S3 --staging is where the files go, with either runner.
  const s3Staging = emr || input.importStaging === true;
  resolved.staging = locationFlag('--staging', input.staging, input.cwd, emr, report, s3Staging);
  resolved.logPath = locationFlag('--log-path', input.logPath, input.cwd, emr, report);
  // The runner's own settings.
  if (emr) emrRunnerFlags(input, report, resolved);
  else localRunnerFlags(input, report, resolved);
  endpointFlags(input, emr, report, resolved);
  return { checks: report.checks, resolved };
}

/** The checks found so far, and how a flag is named in them (by its variable when set by one). */
interface FlagReport {
  checks: Check[];
  label: (flag: string) => string;
  flagFail: (id: string, flag: string, message: string, hint: string, code?: string) => void;
}

function flagReport(input: FlagCheckInput): FlagReport {
  const checks: Check[] = [];
  const label = (flag: string): string => input.fromEnv[flag] ?? flag;
  // One place names the variable: every message about a value from the environment says so.
  const envNote = (flag: string): string =>
    input.fromEnv[flag] === undefined ? '' : ` (set by the environment variable ${input.fromEnv[flag]})`;
  const flagFail = (id: string, flag: string, message: string, hint: string, code?: string): void => {
    checks.push(fail(id, `${message}${envNote(flag)}`, { hint, source: label(flag), code }));
  };
  return { checks, label, flagFail };
}

/** The archive argument: a location, on S3 for EMR Serverless. */
function archiveFlag(input: FlagCheckInput, emr: boolean, report: FlagReport, resolved: ResolvedFlags): void {
  const { checks } = report;
  const archive = parseLocation(input.archive, input.cwd);
  if (!archive.ok) {
    checks.push(
      fail(
        'flags.archive',
        archive.reason === 'empty'
          ? 'the archive argument is empty'
          : archive.reason === 'file-uri'
            ? `the archive ${input.archive} is not a valid file:// URI`
            : `the archive ${input.archive} uses a scheme populator cannot read`,
        {
          source: 'archive',
          code: 'ARCHIVE_INVALID',
          hint: 'Pass the enriched archive: a local folder, a file:///absolute/path URI or s3://bucket/prefix/ holding run=... folders.',
        },
      ),
    );
  } else if (emr && archive.location.kind !== 's3') {
    checks.push(
      fail('flags.archive', `EMR Serverless cannot read the local archive ${archive.location.path}`, {
        source: 'archive',
        code: 'ARCHIVE_NOT_S3',
        hint: 'Copy the archive to S3 (aws s3 sync) and pass its s3://bucket/prefix/, or use --runner local.',
      }),
    );
  } else {
    resolved.archive = archive.location;
    checks.push(pass('flags.archive', archive.location.uri, { source: 'archive' }));
  }
}

/** --since / --until: form, real calendar dates, order. */
function timeRangeFlags(input: FlagCheckInput, report: FlagReport, resolved: ResolvedFlags): void {
  const range = parseTimeRange({ since: input.since, until: input.until });
  if (range.ok) {
    resolved.range = range.range;
    if (input.since !== undefined || input.until !== undefined) {
      report.checks.push(
        pass(
          'flags.time-range',
          `runs from ${input.since ?? 'the first'} (inclusive) until ${input.until ?? 'the last'} (exclusive), UTC`,
        ),
      );
    }
  } else {
    for (const issue of range.error.issues) {
      report.flagFail(
        'flags.time-range',
        issue.source,
        issue.message,
        issue.hint ?? '',
        'INVALID_TIME_RANGE',
      );
    }
  }
}

/** The region: --region, else the storage config's. */
function regionFlag(input: FlagCheckInput, report: FlagReport, resolved: ResolvedFlags): void {
  const { checks } = report;
  if (input.region !== undefined) {
    if (isRegionName(input.region)) {
      resolved.region = input.region;
      checks.push(pass('flags.region', `${input.region} (from ${report.label('--region')})`));
    } else {
      report.flagFail(
        'flags.region',
        '--region',
        `--region ${JSON.stringify(input.region)} is not an AWS region name`,
        'Give a region such as us-east-1 or eu-west-1: the one the manifest table is in.',
        'REGION_INVALID',
      );
    }
  } else if (input.configRegion !== undefined) {
    if (isRegionName(input.configRegion.value)) {
      resolved.region = input.configRegion.value;
      checks.push(pass('flags.region', `${input.configRegion.value} (awsRegion of the storage config)`));
    } else {
      checks.push(
        fail(
          'flags.region',
          `awsRegion ${JSON.stringify(input.configRegion.value)} is not an AWS region name`,
          {
            source: input.configRegion.source,
            path: '/data/awsRegion',
            code: 'REGION_INVALID',
            hint: 'Write the table\'s region, e.g. "us-east-1", or override it with --region.',
          },
        ),
      );
    }
  }
}

/** --staging or --log-path: a location of the runner's kind (EMR Serverless: S3; local: a folder). */
function locationFlag(
  flag: '--staging' | '--log-path',
  value: string | undefined,
  cwd: string,
  emr: boolean,
  report: FlagReport,
  s3Allowed: boolean = emr,
): ArchiveLocation | undefined {
  const { flagFail } = report;
  const id = flag === '--staging' ? 'flags.staging' : 'flags.log-path';
  if (value === undefined) {
    if (emr && flag === '--staging') {
      flagFail(
        id,
        flag,
        'the emr-serverless runner needs --staging, the s3:// prefix for the job jar and the run reports',
        'Give --staging s3://bucket/populator/ (or POPULATOR_STAGING); the execution role must be able to write there.',
        'STAGING_MISSING',
      );
    }
    return undefined;
  }
  const r = parseLocation(value, cwd);
  if (!r.ok) {
    flagFail(
      id,
      flag,
      `${flag} ${JSON.stringify(value)} is not a folder or an s3:// prefix`,
      `Give ${flag} a local folder${emr ? ', or for EMR Serverless an s3://bucket/prefix/' : ''}.`,
    );
    return undefined;
  }
  if (emr && r.location.kind !== 's3') {
    flagFail(
      id,
      flag,
      `${flag} ${value} is a local folder, which EMR Serverless cannot write to`,
      `Give ${flag} an s3://bucket/prefix/.`,
    );
    return undefined;
  }
  if (!s3Allowed && r.location.kind === 's3') {
    flagFail(
      id,
      flag,
      `${flag} ${value} is on S3, but the local runner writes ${flag === '--staging' ? 'its report' : 'the driver log'} to a local folder`,
      `Give ${flag} a local folder, or use --runner emr-serverless.`,
    );
    return undefined;
  }
  return r.location;
}

/** The emr-serverless runner's settings: its application, its role and the worker sizes. */
function emrRunnerFlags(input: FlagCheckInput, report: FlagReport, resolved: ResolvedFlags): void {
  applicationIdFlag(input, report, resolved);
  executionRoleFlag(input, report, resolved);
  const sizing = resolveEmrSizing(input.sizing);
  if (sizing.ok) {
    resolved.emrSizing = sizing.sizing;
    const s = sizing.sizing;
    report.checks.push(
      pass(
        'flags.sizing',
        `driver ${s.driver.cpu} vCPU / ${s.driver.memory} (${s.driver.workerMemoryGb} GB worker) + ${s.executors} executors x ${s.executor.cpu} vCPU / ${s.executor.memory} (${s.executor.workerMemoryGb} GB workers) = ${s.totalCpu} vCPU, ${s.totalMemoryGb} GB`,
      ),
    );
  } else {
    for (const p of sizing.problems) report.flagFail('flags.sizing', sizingFlag(p.field), p.message, p.hint);
  }
}

function applicationIdFlag(input: FlagCheckInput, report: FlagReport, resolved: ResolvedFlags): void {
  if (input.applicationId === undefined && input.createApplication === true) {
    // submit creates the application; the EMR checks say so.
  } else if (input.applicationId === undefined) {
    report.flagFail(
      'flags.application-id',
      '--application-id',
      'the emr-serverless runner (the default) needs --application-id',
      'Give --application-id (or POPULATOR_APPLICATION_ID; `aws emr-serverless list-applications` lists them), or --runner local to run the job on this machine.',
      'APPLICATION_ID_MISSING',
    );
  } else if (!isApplicationId(input.applicationId)) {
    report.flagFail(
      'flags.application-id',
      '--application-id',
      `--application-id ${JSON.stringify(input.applicationId)} is not an EMR Serverless application id`,
      'Application ids are lowercase letters and digits, e.g. 00fabcdef1234567 (`aws emr-serverless list-applications`).',
      'APPLICATION_ID_INVALID',
    );
  } else {
    resolved.applicationId = input.applicationId;
  }
}

function executionRoleFlag(input: FlagCheckInput, report: FlagReport, resolved: ResolvedFlags): void {
  if (input.executionRoleArn === undefined) {
    report.flagFail(
      'flags.execution-role-arn',
      '--execution-role-arn',
      'the emr-serverless runner needs --execution-role-arn, the role the job runs as',
      'Give --execution-role-arn arn:aws:iam::<account>:role/<name> (or POPULATOR_EXECUTION_ROLE_ARN); `populator iam-policy` prints the policies it needs.',
      'ROLE_ARN_MISSING',
    );
    return;
  }
  const arn = parseRoleArn(input.executionRoleArn);
  if (arn === null) {
    report.flagFail(
      'flags.execution-role-arn',
      '--execution-role-arn',
      `--execution-role-arn ${JSON.stringify(input.executionRoleArn)} is not an IAM role ARN`,
      'Write the role ARN in full: arn:aws:iam::<12-digit account>:role/<name>.',
      'ROLE_ARN_INVALID',
    );
  } else {
    resolved.roleArn = arn;
  }
}

/** The local runner's settings: the driver's heap, --executors, and the flags it ignores. */
function localRunnerFlags(input: FlagCheckInput, report: FlagReport, resolved: ResolvedFlags): void {
  const { checks, flagFail } = report;
  const problem = localDriverMemoryProblem(resolved.driverMemory);
  if (problem !== null) flagFail('flags.driver-memory', '--driver-memory', problem.message, problem.hint);
  // --executors: a local cluster of that many executor JVMs (a rehearsal of the cluster run).
  const cluster = localRunnerMaster(DEFAULT_LOCAL_MASTER, input.sizing);
  if (!cluster.ok) {
    flagFail(
      'flags.sizing',
      cluster.flag,
      cluster.problem,
      'With --runner local, --executors N starts N executor JVMs of --executor-cpu cores (default 1) and --executor-memory each (default 1g); leave --executors out to run in one JVM.',
    );
  } else if (input.sizing.executors !== undefined) {
    resolved.localMaster = cluster.master;
    checks.push(pass('flags.sizing', `a local cluster: ${cluster.master} (executor JVMs as on a cluster)`));
  }
  const clusterFlags: SizingField[] =
    input.sizing.executors === undefined ? ['executors', 'executorCpu', 'executorMemory'] : [];
  const ignored = [
    ...(input.applicationId !== undefined ? ['--application-id'] : []),
    ...(input.executionRoleArn !== undefined ? ['--execution-role-arn'] : []),
    ...([...clusterFlags, 'driverCpu'] as SizingField[])
      .filter((f) => input.sizing[f] !== undefined && f !== 'executors')
      .map(sizingFlag),
  ];
  if (ignored.length > 0) {
    checks.push(
      warn('flags.runner', `ignored by the local runner: ${ignored.map(report.label).join(', ')}`, {
        hint: 'Leave them out, or use --runner emr-serverless.',
      }),
    );
  }
}

/** Endpoint overrides of the services this run calls. */
function endpointFlags(
  input: FlagCheckInput,
  emr: boolean,
  report: FlagReport,
  resolved: ResolvedFlags,
): void {
  const services: AwsService[] = ['dynamodb', 'sts'];
  const onS3 = [resolved.archive, resolved.staging, resolved.logPath].some((l) => l?.kind === 's3');
  if (onS3 || emr) services.push('s3');
  if (emr) services.push('emr-serverless', 'iam', 'service-quotas');
  resolved.services = services;
  for (const service of services) {
    const endpoint = resolveEndpoint(service, input.endpointFlags[service], input.env, input.fromEnv);
    if (endpoint === undefined) continue;
    const problem = endpointProblem(endpoint.url);
    if (problem === null) {
      resolved.endpoints[service] = endpoint;
      report.checks.push(
        pass(`flags.endpoint.${service}`, `${service} at ${endpoint.url} (from ${endpoint.from})`),
      );
    } else {
      resolved.invalidEndpoints.push(service);
      report.checks.push(invalidEndpoint(service, endpoint, problem));
    }
  }
}

function invalidEndpoint(service: AwsService, endpoint: Endpoint, problem: string): Check {
  const isFlag = endpoint.from.startsWith('--');
  return fail(
    `flags.endpoint.${service}`,
    `the ${service} endpoint ${JSON.stringify(endpoint.url)} ${problem}${isFlag ? '' : ` (set by the environment variable ${endpoint.from})`}`,
    {
      source: endpoint.from,
      code: 'ENDPOINT_INVALID',
      hint: isFlag
        ? `Write it as http(s)://host[:port], e.g. ${endpoint.from} http://127.0.0.1:8000.`
        : `Write it as http(s)://host[:port], e.g. ${endpoint.from}=http://127.0.0.1:8000, or unset the variable.`,
    },
  );
}
