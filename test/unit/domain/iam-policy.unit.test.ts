/**
 * The generated policies, evaluated with an IAM policy simulator (@cloud-copilot/iam-simulate):
 * every request a real submit and job make is allowed (action + resource ARN, with the context
 * keys S3 sends), and nothing beyond the archive, the staging and log prefixes and the table.
 * The requests are written out here by hand, independently of the policy builder.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import {
  callerPolicy,
  executionRolePolicy,
  executionRoleRequests,
  executionRoleTrustPolicy,
  type PolicyContext,
  type PolicyDocument,
} from '../../../src/domain/iam-policy.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const APP = '00fabcdef1234567';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/populator-emr-job`;
const CALLER = `arn:aws:iam::${ACCOUNT}:user/data-engineer`;
const RUN = 'populator-20261127T120000';
const JOB_RUN = '00fbcdef12345678';

const ctx: PolicyContext = {
  partition: 'aws',
  region: REGION,
  account: ACCOUNT,
  archive: { bucket: 'acme-archive', prefix: 'enriched/archive' },
  staging: { bucket: 'acme-ops', prefix: 'populator' },
  logs: { bucket: 'acme-logs', prefix: 'emr/populator' },
  table: 'snowplow-event-manifest',
  applicationId: APP,
  roleArn: ROLE,
};

const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/snowplow-event-manifest`;
const APP_ARN = `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${APP}`;
const JOB_RUN_ARN = `${APP_ARN}/jobruns/${JOB_RUN}`;
const obj = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const bucket = (b: string) => `arn:aws:s3:::${b}`;

interface Request {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

async function decide(policy: PolicyDocument, principal: string, r: Request): Promise<string> {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'generated', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: r.action,
        principal,
        resource: { accountId: ACCOUNT, resource: r.resource },
        contextVariables: r.context ?? {},
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === 'error')
    throw new Error(`${r.action} ${r.resource}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

async function expectAll(
  policy: PolicyDocument,
  principal: string,
  requests: Request[],
  outcome: 'Allowed' | 'denied',
) {
  const wrong: string[] = [];
  for (const r of requests) {
    const d = await decide(policy, principal, r);
    const ok = outcome === 'Allowed' ? d === 'Allowed' : d !== 'Allowed';
    if (!ok) wrong.push(`${r.action} ${r.resource} ${JSON.stringify(r.context ?? {})} -> ${d}`);
  }
  expect(wrong, `expected ${outcome}`).toEqual([]);
}

const runFolder = `populator/runs/${RUN}`;

/** What the job does on EMR Serverless (EMRFS / Hadoop S3 file system + the DynamoDB writer). */
const JOB_REQUESTS: Request[] = [
  // Listing the archive's top, then each selected run, recursively.
  {
    action: 's3:ListBucket',
    resource: bucket('acme-archive'),
    context: { 's3:prefix': 'enriched/archive/' },
  },
  { action: 's3:ListBucket', resource: bucket('acme-archive'), context: { 's3:prefix': 'enriched/archive' } },
  {
    action: 's3:ListBucket',
    resource: bucket('acme-archive'),
    context: { 's3:prefix': 'enriched/archive/run=2017-01-26-00-01-25/' },
  },
  // HEAD of the archive root's own key (a folder probe): 404 needs ListBucket, which has no prefix then.
  { action: 's3:GetObject', resource: obj('acme-archive', 'enriched/archive') },
  { action: 's3:ListBucket', resource: bucket('acme-archive') },
  {
    action: 's3:GetObject',
    resource: obj('acme-archive', 'enriched/archive/run=2017-01-26-00-01-25/part-00000.gz'),
  },
  {
    action: 's3:GetObject',
    resource: obj('acme-archive', 'enriched/archive/run=2017-01-26-00-01-25/sub/part-1.gzip'),
  },
  // EMR Serverless fetches the entry point as the role.
  { action: 's3:GetObject', resource: obj('acme-ops', 'populator/jars/populator-job-0.1.0-3f2a9c1.jar') },
  // The run's reports: HEAD before create, PUT, read back on resume, folder markers removed.
  { action: 's3:GetObject', resource: obj('acme-ops', `${runFolder}/summary.json`) },
  { action: 's3:ListBucket', resource: bucket('acme-ops'), context: { 's3:prefix': `${runFolder}/` } },
  {
    action: 's3:ListBucket',
    resource: bucket('acme-ops'),
    context: { 's3:prefix': `${runFolder}/bad-rows/` },
  },
  { action: 's3:ListBucket', resource: bucket('acme-ops') },
  { action: 's3:PutObject', resource: obj('acme-ops', `${runFolder}/summary.json`) },
  { action: 's3:PutObject', resource: obj('acme-ops', `${runFolder}/progress.json`) },
  { action: 's3:PutObject', resource: obj('acme-ops', `${runFolder}/bad-rows/part-00003.json`) },
  { action: 's3:AbortMultipartUpload', resource: obj('acme-ops', `${runFolder}/bad-rows/part-00003.json`) },
  { action: 's3:DeleteObject', resource: obj('acme-ops', `${runFolder}/`) },
  {
    action: 's3:GetObject',
    resource: obj('acme-ops', `populator/runs/populator-20261126T080000/progress.json`),
  },
  // Driver and executor logs under the log URI.
  {
    action: 's3:PutObject',
    resource: obj('acme-logs', `emr/populator/applications/${APP}/jobs/${JOB_RUN}/SPARK_DRIVER/stderr.gz`),
  },
  {
    action: 's3:PutObject',
    resource: obj(
      'acme-logs',
      `emr/populator/applications/${APP}/jobs/${JOB_RUN}/SPARK_EXECUTOR/1/stdout.gz`,
    ),
  },
  { action: 'dynamodb:DescribeTable', resource: TABLE },
  { action: 'dynamodb:PutItem', resource: TABLE },
  // --skip-present
  { action: 'dynamodb:BatchGetItem', resource: TABLE },
];

/** What the role must not do: anything outside the archive, staging and log prefixes and the table. */
const JOB_FORBIDDEN: Request[] = [
  {
    action: 's3:GetObject',
    resource: obj('acme-archive', 'enriched/archive-old/run=2016-01-01-00-00-00/part-0'),
  },
  { action: 's3:GetObject', resource: obj('acme-archive', 'secrets/keys.txt') },
  { action: 's3:GetObject', resource: obj('other-bucket', 'enriched/archive/run=x/part-0') },
  { action: 's3:ListBucket', resource: bucket('acme-archive'), context: { 's3:prefix': '' } },
  {
    action: 's3:ListBucket',
    resource: bucket('acme-archive'),
    context: { 's3:prefix': 'enriched/archive-old/' },
  },
  { action: 's3:ListBucket', resource: bucket('acme-ops'), context: { 's3:prefix': 'other/' } },
  {
    action: 's3:ListBucket',
    resource: bucket('other-bucket'),
    context: { 's3:prefix': 'enriched/archive/' },
  },
  {
    action: 's3:PutObject',
    resource: obj('acme-archive', 'enriched/archive/run=2017-01-26-00-01-25/part-9'),
  },
  {
    action: 's3:DeleteObject',
    resource: obj('acme-archive', 'enriched/archive/run=2017-01-26-00-01-25/part-0'),
  },
  { action: 's3:PutObject', resource: obj('acme-ops', 'populator/jars/populator-job-0.1.0-3f2a9c1.jar') },
  { action: 's3:PutObject', resource: obj('acme-ops', 'other/file') },
  {
    action: 's3:DeleteObject',
    resource: obj('acme-logs', `emr/populator/applications/${APP}/jobs/x/stderr.gz`),
  },
  { action: 's3:PutObject', resource: obj('acme-logs', 'elsewhere/x') },
  { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other-table` },
  {
    action: 'dynamodb:PutItem',
    resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/snowplow-event-manifest`,
  },
  { action: 'dynamodb:DeleteItem', resource: TABLE },
  { action: 'dynamodb:UpdateItem', resource: TABLE },
  { action: 'dynamodb:Scan', resource: TABLE },
  { action: 'dynamodb:UpdateTable', resource: TABLE },
  { action: 'dynamodb:BatchGetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other-table` },
  { action: 'dynamodb:BatchWriteItem', resource: TABLE },
  { action: 'iam:PassRole', resource: ROLE },
  { action: 'emr-serverless:StartJobRun', resource: APP_ARN },
];

/** What populator does as the caller: validate, submit, status, logs, cancel, runs, verify, resume. */
const CALLER_REQUESTS: Request[] = [
  // validate
  {
    action: 's3:ListBucket',
    resource: bucket('acme-archive'),
    context: { 's3:prefix': 'enriched/archive/' },
  },
  { action: 'dynamodb:DescribeTable', resource: TABLE },
  { action: 'dynamodb:DescribeTimeToLive', resource: TABLE },
  { action: 'emr-serverless:GetApplication', resource: APP_ARN },
  {
    action: 'servicequotas:GetServiceQuota',
    resource: `arn:aws:servicequotas:${REGION}:${ACCOUNT}:emr-serverless/L-D05C8A75`,
  },
  { action: 'servicequotas:GetAWSDefaultServiceQuota', resource: '*' },
  { action: 'iam:GetRole', resource: ROLE },
  { action: 'iam:SimulatePrincipalPolicy', resource: ROLE },
  { action: 's3:PutObject', resource: obj('acme-ops', 'populator/.populator-write-check') },
  { action: 's3:GetObject', resource: obj('acme-ops', 'populator/.populator-write-check') },
  // submit: the jar (HEAD first, multipart upload), the job run, passing the role
  { action: 's3:GetObject', resource: obj('acme-ops', 'populator/jars/populator-job-0.1.0-3f2a9c1.jar') },
  { action: 's3:ListBucket', resource: bucket('acme-ops') },
  { action: 's3:ListBucket', resource: bucket('acme-ops'), context: { 's3:prefix': 'populator/jars/' } },
  { action: 's3:PutObject', resource: obj('acme-ops', 'populator/jars/populator-job-0.1.0-3f2a9c1.jar') },
  {
    action: 's3:AbortMultipartUpload',
    resource: obj('acme-ops', 'populator/jars/populator-job-0.1.0-3f2a9c1.jar'),
  },
  { action: 'emr-serverless:StartJobRun', resource: APP_ARN },
  { action: 'emr-serverless:TagResource', resource: JOB_RUN_ARN },
  {
    action: 'iam:PassRole',
    resource: ROLE,
    context: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' },
  },
  // status, cancel, runs, submit --resume
  { action: 'emr-serverless:GetJobRun', resource: JOB_RUN_ARN },
  { action: 'emr-serverless:GetDashboardForJobRun', resource: JOB_RUN_ARN },
  { action: 'emr-serverless:CancelJobRun', resource: JOB_RUN_ARN },
  { action: 'emr-serverless:ListJobRuns', resource: APP_ARN },
  { action: 's3:GetObject', resource: obj('acme-ops', `${runFolder}/summary.json`) },
  { action: 's3:GetObject', resource: obj('acme-ops', `${runFolder}/progress.json`) },
  { action: 's3:ListBucket', resource: bucket('acme-ops'), context: { 's3:prefix': `${runFolder}/` } },
  // logs
  {
    action: 's3:ListBucket',
    resource: bucket('acme-logs'),
    context: { 's3:prefix': `emr/populator/applications/${APP}/jobs/${JOB_RUN}/` },
  },
  {
    action: 's3:GetObject',
    resource: obj('acme-logs', `emr/populator/applications/${APP}/jobs/${JOB_RUN}/SPARK_DRIVER/stderr.gz`),
  },
  // verify: ranged reads of the archive, key lookups
  {
    action: 's3:GetObject',
    resource: obj('acme-archive', 'enriched/archive/run=2017-01-26-00-01-25/part-00000.gz'),
  },
  { action: 'dynamodb:BatchGetItem', resource: TABLE },
];

const CALLER_FORBIDDEN: Request[] = [
  { action: 'dynamodb:PutItem', resource: TABLE },
  { action: 'dynamodb:DeleteItem', resource: TABLE },
  { action: 'dynamodb:Scan', resource: TABLE },
  { action: 'dynamodb:BatchGetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other` },
  {
    action: 's3:PutObject',
    resource: obj('acme-archive', 'enriched/archive/run=2017-01-26-00-01-25/part-9'),
  },
  { action: 's3:DeleteObject', resource: obj('acme-ops', `${runFolder}/summary.json`) },
  { action: 's3:PutObject', resource: obj('acme-ops', `${runFolder}/summary.json`) },
  { action: 's3:PutObject', resource: obj('acme-ops', 'populator/elsewhere') },
  { action: 's3:GetObject', resource: obj('acme-ops', 'private/file') },
  { action: 's3:ListBucket', resource: bucket('acme-ops'), context: { 's3:prefix': '' } },
  { action: 's3:ListBucket', resource: bucket('acme-archive'), context: { 's3:prefix': 'enriched/' } },
  { action: 'iam:PassRole', resource: ROLE, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  {
    action: 'iam:PassRole',
    resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
    context: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' },
  },
  { action: 'iam:PutRolePolicy', resource: ROLE },
  {
    action: 'emr-serverless:StartJobRun',
    resource: `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/other`,
  },
  { action: 'emr-serverless:DeleteApplication', resource: APP_ARN },
  { action: 'emr-serverless:UpdateApplication', resource: APP_ARN },
];

describe('the execution role policy', () => {
  it('allows every request the job makes', async () => {
    await expectAll(executionRolePolicy(ctx), ROLE, JOB_REQUESTS, 'Allowed');
  });
  it('allows nothing beyond the archive, staging and log prefixes and the table', async () => {
    await expectAll(executionRolePolicy(ctx), ROLE, JOB_FORBIDDEN, 'denied');
  });
  it("allows the requests validate's simulation asks about", async () => {
    const requests = executionRoleRequests(ctx, { runId: '2017-01-26-00-01-25', runName: RUN });
    await expectAll(executionRolePolicy(ctx), ROLE, requests, 'Allowed');
    expect(requests.map((r) => r.action)).not.toContain('dynamodb:BatchGetItem');
    const withLookups = executionRoleRequests(ctx, {
      runId: '2017-01-26-00-01-25',
      runName: RUN,
      skipPresent: true,
    });
    expect(withLookups.map((r) => r.action)).toContain('dynamodb:BatchGetItem');
    await expectAll(executionRolePolicy(ctx), ROLE, withLookups, 'Allowed');
  });
  it('works for an archive at the root of its bucket and staging in the same bucket', async () => {
    const root: PolicyContext = {
      ...ctx,
      archive: { bucket: 'acme', prefix: '' },
      staging: { bucket: 'acme', prefix: 'ops' },
      logs: { bucket: 'acme', prefix: 'ops/logs' },
    };
    const policy = executionRolePolicy(root);
    await expectAll(
      policy,
      ROLE,
      [
        {
          action: 's3:ListBucket',
          resource: bucket('acme'),
          context: { 's3:prefix': 'run=2017-01-26-00-01-25/' },
        },
        { action: 's3:GetObject', resource: obj('acme', 'run=2017-01-26-00-01-25/part-0') },
        { action: 's3:PutObject', resource: obj('acme', `ops/runs/${RUN}/summary.json`) },
      ],
      'Allowed',
    );
    expect(policy.Statement.filter((s) => s.Action.includes('s3:ListBucket'))).toHaveLength(1);
  });
});

describe('the trust policy', () => {
  const trust = executionRoleTrustPolicy(ctx);
  async function assume(principal: string, context: Record<string, string>): Promise<string> {
    const r = await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trust,
        request: {
          action: 'sts:AssumeRole',
          principal,
          resource: { accountId: ACCOUNT, resource: ROLE },
          contextVariables: context,
        },
      } as Parameters<typeof runSimulation>[0],
      {},
    );
    if (r.resultType === 'error') throw new Error(JSON.stringify(r.errors));
    return r.overallResult;
  }
  it('lets EMR Serverless assume the role for this account and application', async () => {
    expect(
      await assume('emr-serverless.amazonaws.com', {
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': APP_ARN,
      }),
    ).toBe('Allowed');
  });
  it('refuses other services, other accounts and other applications', async () => {
    expect(
      await assume('ec2.amazonaws.com', { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': APP_ARN }),
    ).not.toBe('Allowed');
    expect(
      await assume('emr-serverless.amazonaws.com', {
        'aws:SourceAccount': '999999999999',
        'aws:SourceArn': `arn:aws:emr-serverless:${REGION}:999999999999:/applications/${APP}`,
      }),
    ).not.toBe('Allowed');
    expect(
      await assume('emr-serverless.amazonaws.com', {
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': `${APP_ARN.slice(0, -3)}zzz`,
      }),
    ).not.toBe('Allowed');
  });
});

describe("the caller's policy", () => {
  it('allows what validate, submit, status, logs, cancel, runs and verify do', async () => {
    await expectAll(callerPolicy(ctx), CALLER, CALLER_REQUESTS, 'Allowed');
  });
  it('allows nothing that writes the table or the archive, passes the role elsewhere, or manages the application', async () => {
    await expectAll(callerPolicy(ctx), CALLER, CALLER_FORBIDDEN, 'denied');
  });
});

describe('the policies of submit --import', () => {
  const imp: PolicyContext = { ...ctx, import: true };
  const IMPORT_ARN = `${TABLE}/import/01700000000000-abcdef01`;
  const IMPORT_FILE = obj('acme-ops', `populator/runs/${RUN}/import/part-00000.json.gz`);
  const LOG_GROUP = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws-dynamodb/imports:*`;

  it('lets the caller import the table, follow the import, switch TTL on and read the files and log groups', async () => {
    await expectAll(
      callerPolicy(imp),
      CALLER,
      [
        { action: 'dynamodb:ImportTable', resource: TABLE },
        { action: 'dynamodb:DescribeImport', resource: IMPORT_ARN },
        { action: 'dynamodb:UpdateTimeToLive', resource: TABLE },
        { action: 's3:GetObject', resource: IMPORT_FILE },
        {
          action: 's3:ListBucket',
          resource: bucket('acme-ops'),
          context: { 's3:prefix': `populator/runs/${RUN}/import/` },
        },
        { action: 'logs:CreateLogGroup', resource: LOG_GROUP },
        { action: 'logs:PutLogEvents', resource: LOG_GROUP },
      ],
      'Allowed',
    );
  });
  it('grants none of it without --import, nor other log groups or tables', async () => {
    await expectAll(
      callerPolicy(ctx),
      CALLER,
      [
        { action: 'dynamodb:ImportTable', resource: TABLE },
        { action: 'dynamodb:UpdateTimeToLive', resource: TABLE },
      ],
      'denied',
    );
    await expectAll(
      callerPolicy(imp),
      CALLER,
      [
        { action: 'logs:CreateLogGroup', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/other/*` },
        { action: 'dynamodb:ImportTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other` },
      ],
      'denied',
    );
  });
  it('gives the execution role no DynamoDB permission, and the import files under runs/', async () => {
    await expectAll(
      executionRolePolicy(imp),
      ROLE,
      [
        { action: 'dynamodb:PutItem', resource: TABLE },
        { action: 'dynamodb:DescribeTable', resource: TABLE },
      ],
      'denied',
    );
    const requests = executionRoleRequests(imp, { runId: '2017-01-26-00-01-25', runName: RUN, import: true });
    expect(requests.map((r) => r.action)).not.toContain('dynamodb:PutItem');
    expect(requests.some((r) => r.resource.includes('/import/'))).toBe(true);
    await expectAll(executionRolePolicy(imp), ROLE, requests, 'Allowed');
  });
});
