/**
 * The request shapes of the EMR Serverless operations the emulator serves, with the constraints of
 * the service model (emr-serverless 2021-07-13: lengths, patterns, ranges, enums, required members,
 * the JobDriver union, the sensitive trait), and a validator that reports violations the way the
 * service does: every problem at once, as
 * `2 validation errors detected: Value 'x' at 'releaseLabel' failed to satisfy constraint: ...; ...`.
 * Written from the model's facts, not generated from it: only what these operations take.
 */
import { ServiceError, validationError } from './errors.js';

export type Shape =
  | {
      kind: 'string';
      min?: number;
      max?: number;
      pattern?: string;
      enum?: readonly string[];
      sensitive?: boolean;
    }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'timestamp' }
  | {
      kind: 'structure';
      members: () => Readonly<Record<string, Shape>>;
      required?: readonly string[];
      union?: boolean;
    }
  | { kind: 'list'; member: Shape; min?: number; max?: number; sensitive?: boolean }
  | { kind: 'map'; key: Shape; value: Shape; min?: number; max?: number; sensitive?: boolean };

const str = (min: number, max: number | undefined, pattern?: string, sensitive?: boolean): Shape => ({
  kind: 'string',
  min,
  ...(max === undefined ? {} : { max }),
  ...(pattern === undefined ? {} : { pattern }),
  ...(sensitive ? { sensitive } : {}),
});
const int = (min?: number, max?: number): Shape => ({
  kind: 'integer',
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
});
const enumOf = (values: readonly string[]): Shape => ({ kind: 'string', enum: values });
const struct = (
  members: () => Readonly<Record<string, Shape>>,
  required: readonly string[] = [],
  union = false,
): Shape => ({ kind: 'structure', members, required, union });
const list = (member: Shape, min?: number, max?: number, sensitive?: boolean): Shape => ({
  kind: 'list',
  member,
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
  ...(sensitive ? { sensitive } : {}),
});
const map = (key: Shape, value: Shape, min?: number, max?: number, sensitive?: boolean): Shape => ({
  kind: 'map',
  key,
  value,
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
  ...(sensitive ? { sensitive } : {}),
});
const BOOLEAN: Shape = { kind: 'boolean' };
const TIMESTAMP: Shape = { kind: 'timestamp' };

export const APPLICATION_STATES = [
  'CREATING',
  'CREATED',
  'STARTING',
  'STARTED',
  'STOPPING',
  'STOPPED',
  'TERMINATED',
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export const JOB_RUN_STATES = [
  'SUBMITTED',
  'PENDING',
  'SCHEDULED',
  'RUNNING',
  'SUCCESS',
  'FAILED',
  'CANCELLING',
  'CANCELLED',
  'QUEUED',
] as const;
export type JobRunState = (typeof JOB_RUN_STATES)[number];

// Scalars (names as in the model).
export const APPLICATION_ID = str(1, 64, '[0-9a-z]+');
export const JOB_RUN_ID = str(1, 64, '[0-9a-z]+');
const CLIENT_TOKEN = str(1, 64, '[A-Za-z0-9._-]+');
const APPLICATION_NAME = str(1, 64, '[A-Za-z0-9._/#-]+');
const RELEASE_LABEL = str(1, 64, '[A-Za-z0-9._/-]+');
const ENGINE_TYPE = str(1, 64);
const STRING_256 = str(1, 256, '.*\\S.*');
const STRING_1024 = str(1, 1024, '.*\\S.*');
const WORKER_TYPE = str(1, 50, '[a-zA-Z]+[-_]*[a-zA-Z]+');
const CPU_SIZE = str(1, 15, '[1-9][0-9]*(\\s)?(vCPU|vcpu|VCPU)?');
const MEMORY_SIZE = str(1, 15, '[1-9][0-9]*(\\s)?(GB|gb|gB|Gb)?');
const DISK_SIZE = str(1, 15, '[1-9][0-9]*(\\s)?(GB|gb|gB|Gb)');
const DISK_TYPE: Shape = {
  kind: 'string',
  pattern: '(SHUFFLE_OPTIMIZED|[Ss]huffle_[Oo]ptimized|STANDARD|[Ss]tandard)',
};
const TAG_KEY = str(1, 128, '[A-Za-z0-9 /_.:=+@-]+');
const TAG_VALUE = str(0, 256, '[A-Za-z0-9 /_.:=+@-]*');
const TAG_MAP = map(TAG_KEY, TAG_VALUE, 0, 200);
export const IAM_ROLE_ARN_PATTERN =
  'arn:(aws[a-zA-Z0-9-]*):iam::([0-9]{12}):(role((\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F))[\\w+=,.@-]+)';
const IAM_ROLE_ARN = str(20, 2048, IAM_ROLE_ARN_PATTERN);
const ENCRYPTION_KEY_ARN = str(
  20,
  2048,
  'arn:(aws[a-zA-Z0-9-]*):kms:[a-zA-Z0-9\\-]*:([0-9]{12}):key\\/[a-zA-Z0-9-]+',
);
// The model's UriString pattern accepts every string; only its lengths constrain.
const URI_STRING = str(1, 10280);
const IMAGE_URI = str(
  1,
  1024,
  '([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+).([a-z0-9._-]+)\\/((?:[a-z0-9]+(?:[-._][a-z0-9]+)*/)*[a-z0-9]+(?:[-._][a-z0-9]+)*)(?::([a-zA-Z0-9_]+[a-zA-Z0-9-._]*)|@(sha256:[0-9a-f]{64}))',
);
const NEXT_TOKEN = str(1, 1024, '[A-Za-z0-9_=-]+');
export const RESOURCE_ARN_PATTERN =
  'arn:(aws[a-zA-Z0-9-]*):emr-serverless:.+:(\\d{12}):\\/applications\\/[0-9a-zA-Z]+(\\/jobruns\\/[0-9a-zA-Z]+)?';
const RESOURCE_ARN = str(60, 1024, RESOURCE_ARN_PATTERN);
const ATTEMPT_NUMBER = int(1);
const JOB_RUN_MODE = enumOf(['BATCH', 'STREAMING']);

// Structures shared by the application operations.
const WORKER_RESOURCE_CONFIG = struct(
  () => ({ cpu: CPU_SIZE, memory: MEMORY_SIZE, disk: DISK_SIZE, diskType: DISK_TYPE }),
  ['cpu', 'memory'],
);
const INITIAL_CAPACITY = map(
  WORKER_TYPE,
  struct(
    () => ({ workerCount: int(1, 1_000_000), workerConfiguration: WORKER_RESOURCE_CONFIG }),
    ['workerCount'],
  ),
  0,
  10,
);
const MAXIMUM_CAPACITY = struct(
  () => ({ cpu: CPU_SIZE, memory: MEMORY_SIZE, disk: DISK_SIZE }),
  ['cpu', 'memory'],
);
const AUTO_START = struct(() => ({ enabled: BOOLEAN }));
const AUTO_STOP = struct(() => ({ enabled: BOOLEAN, idleTimeoutMinutes: int(1, 10080) }));
const NETWORK = struct(() => ({
  subnetIds: list(str(1, 32, '[-0-9a-zA-Z]+.*'), 0, 16),
  securityGroupIds: list(str(1, 32, '[-0-9a-zA-Z]+.*'), 0, 5),
}));
const IMAGE_CONFIGURATION_INPUT = struct(() => ({
  imageUri: IMAGE_URI,
  applicationLevelDigestResolution: BOOLEAN,
}));
const WORKER_TYPE_SPECIFICATIONS = map(
  WORKER_TYPE,
  struct(() => ({ imageConfiguration: IMAGE_CONFIGURATION_INPUT })),
);
const CONFIGURATION: Shape = struct(
  () => ({
    classification: STRING_1024,
    properties: map(str(1, 1024, '.*\\S.*'), str(0, 1024, '.*\\S.*'), 0, 100, true),
    configurations: CONFIGURATION_LIST,
  }),
  ['classification'],
);
const CONFIGURATION_LIST: Shape = list(CONFIGURATION, 0, 100);
const MONITORING = struct(() => ({
  s3MonitoringConfiguration: struct(() => ({ logUri: URI_STRING, encryptionKeyArn: ENCRYPTION_KEY_ARN })),
  managedPersistenceMonitoringConfiguration: struct(() => ({
    enabled: BOOLEAN,
    encryptionKeyArn: ENCRYPTION_KEY_ARN,
  })),
  cloudWatchLoggingConfiguration: struct(
    () => ({
      enabled: BOOLEAN,
      logGroupName: str(1, 512, '[\\.\\-_/#A-Za-z0-9]+'),
      logStreamNamePrefix: str(1, 512, '[^:*]*'),
      encryptionKeyArn: ENCRYPTION_KEY_ARN,
      logTypes: map(WORKER_TYPE, list(str(1, 50, '[a-zA-Z]+[-_]*[a-zA-Z]+'), 1, 5), 1, 4),
    }),
    ['enabled'],
  ),
  prometheusMonitoringConfiguration: struct(() => ({
    remoteWriteUrl: str(
      1,
      10280,
      'https://aps-workspaces.([a-z]{2}-[a-z-]{1,20}-[1-9]).amazonaws(.[0-9A-Za-z]{2,4})+/workspaces/[-_.0-9A-Za-z]{1,100}/api/v1/remote_write',
    ),
  })),
}));
const DISK_ENCRYPTION = struct(() => ({
  encryptionContext: map(str(1, 128), str(1, 384), 0, 8),
  encryptionKeyArn: ENCRYPTION_KEY_ARN,
}));
const INTERACTIVE = struct(() => ({
  studioEnabled: BOOLEAN,
  livyEndpointEnabled: BOOLEAN,
  sessionEnabled: BOOLEAN,
}));
const SCHEDULER = struct(() => ({ queueTimeoutMinutes: int(), maxConcurrentRuns: int() }));
const IDENTITY_CENTER = struct(() => ({
  identityCenterInstanceArn: str(
    10,
    1024,
    'arn:(aws[a-zA-Z0-9-]*):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}',
  ),
  userBackgroundSessionsEnabled: BOOLEAN,
}));
const COST_ALLOCATION = struct(() => ({ enabled: BOOLEAN }));

const APPLICATION_SETTINGS = {
  initialCapacity: INITIAL_CAPACITY,
  maximumCapacity: MAXIMUM_CAPACITY,
  autoStartConfiguration: AUTO_START,
  autoStopConfiguration: AUTO_STOP,
  networkConfiguration: NETWORK,
  architecture: enumOf(['ARM64', 'X86_64']),
  imageConfiguration: IMAGE_CONFIGURATION_INPUT,
  workerTypeSpecifications: WORKER_TYPE_SPECIFICATIONS,
  runtimeConfiguration: CONFIGURATION_LIST,
  monitoringConfiguration: MONITORING,
  diskEncryptionConfiguration: DISK_ENCRYPTION,
  interactiveConfiguration: INTERACTIVE,
  schedulerConfiguration: SCHEDULER,
  identityCenterConfiguration: IDENTITY_CENTER,
  jobLevelCostAllocationConfiguration: COST_ALLOCATION,
} as const;

const JOB_DRIVER = struct(
  () => ({
    sparkSubmit: struct(
      () => ({
        entryPoint: str(1, 4096, '.*\\S.*', true),
        entryPointArguments: list({ kind: 'string', min: 0, sensitive: true }, 0, 1024),
        sparkSubmitParameters: str(1, 102_400, '.*\\S.*', true),
      }),
      ['entryPoint'],
    ),
    hive: struct(
      () => ({
        query: str(1, 10280, '.*\\S.*', true),
        initQueryFile: str(1, 256, '.*\\S.*', true),
        parameters: str(1, 102_400, '.*\\S.*', true),
      }),
      ['query'],
    ),
  }),
  [],
  true,
);

/** Input shape of every served operation: path, query and body members in one structure. */
export const INPUT_SHAPES = {
  CreateApplication: struct(
    () => ({
      name: APPLICATION_NAME,
      releaseLabel: RELEASE_LABEL,
      type: ENGINE_TYPE,
      clientToken: CLIENT_TOKEN,
      tags: TAG_MAP,
      ...APPLICATION_SETTINGS,
    }),
    ['releaseLabel', 'type', 'clientToken'],
  ),
  GetApplication: struct(() => ({ applicationId: APPLICATION_ID }), ['applicationId']),
  ListApplications: struct(() => ({
    nextToken: NEXT_TOKEN,
    maxResults: int(1, 50),
    states: list(enumOf(APPLICATION_STATES), 1, 7),
  })),
  UpdateApplication: struct(
    () => ({
      applicationId: APPLICATION_ID,
      clientToken: CLIENT_TOKEN,
      releaseLabel: RELEASE_LABEL,
      ...APPLICATION_SETTINGS,
    }),
    ['applicationId', 'clientToken'],
  ),
  DeleteApplication: struct(() => ({ applicationId: APPLICATION_ID }), ['applicationId']),
  StartApplication: struct(() => ({ applicationId: APPLICATION_ID }), ['applicationId']),
  StopApplication: struct(() => ({ applicationId: APPLICATION_ID }), ['applicationId']),
  StartJobRun: struct(
    () => ({
      applicationId: APPLICATION_ID,
      clientToken: CLIENT_TOKEN,
      executionRoleArn: IAM_ROLE_ARN,
      executionIamPolicy: struct(() => ({
        policy: str(1, 2048, '([\\u0009\\u000A\\u000D\\u0020-\\u00FF]+)'),
        // The model's Arn pattern admits nearly every character: lengths are what constrain.
        policyArns: list(str(20, 2048), 0, 10),
      })),
      jobDriver: JOB_DRIVER,
      configurationOverrides: struct(() => ({
        applicationConfiguration: CONFIGURATION_LIST,
        monitoringConfiguration: MONITORING,
        diskEncryptionConfiguration: DISK_ENCRYPTION,
      })),
      tags: TAG_MAP,
      executionTimeoutMinutes: int(0, 1_000_000),
      name: STRING_256,
      mode: JOB_RUN_MODE,
      retryPolicy: struct(() => ({ maxAttempts: ATTEMPT_NUMBER, maxFailedAttemptsPerHour: int(1) })),
    }),
    ['applicationId', 'clientToken', 'executionRoleArn'],
  ),
  GetJobRun: struct(
    () => ({ applicationId: APPLICATION_ID, jobRunId: JOB_RUN_ID, attempt: ATTEMPT_NUMBER }),
    ['applicationId', 'jobRunId'],
  ),
  ListJobRuns: struct(
    () => ({
      applicationId: APPLICATION_ID,
      nextToken: NEXT_TOKEN,
      maxResults: int(1, 50),
      createdAtAfter: TIMESTAMP,
      createdAtBefore: TIMESTAMP,
      states: list(enumOf(JOB_RUN_STATES), 0, 8),
      mode: JOB_RUN_MODE,
    }),
    ['applicationId'],
  ),
  ListJobRunAttempts: struct(
    () => ({
      applicationId: APPLICATION_ID,
      jobRunId: JOB_RUN_ID,
      nextToken: NEXT_TOKEN,
      maxResults: int(1, 50),
    }),
    ['applicationId', 'jobRunId'],
  ),
  CancelJobRun: struct(
    () => ({ applicationId: APPLICATION_ID, jobRunId: JOB_RUN_ID, shutdownGracePeriodInSeconds: int() }),
    ['applicationId', 'jobRunId'],
  ),
  GetDashboardForJobRun: struct(
    () => ({
      applicationId: APPLICATION_ID,
      jobRunId: JOB_RUN_ID,
      attempt: ATTEMPT_NUMBER,
      accessSystemProfileLogs: BOOLEAN,
    }),
    ['applicationId', 'jobRunId'],
  ),
  TagResource: struct(() => ({ resourceArn: RESOURCE_ARN, tags: TAG_MAP }), ['resourceArn', 'tags']),
  UntagResource: struct(
    () => ({ resourceArn: RESOURCE_ARN, tagKeys: list(TAG_KEY, 1, 200) }),
    ['resourceArn', 'tagKeys'],
  ),
  ListTagsForResource: struct(() => ({ resourceArn: RESOURCE_ARN }), ['resourceArn']),
} as const satisfies Record<string, Shape>;

export type OperationName = keyof typeof INPUT_SHAPES;

const REDACTED = '*** Sensitive Data Redacted ***';
const compiled = new Map<string, RegExp>();

/** The model's patterns match the whole value, as Java's `String.matches` does (no DOTALL). */
function fullMatch(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re.test(value);
}

function shown(value: unknown, sensitive: boolean): string {
  if (sensitive) return REDACTED;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function typeProblem(path: string, expected: string): ServiceError {
  // What a JSON service answers when a member has the wrong JSON type: not a constraint violation.
  return new ServiceError(
    'SerializationException',
    `Unexpected value type at '${path}': expected ${expected}`,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects constraint violations of `value` against `shape`; throws on a JSON type mismatch. */
function check(shape: Shape, value: unknown, path: string, out: string[], sensitive = false): void {
  const fail = (constraint: string): void => {
    out.push(`Value '${shown(value, sensitive)}' at '${path}' failed to satisfy constraint: ${constraint}`);
  };
  switch (shape.kind) {
    case 'string': {
      if (typeof value !== 'string') throw typeProblem(path, 'a string');
      const s = sensitive || shape.sensitive === true;
      const failS = (c: string): void => {
        out.push(`Value '${shown(value, s)}' at '${path}' failed to satisfy constraint: ${c}`);
      };
      // UTF-16 units, as Java counts a string's length.
      const length = value.length;
      if (shape.min !== undefined && length < shape.min)
        failS(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && length > shape.max)
        failS(`Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern !== undefined && !fullMatch(shape.pattern, value))
        failS(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      if (shape.enum !== undefined && !shape.enum.includes(value))
        failS(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeProblem(path, 'an integer');
      if (shape.min !== undefined && value < shape.min)
        fail(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max)
        fail(`Member must have value less than or equal to ${shape.max}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeProblem(path, 'a boolean');
      return;
    case 'timestamp':
      if (typeof value !== 'number' && !(typeof value === 'string' && !Number.isNaN(Date.parse(value))))
        throw typeProblem(path, 'a timestamp');
      return;
    case 'list': {
      if (!Array.isArray(value)) throw typeProblem(path, 'a list');
      const s = sensitive || shape.sensitive === true;
      if (shape.min !== undefined && value.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`);
      value.forEach((item, i) => {
        if (item === null)
          out.push(
            `Value null at '${path}.${i + 1}.member' failed to satisfy constraint: Member must not be null`,
          );
        else check(shape.member, item, `${path}.${i + 1}.member`, out, s);
      });
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) throw typeProblem(path, 'a map');
      const s = sensitive || shape.sensitive === true;
      const entries = Object.entries(value);
      if (shape.min !== undefined && entries.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && entries.length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`);
      for (const [k, v] of entries) {
        check(shape.key, k, `${path}.${k}.key`, out, s);
        if (v === null)
          out.push(
            `Value null at '${path}.${k}.value' failed to satisfy constraint: Member must not be null`,
          );
        else check(shape.value, v, `${path}.${k}.value`, out, s);
      }
      return;
    }
    case 'structure': {
      if (!isPlainObject(value)) throw typeProblem(path, 'a structure');
      const members = shape.members();
      const prefix = path === '' ? '' : `${path}.`;
      for (const name of shape.required ?? []) {
        if (value[name] === undefined || value[name] === null)
          out.push(`Value null at '${prefix}${name}' failed to satisfy constraint: Member must not be null`);
      }
      const set = Object.keys(members).filter((m) => value[m] !== undefined && value[m] !== null);
      if (shape.union === true && set.length > 1) {
        throw new ServiceError(
          'SerializationException',
          `Only one member of the union '${path}' may be set, found: ${set.join(', ')}`,
        );
      }
      for (const name of set) check(members[name] as Shape, value[name], `${prefix}${name}`, out, sensitive);
      return;
    }
  }
}

/**
 * Validates an operation's input (path, query and body members merged); throws the service's
 * ValidationException (all violations) or SerializationException (a JSON type mismatch).
 */
export function validateInput(operation: OperationName, input: Record<string, unknown>): void {
  const problems: string[] = [];
  check(INPUT_SHAPES[operation], input, '', problems);
  if (problems.length > 0) {
    const n = problems.length;
    throw validationError(`${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
}
