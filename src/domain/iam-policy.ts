/**
 * Least-privilege IAM policies: what the EMR Serverless execution role needs (read the archive,
 * write the run's reports and logs, write the manifest table), who may assume it, and what the
 * person running populator needs (validate's reads, submit's upload and StartJobRun, status, logs,
 * cancel and verify). The same list of needs drives the policy simulation `validate` runs on the
 * role, so a role built from these policies passes it. Pure.
 */
import {
  dynamoDbTableArn,
  emrApplicationArn,
  emrJobRunArn,
  s3BucketArn,
  s3ObjectArn,
  serviceQuotaArn,
} from './aws-names.js';
import { EMR_VCPU_QUOTA } from './emr-sizing.js';

/** An S3 location as `bucket` + `prefix` (no leading or trailing `/`; `''` for the bucket's root). */
export interface S3Place {
  bucket: string;
  prefix: string;
}

export interface PolicyContext {
  partition: string;
  region: string;
  account: string;
  archive: S3Place;
  /** The staging root: runs under `runs/`, jars under `jars/`. */
  staging: S3Place;
  logs: S3Place;
  table: string;
  /** The application, or `*` for any in the account and region. */
  applicationId: string;
  /** The execution role's ARN (the caller passes it to EMR Serverless). */
  roleArn: string;
  /**
   * `submit --import`: the table is created by DynamoDB's import from S3 (with the caller's
   * identity) instead of written by the job.
   */
  import?: boolean;
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface TrustPolicyDocument {
  Version: '2012-10-17';
  Statement: {
    Sid: string;
    Effect: 'Allow';
    Principal: { Service: string };
    Action: 'sts:AssumeRole';
    Condition: Record<string, Record<string, string>>;
  }[];
}

export const EMR_SERVERLESS_PRINCIPAL = 'emr-serverless.amazonaws.com';

/** The file each document goes to with --output-dir, and the `--document` name that prints it alone. */
export const POLICY_FILES = {
  trust: 'execution-role-trust-policy.json',
  'execution-role': 'execution-role-policy.json',
  caller: 'caller-policy.json',
} as const;
export type PolicyDocumentName = keyof typeof POLICY_FILES;

/** The object `validate` writes to prove the staging prefix is writable (and that it may read it back). */
export const WRITE_CHECK_MARKER = '.populator-write-check';

/** `prefix/child` without doubled or leading slashes; `''` parts are dropped. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

/** `prefix/*`, or `*` for a bucket's root. */
function under(prefix: string): string {
  return prefix === '' ? '*' : `${prefix}/*`;
}

/** Keys under a prefix, and the prefix's own key: S3A and EMRFS probe a folder's path with HEAD before listing it. */
function keysOf(p: string, place: S3Place): string[] {
  return place.prefix === ''
    ? [s3ObjectArn(p, place.bucket, '*')]
    : [s3ObjectArn(p, place.bucket, place.prefix), s3ObjectArn(p, place.bucket, under(place.prefix))];
}

/**
 * One ListBucket statement per bucket, limited to the prefixes given. `StringLikeIfExists` rather
 * than `StringLike`: S3 answers a HEAD of a missing object with 404 only to a principal that may
 * list the bucket, and that check carries no `s3:prefix`. Hadoop's file systems HEAD a file before
 * creating it; with 403 there instead of 404 they fail. Listings (which always carry a prefix,
 * `""` for the root) stay confined to the prefixes.
 */
function listStatements(p: string, sidPrefix: string, places: { place: S3Place; prefixes: string[] }[]) {
  const byBucket = new Map<string, Set<string>>();
  for (const { place, prefixes } of places) {
    const set = byBucket.get(place.bucket) ?? new Set<string>();
    for (const prefix of prefixes) set.add(prefix);
    byBucket.set(place.bucket, set);
  }
  return [...byBucket.entries()].map(
    ([bucket, prefixes], i): PolicyStatement => ({
      Sid: `${sidPrefix}${byBucket.size > 1 ? i + 1 : ''}`,
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [s3BucketArn(p, bucket)],
      ...(prefixes.has('*')
        ? {}
        : { Condition: { StringLikeIfExists: { 's3:prefix': [...prefixes].sort() } } }),
    }),
  );
}

/** Prefix patterns for `s3:prefix`: the prefix itself (with and without its slash) and everything below. */
function listPrefixes(prefix: string): string[] {
  return prefix === '' ? ['*'] : [prefix, `${prefix}/`, `${prefix}/*`];
}

/** Where the job writes a run's reports, and where jars go: the shared staging layout. */
export function stagingRuns(staging: S3Place): S3Place {
  return { bucket: staging.bucket, prefix: joinKey(staging.prefix, 'runs') };
}

export function stagingJars(staging: S3Place): S3Place {
  return { bucket: staging.bucket, prefix: joinKey(staging.prefix, 'jars') };
}

/** The EMR Serverless log URI when --log-path is not given: `<staging>/logs/`. */
export function defaultLogPlace(staging: S3Place): S3Place {
  return { bucket: staging.bucket, prefix: joinKey(staging.prefix, 'logs') };
}

/** The execution role's permissions: exactly what the job does on EMR Serverless. */
export function executionRolePolicy(c: PolicyContext): PolicyDocument {
  const p = c.partition;
  const runs = stagingRuns(c.staging);
  const jars = stagingJars(c.staging);
  return {
    Version: '2012-10-17',
    Statement: [
      ...listStatements(p, 'ListArchiveAndStaging', [
        { place: c.archive, prefixes: listPrefixes(c.archive.prefix) },
        { place: runs, prefixes: listPrefixes(runs.prefix) },
      ]),
      {
        Sid: 'ReadArchive',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: keysOf(p, c.archive),
      },
      {
        // EMR Serverless fetches the entry point with the job's role.
        Sid: 'ReadJobJar',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [s3ObjectArn(p, jars.bucket, under(jars.prefix))],
      },
      {
        // The run's summary.json, progress.json, bad-rows/ and resume records; overwritten on a
        // retried task (Delete: Hadoop's S3 clients remove the folder markers they created).
        Sid: 'WriteRunReports',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: keysOf(p, runs),
      },
      {
        Sid: 'WriteLogs',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [s3ObjectArn(p, c.logs.bucket, under(c.logs.prefix))],
      },
      // With --import the job writes files for the import (under runs/) and never the table.
      ...(c.import === true
        ? []
        : [
            {
              Sid: 'WriteManifest',
              Effect: 'Allow' as const,
              // BatchGetItem: `submit --skip-present` looks the keys up before writing them.
              Action: ['dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:BatchGetItem'],
              Resource: [dynamoDbTableArn(p, c.region, c.account, c.table)],
            },
          ]),
    ],
  };
}

/** The log groups DynamoDB's import writes its errors to (without them it fails with only a message). */
export const IMPORT_LOG_GROUPS = '/aws-dynamodb/*';

/**
 * What `submit --import` adds to the caller's policy: the import (made with the caller's identity,
 * which must read the files the job wrote), its log group, and TTL turned on afterwards.
 */
export function importStatements(c: PolicyContext): PolicyStatement[] {
  const p = c.partition;
  const runs = stagingRuns(c.staging);
  const table = dynamoDbTableArn(p, c.region, c.account, c.table);
  return [
    {
      // ImportTable creates the table; DescribeImport follows it; UpdateTimeToLive turns TTL on after.
      Sid: 'ImportManifest',
      Effect: 'Allow',
      Action: ['dynamodb:ImportTable', 'dynamodb:DescribeImport', 'dynamodb:UpdateTimeToLive'],
      Resource: [table, `${table}/import/*`],
    },
    ...listStatements(p, 'ImportListsRunFiles', [{ place: runs, prefixes: listPrefixes(runs.prefix) }]),
    {
      // The import reads the files the job wrote under <staging>/runs/<run>/import/.
      Sid: 'ImportReadsRunFiles',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: keysOf(p, runs),
    },
    {
      Sid: 'ImportLogs',
      Effect: 'Allow',
      Action: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        'logs:PutRetentionPolicy',
      ],
      Resource: [`arn:${p}:logs:${c.region}:${c.account}:log-group:${IMPORT_LOG_GROUPS}`],
    },
  ];
}

/** Who may assume the role: EMR Serverless, for this account's application (confused-deputy guard). */
export function executionRoleTrustPolicy(c: PolicyContext): TrustPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EmrServerlessAssumesRole',
        Effect: 'Allow',
        Principal: { Service: EMR_SERVERLESS_PRINCIPAL },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': c.account },
          ArnLike: { 'aws:SourceArn': emrApplicationArn(c.partition, c.region, c.account, c.applicationId) },
        },
      },
    ],
  };
}

/** What the person (or CI role) running populator needs: validate, submit, status, logs, cancel, verify. */
export function callerPolicy(c: PolicyContext): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      ...callerArchiveReads(c),
      ...callerJarUpload(c),
      ...callerRunOutputReads(c),
      ...callerManifestReads(c),
      ...callerJobRuns(c),
      ...callerRolePassing(c),
      ...callerQuotaReads(c),
      ...(c.import === true ? importStatements(c) : []),
    ],
  };
}

/** The caller's listings of the archive, staging and logs, and its reads of the archive. */
function callerArchiveReads(c: PolicyContext): PolicyStatement[] {
  const p = c.partition;
  return [
    ...listStatements(p, 'ListArchiveStagingAndLogs', [
      { place: c.archive, prefixes: listPrefixes(c.archive.prefix) },
      { place: c.staging, prefixes: listPrefixes(c.staging.prefix) },
      { place: c.logs, prefixes: listPrefixes(c.logs.prefix) },
    ]),
    {
      // validate lists, verify samples (ranged reads).
      Sid: 'ReadArchive',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: keysOf(p, c.archive),
    },
  ];
}

/** submit's jar upload and validate's staging marker. */
function callerJarUpload(c: PolicyContext): PolicyStatement[] {
  const p = c.partition;
  const jars = stagingJars(c.staging);
  return [
    {
      // submit uploads the jar once per version (HEAD first); validate writes and reads its marker.
      Sid: 'UploadJarAndCheckStaging',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      Resource: [
        s3ObjectArn(p, jars.bucket, under(jars.prefix)),
        s3ObjectArn(p, c.staging.bucket, joinKey(c.staging.prefix, WRITE_CHECK_MARKER)),
      ],
    },
  ];
}

/** What the job wrote: the run's reports and the EMR Serverless logs. */
function callerRunOutputReads(c: PolicyContext): PolicyStatement[] {
  const p = c.partition;
  const runs = stagingRuns(c.staging);
  return [
    {
      // status, verify and submit --resume read what the job wrote.
      Sid: 'ReadRunReports',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: keysOf(p, runs),
    },
    {
      Sid: 'ReadLogs',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [s3ObjectArn(p, c.logs.bucket, under(c.logs.prefix))],
    },
  ];
}

/** The manifest table, read only: the job (or the import) writes it. */
function callerManifestReads(c: PolicyContext): PolicyStatement[] {
  const table = dynamoDbTableArn(c.partition, c.region, c.account, c.table);
  return [
    {
      // validate and submit describe the table; verify looks keys up.
      Sid: 'ReadManifest',
      Effect: 'Allow',
      Action: ['dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive', 'dynamodb:BatchGetItem'],
      Resource: [table],
    },
  ];
}

/** EMR Serverless: start job runs on the application, then follow, tag and cancel them. */
function callerJobRuns(c: PolicyContext): PolicyStatement[] {
  const p = c.partition;
  const application = emrApplicationArn(p, c.region, c.account, c.applicationId);
  const jobRuns = emrJobRunArn(p, c.region, c.account, c.applicationId, '*');
  return [
    {
      Sid: 'RunJobs',
      Effect: 'Allow',
      Action: ['emr-serverless:GetApplication', 'emr-serverless:StartJobRun', 'emr-serverless:ListJobRuns'],
      Resource: [application],
    },
    {
      // Tags given to StartJobRun are applied with TagResource on the new job run.
      Sid: 'FollowJobs',
      Effect: 'Allow',
      Action: [
        'emr-serverless:GetJobRun',
        'emr-serverless:CancelJobRun',
        'emr-serverless:GetDashboardForJobRun',
        'emr-serverless:TagResource',
      ],
      Resource: [jobRuns],
    },
  ];
}

/** IAM: pass the execution role to EMR Serverless, and let validate inspect it. */
function callerRolePassing(c: PolicyContext): PolicyStatement[] {
  return [
    {
      Sid: 'PassExecutionRole',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: [c.roleArn],
      Condition: { StringEquals: { 'iam:PassedToService': EMR_SERVERLESS_PRINCIPAL } },
    },
    {
      Sid: 'InspectExecutionRole',
      Effect: 'Allow',
      Action: ['iam:GetRole', 'iam:SimulatePrincipalPolicy'],
      Resource: [c.roleArn],
    },
  ];
}

/** Service Quotas: validate's check of the account's EMR Serverless vCPU quota. */
function callerQuotaReads(c: PolicyContext): PolicyStatement[] {
  return [
    {
      Sid: 'ReadVcpuQuota',
      Effect: 'Allow',
      Action: ['servicequotas:GetServiceQuota'],
      Resource: [
        serviceQuotaArn(
          c.partition,
          c.region,
          c.account,
          EMR_VCPU_QUOTA.serviceCode,
          EMR_VCPU_QUOTA.quotaCode,
        ),
      ],
    },
    {
      // Default quota values are not account data and have no resource to name.
      Sid: 'ReadDefaultQuota',
      Effect: 'Allow',
      Action: ['servicequotas:GetAWSDefaultServiceQuota'],
      Resource: ['*'],
    },
  ];
}

/** One request to simulate: an action on a resource, with the context keys it carries. */
export interface SimulatedRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
  /** What it is for, in the words a user reads in a failed check. */
  purpose: string;
}

/**
 * Requests typical of the job, for `validate`'s SimulatePrincipalPolicy on the execution role:
 * one per kind of access, on keys shaped like the job's.
 */
export function executionRoleRequests(
  c: PolicyContext,
  sample: { runId: string; runName: string; skipPresent?: boolean; import?: boolean },
): SimulatedRequest[] {
  const p = c.partition;
  const runs = stagingRuns(c.staging);
  const jars = stagingJars(c.staging);
  const runFolder = joinKey(runs.prefix, sample.runName);
  const table = dynamoDbTableArn(p, c.region, c.account, c.table);
  return [
    {
      action: 's3:ListBucket',
      resource: s3BucketArn(p, c.archive.bucket),
      context: { 's3:prefix': `${joinKey(c.archive.prefix, `run=${sample.runId}`)}/` },
      purpose: 'list the archive',
    },
    {
      action: 's3:GetObject',
      resource: s3ObjectArn(
        p,
        c.archive.bucket,
        joinKey(c.archive.prefix, `run=${sample.runId}`, 'part-00000.gz'),
      ),
      purpose: 'read the archive',
    },
    {
      action: 's3:GetObject',
      resource: s3ObjectArn(p, jars.bucket, joinKey(jars.prefix, 'populator-job.jar')),
      purpose: 'read the job jar from staging',
    },
    {
      action: 's3:PutObject',
      resource: s3ObjectArn(p, runs.bucket, joinKey(runFolder, 'summary.json')),
      purpose: 'write the run report to staging',
    },
    {
      action: 's3:GetObject',
      resource: s3ObjectArn(p, runs.bucket, joinKey(runFolder, 'progress.json')),
      purpose: 'read progress records back from staging (resume)',
    },
    {
      action: 's3:PutObject',
      resource: s3ObjectArn(
        p,
        c.logs.bucket,
        joinKey(
          c.logs.prefix,
          'applications',
          c.applicationId,
          'jobs',
          'job-run',
          'SPARK_DRIVER',
          'stderr.gz',
        ),
      ),
      purpose: 'write the driver log to the log URI',
    },
    ...(sample.import === true
      ? [
          {
            action: 's3:PutObject',
            resource: s3ObjectArn(p, runs.bucket, joinKey(runFolder, 'import', 'part-00000.json.gz')),
            purpose: 'write the import files to staging (--import)',
          },
        ]
      : [
          { action: 'dynamodb:DescribeTable', resource: table, purpose: 'describe the manifest table' },
          { action: 'dynamodb:PutItem', resource: table, purpose: 'write manifest items' },
        ]),
    ...(sample.skipPresent === true
      ? [{ action: 'dynamodb:BatchGetItem', resource: table, purpose: 'look keys up first (--skip-present)' }]
      : []),
  ];
}
