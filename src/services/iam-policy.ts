/**
 * `populator iam-policy`: the least-privilege policies of a back-fill on EMR Serverless, for this
 * archive, staging and log prefixes and this table: the execution role's permissions and trust
 * policy, and the caller's. The account comes from --account-id, else the role ARN, else STS.
 */
import path from 'node:path';

import type { StaticKeys } from '../aws/access.js';
import { parseLocation, type ArchiveLocation } from '../domain/archive.js';
import {
  isApplicationId,
  isRegionName,
  parseRoleArn,
  partitionOf,
  type RoleArn,
} from '../domain/aws-names.js';
import { UserError, type ValidationIssue } from '../domain/errors.js';
import {
  callerPolicy,
  defaultLogPlace,
  executionRolePolicy,
  executionRoleTrustPolicy,
  POLICY_FILES,
  type PolicyContext,
  type PolicyDocumentName,
  type PolicyDocument,
  type S3Place,
  type TrustPolicyDocument,
} from '../domain/iam-policy.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { loadStorageConfig } from './config-loader.js';

export interface IamPolicyOptions {
  archive: string;
  storageConfigPath: string;
  staging?: string;
  logPath?: string;
  region?: string;
  profile?: string;
  applicationId?: string;
  executionRoleArn?: string;
  /** The role's name when no --execution-role-arn is given. */
  roleName: string;
  accountId?: string;
  projectRoot: string;
  cwd: string;
  /** For the STS endpoint override. */
  env: NodeJS.ProcessEnv;
  /** `submit --import`: the caller imports the table, the job writes no item. */
  import?: boolean;
}

export interface IamPolicyResult {
  account: string;
  accountFrom: 'flag' | 'execution role ARN' | 'STS';
  region: string;
  roleName: string;
  roleArn: string;
  /** `*` when no --application-id was given: any application of the account in the region. */
  applicationId: string;
  archive: string;
  staging: string;
  logUri: string;
  table: string;
  trustPolicy: TrustPolicyDocument;
  executionRolePolicy: PolicyDocument;
  callerPolicy: PolicyDocument;
}

function s3Place(
  value: string | undefined,
  what: string,
  flag: string,
  cwd: string,
  issues: ValidationIssue[],
): S3Place | undefined {
  if (value === undefined) {
    issues.push({
      source: flag,
      path: '',
      message: `${what} is required`,
      hint: `Give ${flag} s3://bucket/prefix/: the policies name it.`,
    });
    return undefined;
  }
  const r = parseLocation(value, cwd);
  const location: ArchiveLocation | undefined = r.ok ? r.location : undefined;
  if (location?.kind !== 's3') {
    issues.push({
      source: flag,
      path: '',
      message: `${what} ${JSON.stringify(value)} is not an s3:// location, which EMR Serverless needs`,
      hint: `Give ${flag} as s3://bucket/prefix/.`,
    });
    return undefined;
  }
  return { bucket: location.bucket, prefix: location.prefix };
}

/** Builds the three policies, or throws a `UserError` listing every input that does not allow it. */
export async function buildIamPolicies(o: IamPolicyOptions): Promise<IamPolicyResult> {
  const inputs = await checkedInputs(o);
  const { storage, archive, staging, logs, region, role } = inputs;
  const { account, accountFrom } = await accountOf(o, inputs);
  const partition = role?.partition ?? partitionOf(region);
  const roleArn = role?.arn ?? `arn:${partition}:iam::${account}:role/${o.roleName}`;
  const ctx: PolicyContext = {
    partition,
    region,
    account,
    archive,
    staging,
    logs,
    table: storage.table,
    applicationId: o.applicationId ?? '*',
    roleArn,
    ...(o.import === true ? { import: true } : {}),
  };
  const uri = (p: S3Place) => `s3://${p.bucket}/${p.prefix === '' ? '' : `${p.prefix}/`}`;
  return {
    account,
    accountFrom,
    region,
    roleName: role?.name ?? o.roleName,
    roleArn,
    applicationId: ctx.applicationId,
    archive: uri(archive),
    staging: uri(staging),
    logUri: uri(logs),
    table: storage.table,
    trustPolicy: executionRoleTrustPolicy(ctx),
    executionRolePolicy: executionRolePolicy(ctx),
    callerPolicy: callerPolicy(ctx),
  };
}

/** The inputs the policies are made of, once every one of them is usable. */
interface CheckedInputs {
  storage: StorageConfig;
  archive: S3Place;
  staging: S3Place;
  logs: S3Place;
  region: string;
  role: RoleArn | null | undefined;
}

/** The storage config, the S3 places, the region and the role, or a `UserError` listing every problem. */
async function checkedInputs(o: IamPolicyOptions): Promise<CheckedInputs> {
  const issues: ValidationIssue[] = [];
  const loaded = await loadStorageConfig({
    storageConfigPath: path.resolve(o.cwd, o.storageConfigPath),
    bundledSchemasDir: path.join(o.projectRoot, 'schemas', 'iglu'),
  });
  if (!loaded.ok) issues.push(...loaded.issues);
  const archive = s3Place(o.archive, 'the archive', 'archive', o.cwd, issues);
  const staging = s3Place(o.staging, '--staging', '--staging', o.cwd, issues);
  const logs =
    o.logPath === undefined
      ? staging
        ? defaultLogPlace(staging)
        : undefined
      : s3Place(o.logPath, '--log-path', '--log-path', o.cwd, issues);
  const region = o.region ?? (loaded.ok ? loaded.storage.region : undefined);
  const role = o.executionRoleArn === undefined ? undefined : parseRoleArn(o.executionRoleArn);
  issues.push(...flagIssues(o, region, role));
  if (
    issues.length > 0 ||
    !loaded.ok ||
    archive === undefined ||
    staging === undefined ||
    logs === undefined ||
    region === undefined
  ) {
    throw new UserError(
      issues.length === 1 ? `${issues[0]?.message ?? ''}.` : `${issues.length} problems with the inputs.`,
      {
        code: 'INVALID_INPUT',
        issues,
        hint: issues.length === 1 ? (issues[0]?.hint ?? '') : 'Fix each problem and run again.',
      },
    );
  }
  return { storage: loaded.storage, archive, staging, logs, region, role };
}

/** The problems with --region, --application-id, --execution-role-arn and --account-id, in that order. */
function flagIssues(
  o: IamPolicyOptions,
  region: string | undefined,
  role: RoleArn | null | undefined,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (region !== undefined && !isRegionName(region)) {
    issues.push({
      source: '--region',
      path: '',
      message: `${JSON.stringify(region)} is not an AWS region name`,
      hint: 'Give the region of the table and the application, e.g. us-east-1.',
    });
  }
  if (o.applicationId !== undefined && !isApplicationId(o.applicationId)) {
    issues.push({
      source: '--application-id',
      path: '',
      message: `${JSON.stringify(o.applicationId)} is not an EMR Serverless application id`,
      hint: 'Application ids are lowercase letters and digits, e.g. 00fabcdef1234567.',
    });
  }
  if (o.executionRoleArn !== undefined && role === null) {
    issues.push({
      source: '--execution-role-arn',
      path: '',
      message: `${JSON.stringify(o.executionRoleArn)} is not an IAM role ARN`,
      hint: 'Write it as arn:aws:iam::<12-digit account>:role/<name>, or leave it out and give --role-name.',
    });
  }
  if (o.accountId !== undefined && !/^\d{12}$/.test(o.accountId)) {
    issues.push({
      source: '--account-id',
      path: '',
      message: `${JSON.stringify(o.accountId)} is not a 12-digit AWS account id`,
      hint: 'Give the account the role and the table are in (`aws sts get-caller-identity` shows it).',
    });
  }
  if (role && o.accountId !== undefined && role.account !== o.accountId) {
    issues.push({
      source: '--account-id',
      path: '',
      message: `--account-id ${o.accountId} is not the account of --execution-role-arn (${role.account})`,
      hint: 'Leave --account-id out: the role ARN names the account.',
    });
  }
  return issues;
}

/** The account: --account-id, else the role ARN's, else STS's answer for the caller. */
async function accountOf(
  o: IamPolicyOptions,
  { storage, region, role }: CheckedInputs,
): Promise<Pick<IamPolicyResult, 'account' | 'accountFrom'>> {
  if (o.accountId !== undefined) return { account: o.accountId, accountFrom: 'flag' };
  if (role) return { account: role.account, accountFrom: 'execution role ARN' };
  const account = await accountFromSts(
    region,
    storage.credentials.kind === 'static'
      ? {
          accessKeyId: storage.credentials.accessKeyId,
          secretAccessKey: storage.credentials.secretAccessKey,
        }
      : undefined,
    o,
  );
  return { account, accountFrom: 'STS' };
}

async function accountFromSts(
  region: string,
  credentials: StaticKeys | undefined,
  o: IamPolicyOptions,
): Promise<string> {
  const { createStsClient } = await import('../aws/sts.js');
  const endpoint = o.env.AWS_ENDPOINT_URL_STS ?? o.env.AWS_ENDPOINT_URL;
  const sts = createStsClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    ...(o.profile !== undefined && credentials === undefined ? { profile: o.profile } : {}),
  });
  try {
    return (await sts.getCallerIdentity()).account;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`The account could not be found out: ${error.message}.`, {
      code: error.code ?? 'AWS_CREDENTIALS',
      hint: 'Give --account-id (or --execution-role-arn, which names it), or credentials for `aws sts get-caller-identity`.',
      cause: error,
    });
  } finally {
    sts.destroy();
  }
}

/** The document `--document` names. */
export function policyDocument(r: IamPolicyResult, name: PolicyDocumentName): object {
  return name === 'trust'
    ? r.trustPolicy
    : name === 'execution-role'
      ? r.executionRolePolicy
      : r.callerPolicy;
}

/** Writes the three documents into `dir` (created when missing); returns their paths. */
export async function writePolicyFiles(
  r: IamPolicyResult,
  dir: string,
): Promise<Record<PolicyDocumentName, string>> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const out = {} as Record<PolicyDocumentName, string>;
  for (const name of Object.keys(POLICY_FILES) as PolicyDocumentName[]) {
    const file = path.join(dir, POLICY_FILES[name]);
    await writeFile(file, `${JSON.stringify(policyDocument(r, name), null, 2)}\n`);
    out[name] = file;
  }
  return out;
}
