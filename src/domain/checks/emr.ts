/**
 * The EMR Serverless application and the account's vCPU quota as checks: can the application
 * take the job (state, type), does its release run one of the job's jars (emr-7.x: Spark 3.5,
 * emr-spark-8.x: Spark 4.0), and does the requested sizing fit its maximum capacity and the quota.
 */
import { checksOf, type Check } from '../checks.js';
import { EMR_VCPU_QUOTA, parseCapacity, type EmrSizing } from '../emr-sizing.js';
import {
  describeFamily,
  familyOfRelease,
  releaseProblem,
  SPARK_FAMILY,
  type SparkFamily,
} from '../spark-family.js';

const { pass, warn, fail } = checksOf('emr');

export const EMR_CHECK_IDS = [
  'emr.application',
  'emr.state',
  'emr.release',
  'emr.architecture',
  'emr.capacity',
  'emr.network',
];

/** The part of GetApplication's answer the checks read. */
export interface ApplicationFacts {
  id: string;
  name?: string;
  state: string;
  stateDetails?: string;
  type: string;
  releaseLabel: string;
  architecture?: string;
  maximumCapacity?: { cpu?: string; memory?: string; disk?: string };
  autoStartEnabled: boolean;
  subnetIds: string[];
}

/** What the release must run: the family `--spark` asks for, and the `--jar` given (read), if any. */
export interface ReleaseWants {
  spark?: SparkFamily;
  jar?: { family: SparkFamily | undefined; built: string };
}

/** The `emr.release` check of a release label: a family the job is built for, and the one asked for. */
export function releaseCheck(label: string, wants: ReleaseWants = {}, source?: string): Check {
  const problem = releaseProblem(label, wants.jar);
  const family = familyOfRelease(label);
  if (problem !== null || family === undefined) {
    return fail('emr.release', problem?.message ?? label, {
      code: 'RELEASE_LABEL',
      hint: problem?.hint ?? '',
      ...(source === undefined ? {} : { source }),
    });
  }
  if (wants.spark !== undefined && wants.spark !== family) {
    return fail(
      'emr.release',
      `--spark ${wants.spark} was asked for, but ${label} runs ${describeFamily(family)}`,
      {
        code: 'SPARK_FAMILY_MISMATCH',
        hint: `Leave out --spark (the application's release picks the jar), or use an application of ${SPARK_FAMILY[wants.spark].releases}.`,
        source: '--spark',
      },
    );
  }
  return pass(
    'emr.release',
    `${label}: ${describeFamily(family)}, Java 17: the job runs its Spark ${family} jar${wants.jar === undefined ? '' : ' (--jar, built for it)'}`,
    source === undefined ? {} : { source },
  );
}

/** The application's checks against the requested sizing (undefined when the sizing flags are off the grid). */
export function applicationChecks(
  app: ApplicationFacts,
  sizing: EmrSizing | undefined,
  wants: ReleaseWants = {},
): Check[] {
  const checks: Check[] = [];
  const isSpark = app.type.toLowerCase() === 'spark';
  checks.push(
    isSpark
      ? pass('emr.application', `${app.id}${app.name ? ` (${app.name})` : ''}, a Spark application`)
      : fail('emr.application', `${app.id} is a ${app.type} application, not a Spark one`, {
          code: 'APPLICATION_NOT_SPARK',
          hint: 'Give --application-id of a Spark application (aws emr-serverless create-application --type SPARK --release-label emr-7.5.0 ...).',
        }),
  );
  const state = app.state.toUpperCase();
  const detail = app.stateDetails ? ` (${app.stateDetails})` : '';
  if (state === 'CREATED' || state === 'STARTED' || state === 'STARTING') {
    checks.push(pass('emr.state', `${state}: takes jobs`));
  } else if (state === 'STOPPED') {
    checks.push(
      app.autoStartEnabled
        ? pass('emr.state', 'STOPPED: starts by itself when the job is submitted (a minute or two)')
        : fail('emr.state', 'STOPPED, with auto-start off: a job submitted now would be refused', {
            code: 'APPLICATION_STOPPED',
            hint: `Start it (aws emr-serverless start-application --application-id ${app.id}) or turn auto-start on.`,
          }),
    );
  } else if (state === 'CREATING' || state === 'STOPPING') {
    checks.push(
      warn(
        'emr.state',
        `${state}${detail}: it cannot take a job until it is ${state === 'CREATING' ? 'CREATED' : 'STOPPED'}`,
        {
          hint: 'Wait a minute, then validate again.',
        },
      ),
    );
  } else {
    checks.push(
      fail('emr.state', `${state}${detail}: the application takes no jobs`, {
        code: 'APPLICATION_NOT_USABLE',
        hint: 'Create a new application (TERMINATED ones cannot be started again) and pass its id.',
      }),
    );
  }
  checks.push(releaseCheck(app.releaseLabel, wants));
  const arch = app.architecture ?? 'X86_64';
  checks.push(
    pass(
      'emr.architecture',
      arch === 'ARM64'
        ? 'ARM64 (Graviton): the jar is plain JVM code and runs there; cost estimates use x86 prices, ARM64 is about 20% cheaper'
        : `${arch}`,
    ),
  );
  checks.push(capacityCheck(app, sizing));
  checks.push(
    app.subnetIds.length === 0
      ? pass('emr.network', 'no VPC: jobs reach S3 and DynamoDB over the AWS network')
      : warn(
          'emr.network',
          `the application runs in a VPC (subnets ${app.subnetIds.join(', ')}): jobs reach S3 and DynamoDB only through VPC endpoints or a NAT gateway`,
          {
            hint: 'Make sure those subnets have S3 and DynamoDB gateway endpoints (or a NAT gateway); a job without them hangs on its first read.',
          },
        ),
  );
  return checks;
}

function capacityCheck(app: ApplicationFacts, sizing: EmrSizing | undefined): Check {
  if (sizing === undefined)
    return {
      id: 'emr.capacity',
      group: 'emr',
      status: 'skipped',
      message: 'skipped: the sizing flags are not valid',
    };
  const max = app.maximumCapacity;
  if (max === undefined) {
    return pass(
      'emr.capacity',
      `no maximum capacity set: the job's ${sizing.totalCpu} vCPU are bounded only by the account's quota`,
    );
  }
  const over: string[] = [];
  const cpu = parseCapacity(max.cpu, 'vCPU');
  const memory = parseCapacity(max.memory, 'GB');
  const disk = parseCapacity(max.disk, 'GB');
  if (cpu !== null && sizing.totalCpu > cpu) over.push(`${sizing.totalCpu} vCPU > ${cpu}`);
  if (memory !== null && sizing.totalMemoryGb > memory)
    over.push(`${sizing.totalMemoryGb} GB memory > ${memory}`);
  if (disk !== null && sizing.totalDiskGb > disk) over.push(`${sizing.totalDiskGb} GB disk > ${disk}`);
  const limits = `maximum ${[max.cpu, max.memory, max.disk].filter((x) => x !== undefined).join(', ')}`;
  if (over.length === 0) {
    return pass(
      'emr.capacity',
      `the job's ${sizing.totalCpu} vCPU, ${sizing.totalMemoryGb} GB fit the application's ${limits}`,
    );
  }
  return fail('emr.capacity', `the job needs more than the application's ${limits}: ${over.join(', ')}`, {
    code: 'APPLICATION_CAPACITY',
    hint: `Lower --executors / --executor-cpu / --executor-memory, or raise the application's maximum capacity (aws emr-serverless update-application --application-id ${app.id} --maximum-capacity ...).`,
  });
}

/** The account's concurrent vCPU quota against the sizing. `quota` undefined: it could not be read. */
export function quotaCheck(
  quota: { value: number; applied: boolean } | undefined,
  sizing: EmrSizing | undefined,
  region: string,
): Check {
  if (sizing === undefined) {
    return {
      id: 'emr.quota',
      group: 'emr',
      status: 'skipped',
      message: 'skipped: the sizing flags are not valid',
    };
  }
  if (quota === undefined) {
    return {
      id: 'emr.quota',
      group: 'emr',
      status: 'skipped',
      message: 'skipped: the quota could not be read',
    };
  }
  const which = quota.applied ? 'quota' : 'default quota';
  if (sizing.totalCpu > quota.value) {
    return fail(
      'emr.quota',
      `the job needs ${sizing.totalCpu} vCPU at once, but the account's EMR Serverless ${which} in ${region} is ${quota.value}`,
      {
        code: 'VCPU_QUOTA',
        hint: `Lower --executors or --executor-cpu (the driver counts too), or request more in Service Quotas (service ${EMR_VCPU_QUOTA.serviceCode}, quota ${EMR_VCPU_QUOTA.quotaCode}).`,
      },
    );
  }
  return pass(
    'emr.quota',
    `the job's ${sizing.totalCpu} vCPU fit the account's ${which} of ${quota.value} (other running jobs share it)`,
  );
}
