/**
 * The one source of truth for everything the CLI and the Spark job must agree on.
 * `npm run generate` writes spark/src/main/scala/.../generated/Contract.scala from this file;
 * a unit test fails when the checked-in Scala file is stale. Change values here only.
 */

/** Enriched-event TSV layout (see shared reference enriched-event-columns.md). */
export const ENRICHED_COLUMN_COUNT = 131;
export const ETL_TSTAMP_INDEX = 2;
export const EVENT_ID_INDEX = 6;
export const EVENT_FINGERPRINT_INDEX = 129;

/**
 * A line longer than this (UTF-8 bytes, without its line end) is a bad line (`LINE_TOO_LONG`):
 * no enriched event comes near it (a collector payload is at most ~1 MB), and a binary file read
 * as text is one huge "line". The job never holds more than this much of a line in memory.
 */
export const MAX_LINE_BYTES = 1_048_576;

/** DynamoDB's key size limits (UTF-8 bytes): a fingerprint over the sort key's is a bad line. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/** Timestamp format of the TSV (UTC, no zone): luxon and java.time patterns. */
export const TSV_TIMESTAMP_FORMAT = 'yyyy-MM-dd HH:mm:ss.SSS';

/** Run folder naming: `run=YYYY-MM-dd-HH-mm-ss`, UTC. */
export const RUN_FOLDER_PREFIX = 'run=';
export const RUN_ID_FORMAT = 'yyyy-MM-dd-HH-mm-ss';

/**
 * Names below a run folder that are never read, at any depth: markers (`_SUCCESS`), temporaries
 * (`_temporary/`), checksums and hidden files (`.part-00000.crc`), as Spark and Hadoop hide them.
 */
export const HIDDEN_NAME_PREFIXES = ['_', '.'] as const;

/** True for a hidden name (see HIDDEN_NAME_PREFIXES). */
export function isHiddenName(name: string): boolean {
  return HIDDEN_NAME_PREFIXES.some((p) => name.startsWith(p));
}

/** True when a path below a run folder (`/`-separated) has a hidden name at some depth: the job skips it. */
export function hiddenBelowRun(relative: string): boolean {
  return relative.split('/').some((segment) => segment !== '' && isHiddenName(segment));
}

/** Manifest item attribute names (byte-compatible with the RDB Shredder's events manifest). */
export const ATTR_EVENT_ID = 'eventId';
export const ATTR_FINGERPRINT = 'fingerprint';
export const ATTR_ETL_TIME = 'etlTime';
export const ATTR_TTL = 'ttl';

/** The put condition, exactly as the shredder writes it. */
export const PUT_CONDITION =
  '(attribute_not_exists(eventId) AND attribute_not_exists(fingerprint)) OR etlTime = :tst';
export const PUT_CONDITION_VALUE_PLACEHOLDER = ':tst';

/** Default item lifetime: 180 days. */
export const DEFAULT_TTL_SECONDS = 15_552_000;

/** Default write budget when none is given: a share of provisioned WCU, a cap for on-demand tables. */
export const DEFAULT_PROVISIONED_WCU_SHARE = 0.8;
export const DEFAULT_ON_DEMAND_WRITE_RATE = 1000;
/** Conditional puts in flight per writer task at the start; the job widens the window while its budget allows. */
export const DEFAULT_MAX_IN_FLIGHT_PER_TASK = 32;

/** etlTime modes (DESIGN 3.2). */
export const ETL_TIME_MODES = ['run', 'event'] as const;
export type EtlTimeMode = (typeof ETL_TIME_MODES)[number];
export const DEFAULT_ETL_TIME_MODE: EtlTimeMode = 'run';

/** The job's main class and its argument names (`--name value`). No argument ever carries a secret. */
export const JOB_MAIN_CLASS = 'com.snowplowanalytics.populator.Main';
export const JOB_ARGS = {
  archive: '--archive',
  output: '--output',
  table: '--table',
  region: '--region',
  dynamodbEndpoint: '--dynamodb-endpoint',
  since: '--since',
  until: '--until',
  etlTime: '--etl-time',
  ttlSeconds: '--ttl-seconds',
  writeRate: '--write-rate',
  maxInFlight: '--max-in-flight',
  skipExpired: '--skip-expired',
  now: '--now',
  /** An earlier run's output folder whose progress records say what is already written (submit --resume). */
  resumeFrom: '--resume-from',
  /** `true`: look every key up (BatchGetItem, eventually consistent) and put only those not in the table. */
  skipPresent: '--skip-present',
  /**
   * Import mode (submit --import): write the deduplicated items as gzip DYNAMODB_JSON files into this
   * folder (an s3:// or local folder ending in '/') for DynamoDB's ImportTable, instead of putting them.
   */
  importTo: '--import-to',
} as const;

/**
 * Environment variables of the local job's JVM (never arguments: they carry the secret). Static
 * keys of a storage config are for DynamoDB only: the job's DynamoDB client uses these when both
 * are set, and reads S3 with the caller's own chain (standard variables, AWS_PROFILE, roles).
 */
export const JOB_ENV = {
  dynamodbAccessKeyId: 'POPULATOR_DYNAMODB_ACCESS_KEY_ID',
  dynamodbSecretAccessKey: 'POPULATOR_DYNAMODB_SECRET_ACCESS_KEY',
} as const;

/** Files the job writes under its output prefix. */
export const JOB_OUTPUT = {
  summary: 'summary.json',
  progress: 'progress.json',
  badRows: 'bad-rows',
  /** The executors the write budget is split over, rewritten by the driver as they come and go. */
  executors: 'executors.json',
  /** Progress records for `submit --resume`: the write plan, finished and running write partitions. */
  resume: 'resume',
} as const;

/** ImportTable's limit on the source objects of one import. */
export const IMPORT_MAX_OBJECTS = 50_000;
/** Items per import object: AWS suggests about 4 million items of under 1 KB per object. */
export const IMPORT_ITEMS_PER_OBJECT = 4_000_000;

/** How often a running write partition records how far it got (seconds; the issue asks for <= 10). */
export const RESUME_RECORD_INTERVAL_SECONDS = 5;

/**
 * Bad-row reasons (stable identifiers), in the order a line is checked. The line reasons are
 * counted per reason in the summary; `unreadableFile` marks a file that could not be read to its
 * end (one row per file, `line: null`), listed in the summary's `unreadableFiles` and never
 * counted as a line. `lineTooLong`: over MAX_LINE_BYTES (the bad row keeps only its start);
 * `fingerprintTooLong`: a fingerprint over MAX_SORT_KEY_BYTES, which DynamoDB would refuse.
 */
export const BAD_ROW_REASONS = {
  lineTooLong: 'LINE_TOO_LONG',
  fieldCount: 'FIELD_COUNT',
  eventId: 'INVALID_EVENT_ID',
  etlTstamp: 'INVALID_ETL_TSTAMP',
  fingerprintTooLong: 'FINGERPRINT_TOO_LONG',
  unreadableFile: 'UNREADABLE_FILE',
} as const;

/** Characters of a too-long line kept in its bad row. */
export const BAD_ROW_LINE_PREFIX_CHARS = 1024;

/** Job exit codes (the process's exit status). */
export const JOB_EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  input: 3,
} as const;
