/**
 * The shapes of AWS names the CLI is handed (regions, endpoint URLs, role ARNs, EMR Serverless
 * application ids) and the ARNs it builds for policies. Pure: the checks read these before any
 * request is made, so a typo is reported as such rather than as a network error.
 */

/**
 * Region names as AWS forms them: `<area>[-gov|-iso*]-<direction>-<n>` (us-east-1, eu-central-2,
 * us-gov-west-1, cn-northwest-1, ap-southeast-5, il-central-1, mx-central-1, us-isob-east-1).
 */
const REGION =
  /^(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso[a-z]?)?-(?:east|west|north|south|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;

/** True for a well-formed AWS region name (whether it is enabled for the account is AWS's to say). */
export function isRegionName(value: string): boolean {
  return REGION.test(value);
}

/** The partition a region belongs to (ARNs differ: `arn:aws-cn:...`). */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Why an endpoint override cannot be used, or null when it is `http(s)://host[:port][/path]`. */
export function endpointProblem(value: string): string | null {
  const trimmed = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return 'has no http:// or https:// scheme';
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `uses ${url.protocol.slice(0, -1)}://, not http:// or https://`;
  if (url.hostname === '') return 'has no host';
  if (url.username !== '' || url.password !== '') return 'carries a user name or password';
  if (url.search !== '' || url.hash !== '') return 'has a query or fragment';
  return null;
}

/** A parsed IAM role ARN. */
export interface RoleArn {
  partition: string;
  account: string;
  /** The role's path, `/` when none. */
  path: string;
  name: string;
  arn: string;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/((?:[\x21-\x7e]+\/)?)([\w+=,.@-]{1,64})$/;

/** The parts of an IAM role ARN, or null when it is not one (e.g. a user ARN or a bare role name). */
export function parseRoleArn(value: string): RoleArn | null {
  const m = ROLE_ARN.exec(value.trim());
  if (m === null) return null;
  const [, partition = 'aws', account = '', rolePath = '', name = ''] = m;
  return { partition, account, path: `/${rolePath}`, name, arn: value.trim() };
}

/** EMR Serverless application ids are lowercase letters and digits (e.g. `00fabcdef1234567`). */
export function isApplicationId(value: string): boolean {
  return /^[0-9a-z]{1,64}$/.test(value);
}

// ---------------------------------------------------------------------------------------------
// ARNs (the resources the policies name and the simulation asks about)

export function s3BucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

/** `arn:aws:s3:::bucket/key`; `key` may end in `*` for a prefix. */
export function s3ObjectArn(partition: string, bucket: string, key: string): string {
  return `arn:${partition}:s3:::${bucket}/${key}`;
}

export function dynamoDbTableArn(partition: string, region: string, account: string, table: string): string {
  return `arn:${partition}:dynamodb:${region}:${account}:table/${table}`;
}

/** EMR Serverless ARNs start their resource with a slash: `...:/applications/<id>`. */
export function emrApplicationArn(partition: string, region: string, account: string, id: string): string {
  return `arn:${partition}:emr-serverless:${region}:${account}:/applications/${id}`;
}

export function emrJobRunArn(
  partition: string,
  region: string,
  account: string,
  applicationId: string,
  jobRunId: string,
): string {
  return `${emrApplicationArn(partition, region, account, applicationId)}/jobruns/${jobRunId}`;
}

export function serviceQuotaArn(
  partition: string,
  region: string,
  account: string,
  serviceCode: string,
  quotaCode: string,
): string {
  return `arn:${partition}:servicequotas:${region}:${account}:${serviceCode}/${quotaCode}`;
}
