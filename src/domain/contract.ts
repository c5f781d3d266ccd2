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

/** Timestamp format of the TSV (UTC, no zone): luxon and java.time patterns. */
export const TSV_TIMESTAMP_FORMAT = 'yyyy-MM-dd HH:mm:ss.SSS';

/** Run folder naming: `run=YYYY-MM-dd-HH-mm-ss`, UTC. */
export const RUN_FOLDER_PREFIX = 'run=';
export const RUN_ID_FORMAT = 'yyyy-MM-dd-HH-mm-ss';

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
} as const;

/** Files the job writes under its output prefix. */
export const JOB_OUTPUT = {
  summary: 'summary.json',
  progress: 'progress.json',
  badRows: 'bad-rows',
} as const;

/**
 * Bad-row reasons (stable identifiers). The line reasons are counted per reason in the summary;
 * `unreadableFile` marks a file that could not be read to its end (one row per file, `line: null`),
 * listed in the summary's `unreadableFiles` and never counted as a line.
 */
export const BAD_ROW_REASONS = {
  fieldCount: 'FIELD_COUNT',
  eventId: 'INVALID_EVENT_ID',
  etlTstamp: 'INVALID_ETL_TSTAMP',
  unreadableFile: 'UNREADABLE_FILE',
} as const;

/** Job exit codes (the process's exit status). */
export const JOB_EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  input: 3,
} as const;
