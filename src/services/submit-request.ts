/**
 * The inputs step of submit: the command line as given, and for `--resume` the run it goes on
 * from, merged into the options the pipeline validates, plans and runs. A resume takes the run's
 * own inputs, pacing and sizing wherever the command line gives none (a flag's default is not
 * "given"); the endpoints of the run only where neither a flag nor the environment sets one
 * (README: Endpoints).
 */
import { resolveEndpoint } from '../domain/checks/flags.js';
import { DEFAULT_TTL_SECONDS, DEFAULT_ETL_TIME_MODE, type EtlTimeMode } from '../domain/contract.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import type { ImportRequest, InputPlaces } from '../domain/inputs.js';
import { resumedSettings, type RunnerName, type SettingsInput } from '../domain/run-record.js';
import { findResumableRun, type ResumableRun } from './resume.js';
import type { SubmitOptions } from './submit-types.js';

/** `submit`'s command line: each input undefined where it was not given. */
export interface SubmitCommandLine extends InputPlaces {
  archive?: string;
  storageConfig?: string;
  resolver?: string;
  etlTime?: EtlTimeMode;
  ttlSeconds?: number;
  writeExpired?: boolean;
  /** --write-rate, --max-in-flight and the sizing flags. */
  settings: SettingsInput;
  skipPresent: boolean;
  /** `--import` with its billing flags; undefined without it. */
  import?: ImportRequest;
  runner?: RunnerName;
  applicationId?: string;
  createApplication: boolean;
  releaseLabel?: string;
  executionRoleArn?: string;
  name?: string;
  tags: readonly string[];
  timeoutMinutes?: number;
  /** `--resume`, and `--run NAME` for which run (default the newest). */
  resume: boolean;
  run?: string;
}

/** The options a command line (and a resumed run) decides; the command adds the rest. */
export type RequestKey =
  | 'archive'
  | 'storageConfigPath'
  | 'resolverPath'
  | 'since'
  | 'until'
  | 'etlTime'
  | 'ttlSeconds'
  | 'writeExpired'
  | 'writeRate'
  | 'maxInFlight'
  | 'driverMemory'
  | 'skipPresent'
  | 'import'
  | 'region'
  | 'profile'
  | 'dynamodbEndpoint'
  | 's3Endpoint'
  | 'staging'
  | 'logPath'
  | 'jar'
  | 'spark'
  | 'runner'
  | 'resume'
  | 'emr';

/** The command line's part of the options, the run a resume goes on from, and what it kept of it. */
export interface SubmitRequest {
  options: Pick<SubmitOptions, RequestKey>;
  resumed?: ResumableRun;
  /** The pacing and sizing flags a resume took from the run (for the plan's note). */
  keptFromRun: string[];
}

/** Finds the run a `--resume` goes on from (said on `log`), and merges the inputs. */
export async function submitRequest(
  cl: SubmitCommandLine,
  ctx: { recordsDir: string; env: NodeJS.ProcessEnv; log: (line: string) => void },
): Promise<SubmitRequest> {
  let resumed: ResumableRun | undefined;
  if (cl.resume) {
    resumed = await findResumableRun({
      recordsDir: ctx.recordsDir,
      run: cl.run,
      env: ctx.env,
      profile: cl.profile,
    });
    const details = resumed.stateDetails ? `: ${resumed.stateDetails.split('\n')[0]}` : '';
    ctx.log(`Resuming run ${resumed.record.runName} (${resumed.state}${details}).`);
  }
  return mergeRequest(cl, resumed, ctx.env);
}

/** The options of a command line, a resumed run's own inputs filling in what it does not give. */
export function mergeRequest(
  cl: SubmitCommandLine,
  resumed: ResumableRun | undefined,
  env: NodeJS.ProcessEnv,
): SubmitRequest {
  const rec = resumed?.record;
  const archive = cl.archive ?? rec?.inputs.archive;
  const storageConfig = cl.storageConfig ?? rec?.inputs.storageConfig;
  const resolver = cl.resolver ?? rec?.inputs.resolver;
  if (archive === undefined || storageConfig === undefined || resolver === undefined) {
    const missing = [
      archive === undefined ? 'ARCHIVE' : null,
      storageConfig === undefined ? 'STORAGE-CONFIG' : null,
      resolver === undefined ? 'RESOLVER' : null,
    ].filter((x) => x !== null);
    throw new UserError(
      `Missing ${missing.join(', ')} (all three are needed unless --resume takes them from the run).`,
      {
        code: 'USAGE',
        exitCode: EXIT_CODES.usage,
        hint: 'Give ARCHIVE STORAGE-CONFIG RESOLVER, or --resume to go on with a recorded run.',
      },
    );
  }
  const emrRec = rec?.runner === 'emr-serverless' ? rec : undefined;
  const { settings, fromRun } = resumedSettings(rec?.settings, cl.settings);
  return {
    options: {
      archive,
      storageConfigPath: storageConfig,
      resolverPath: resolver,
      since: cl.since ?? rec?.inputs.since ?? undefined,
      until: cl.until ?? rec?.inputs.until ?? undefined,
      etlTime: cl.etlTime ?? rec?.inputs.etlTime ?? DEFAULT_ETL_TIME_MODE,
      ttlSeconds: cl.ttlSeconds ?? rec?.inputs.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      writeExpired: cl.writeExpired ?? rec?.inputs.writeExpired ?? false,
      writeRate: settings.writeRate,
      maxInFlight: settings.maxInFlight,
      driverMemory: settings.driverMemory,
      skipPresent: cl.skipPresent,
      ...importOf(cl, resumed),
      region: cl.region ?? rec?.region,
      profile: cl.profile ?? rec?.profile,
      dynamodbEndpoint:
        cl.dynamodbEndpoint ??
        (resolveEndpoint('dynamodb', undefined, env) ? undefined : rec?.endpoints?.dynamodb),
      s3Endpoint: cl.s3Endpoint ?? (resolveEndpoint('s3', undefined, env) ? undefined : rec?.endpoints?.s3),
      // An import run's staging is the S3 root of its files (a local run keeps its report here).
      staging: cl.staging ?? (rec?.import !== undefined ? importStagingOf(rec.import.folder) : rec?.staging),
      logPath: cl.logPath ?? emrRec?.log,
      // EMR Serverless: the jar the run ran (the same job code reads its records).
      jar: cl.jar ?? emrRec?.emr?.jar,
      // The family the run ran on; on EMR Serverless the application's release says it anyway.
      spark: cl.spark ?? rec?.spark,
      runner: cl.runner ?? rec?.runner,
      resume: resumed,
      emr: {
        applicationId: cl.applicationId ?? emrRec?.emr?.applicationId,
        createApplication: cl.createApplication,
        releaseLabel: cl.releaseLabel,
        executionRoleArn: cl.executionRoleArn ?? emrRec?.emr?.executionRoleArn,
        name: cl.name,
        tags: cl.tags,
        timeoutMinutes: cl.timeoutMinutes,
        sizing: {
          executors: settings.executors,
          executorCpu: settings.executorCpu,
          executorMemory: settings.executorMemory,
          driverCpu: settings.driverCpu,
          driverMemory: settings.driverMemory,
        },
      },
    },
    ...(resumed !== undefined ? { resumed } : {}),
    keptFromRun: fromRun,
  };
}

/**
 * `--import` as given, else a resumed import run's own (its billing); `resumed` when the resume only
 * imports the files its job wrote (the table may then exist: the import it started made it).
 */
function importOf(cl: SubmitCommandLine, resumed: ResumableRun | undefined): { import?: ImportRequest } {
  const rec = resumed?.record.import;
  const billing =
    rec === undefined
      ? {}
      : rec.billing.mode === 'on-demand'
        ? { billingMode: 'on-demand' }
        : {
            billingMode: 'provisioned',
            readCapacity: rec.billing.readCapacity,
            writeCapacity: rec.billing.writeCapacity,
          };
  const request = cl.import ?? (rec !== undefined ? billing : undefined);
  if (request === undefined) return {};
  return { import: { ...request, ...(resumed?.importOnly !== undefined ? { resumed: true } : {}) } };
}

/** The staging root of an import folder `<root>runs/<run>/import/`. */
export function importStagingOf(folder: string): string {
  return folder.replace(/runs\/[^/]+\/import\/?$/, '');
}
