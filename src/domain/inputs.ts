/**
 * The places and endpoints every command line that names a back-fill shares (`validate`, `submit`,
 * a resumed run's inputs): one description, extended by each command's options.
 */
export interface InputPlaces {
  /** Runs from this one on (a run id or an ISO date). */
  since?: string;
  /** Runs before this one. */
  until?: string;
  region?: string;
  profile?: string;
  /** DynamoDB endpoint override (README: Endpoints). */
  dynamodbEndpoint?: string;
  /** S3 endpoint override; else AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
  s3Endpoint?: string;
  /**
   * Staging root: a local folder (local runner; default `.populator` under `cwd`) or an `s3://`
   * prefix (EMR Serverless). Runs go to `<staging>/runs/<run name>/`, jars to `<staging>/jars/`.
   */
  staging?: string;
  /** Local: folder for `<log-path>/<run name>/driver.log`. EMR: the S3 log URI (default `<staging>/logs/`). */
  logPath?: string;
  /** A prebuilt job jar (local file, or `s3://` for EMR Serverless) instead of building spark/. */
  jar?: string;
  /** `--spark`: the Spark family asked for (3.5 or 4.0; checked, the application's release must agree). */
  spark?: string;
}

export type { ImportBilling } from './import-plan.js';

/**
 * `submit --import`: create the table by DynamoDB's import from S3 instead of putting items. The
 * billing flags as given (`--billing-mode`, `--read-capacity`, `--write-capacity`); the validator
 * checks them (`importBillingOf` resolves them).
 */
export interface ImportRequest {
  billingMode?: string;
  readCapacity?: number;
  writeCapacity?: number;
  /**
   * `submit --resume` of an import run whose job succeeded: no job runs, and the table may exist
   * (made by the import the run started); the import step says what to do with it.
   */
  resumed?: boolean;
}
