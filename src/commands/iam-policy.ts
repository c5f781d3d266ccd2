import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { awsFlags, emrFlags } from '../cli/flags.js';
import { packageRoot } from '../cli/paths.js';
import { renderPolicies } from '../output/policies.js';
import type { IamPolicyResult } from '../services/iam-policy.js';

const DOCUMENTS = ['trust', 'execution-role', 'caller'] as const;

export default class IamPolicy extends BaseCommand {
  static summary = 'Print the least-privilege IAM policies of the execution role and of the caller.';

  static description = `Prints, for this archive, staging and log prefix and manifest table:
- the execution role's trust policy (EMR Serverless may assume it, for this account's application),
- its permissions (read the archive and the job jar, write the run reports under <staging>/runs/ and the logs, describe and write the table),
- the caller's policy (validate's reads, submit's jar upload, StartJobRun and iam:PassRole, status, logs, cancel and verify).
As JSON ready for \`aws iam\`: --document prints one document alone, --output-dir writes the three files.
The account comes from --account-id, else --execution-role-arn, else STS (the current credentials).`;

  static examples = [
    '<%= config.bin %> iam-policy s3://my-bucket/enriched/archive/ ./dynamodb.json --staging s3://my-bucket/populator/ --account-id 123456789012',
    '<%= config.bin %> iam-policy s3://my-bucket/enriched/archive/ ./dynamodb.json --staging s3://my-bucket/populator/ --output-dir ./policies',
    '<%= config.bin %> iam-policy s3://my-bucket/enriched/archive/ ./dynamodb.json --staging s3://my-bucket/populator/ --document trust > trust.json',
  ];

  static args = {
    archive: Args.string({ required: true, description: 'Enriched archive on S3: s3://bucket/prefix/.' }),
    'storage-config': Args.string({
      required: true,
      description:
        'Self-describing DynamoDB storage config (amazon_dynamodb_config 1-0-0, 1-0-1 or 2-0-0): the table and region.',
    }),
  };

  static flags = {
    staging: emrFlags.staging,
    'log-path': emrFlags['log-path'],
    'application-id': emrFlags['application-id'],
    'execution-role-arn': emrFlags['execution-role-arn'],
    region: awsFlags.region,
    profile: awsFlags.profile,
    'role-name': Flags.string({
      default: 'populator-emr-job',
      env: 'POPULATOR_ROLE_NAME',
      description: 'Name of the execution role to create, when --execution-role-arn is not given.',
    }),
    'account-id': Flags.string({
      env: 'POPULATOR_ACCOUNT_ID',
      description:
        'The AWS account of the role and the table (default: from --execution-role-arn, else STS).',
    }),
    document: Flags.option({
      options: DOCUMENTS,
      env: 'POPULATOR_DOCUMENT',
      description:
        'Print only this document, as it goes to `aws iam` (--policy-document / --assume-role-policy-document).',
    })(),
    import: Flags.boolean({
      default: false,
      env: 'POPULATOR_IMPORT',
      description:
        'Policies for `submit --import`: the caller creates the table by DynamoDB import from S3 (and reads its log group), the job writes no item.',
    }),
    'output-dir': Flags.string({
      env: 'POPULATOR_OUTPUT_DIR',
      description:
        'Write the three documents there (execution-role-trust-policy.json, execution-role-policy.json, caller-policy.json).',
    }),
  };

  async run(): Promise<IamPolicyResult> {
    const { args, flags } = await this.parse(IamPolicy);
    const { buildIamPolicies, policyDocument, writePolicyFiles } = await import('../services/iam-policy.js');
    const result = await buildIamPolicies({
      archive: args.archive,
      storageConfigPath: args['storage-config'],
      staging: flags.staging,
      logPath: flags['log-path'],
      region: flags.region,
      profile: flags.profile,
      applicationId: flags['application-id'],
      executionRoleArn: flags['execution-role-arn'],
      roleName: flags['role-name'],
      accountId: flags['account-id'],
      projectRoot: packageRoot(),
      cwd: process.cwd(),
      env: process.env,
      import: flags.import,
    });
    const dir = flags['output-dir'];
    if (dir !== undefined) {
      const files = await writePolicyFiles(result, dir);
      this.note(`Wrote ${Object.values(files).join(', ')}`);
    }
    if (this.jsonEnabled()) return result;
    if (flags.document !== undefined)
      this.log(JSON.stringify(policyDocument(result, flags.document), null, 2));
    else this.log(renderPolicies(result, dir ?? './policies', dir !== undefined));
    return result;
  }
}
