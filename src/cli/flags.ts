/** Flags shared by the commands that run the job (submit, demo). Every flag has an env-var twin. */
import { Flags } from '@oclif/core';
import { DEFAULT_TTL_SECONDS, ETL_TIME_MODES } from '../domain/contract.js';

export const jobFlags = {
  'etl-time': Flags.option({
    options: ETL_TIME_MODES,
    default: 'run' as const,
    env: 'POPULATOR_ETL_TIME',
    description:
      'Which etlTime to write: "run" = the earliest etl_tstamp of the run folder (RDB Shredder R33+ / Transformer), "event" = each event\'s own etl_tstamp (shredders <= R32).',
  })(),
  'write-rate': Flags.integer({
    min: 1,
    env: 'POPULATOR_WRITE_RATE',
    description:
      "Write budget for the whole job in WCU/s. Default: 80% of the table's provisioned WCU, or 1000 for on-demand tables.",
  }),
  'max-in-flight': Flags.integer({
    min: 1,
    max: 1024,
    env: 'POPULATOR_MAX_IN_FLIGHT',
    description:
      'Starting window of conditional puts in flight per writer task (default 32). --write-rate paces the writes: the window grows up to 8x this (at most 512) when DynamoDB answers slowly and shrinks back on throttling; 1 keeps one put at a time.',
  }),
  'ttl-seconds': Flags.integer({
    min: 1,
    default: DEFAULT_TTL_SECONDS,
    env: 'POPULATOR_TTL_SECONDS',
    description: "Item lifetime: ttl = etlTime + this (the shredder's default is 180 days).",
  }),
  'write-expired': Flags.boolean({
    default: false,
    env: 'POPULATOR_WRITE_EXPIRED',
    description:
      'Also write items whose ttl is already past (by default they are skipped when TTL is enabled on the table).',
  }),
  'driver-memory': Flags.string({
    default: '2g',
    env: 'POPULATOR_DRIVER_MEMORY',
    description: 'Heap of the local Spark JVM (local runner).',
  }),
  master: Flags.string({
    default: 'local[*]',
    env: 'POPULATOR_SPARK_MASTER',
    description: 'Spark master for the local runner.',
    hidden: true,
  }),
};

export const awsFlags = {
  profile: Flags.string({ env: 'AWS_PROFILE', description: 'AWS profile for DynamoDB (and S3) access.' }),
  region: Flags.string({
    env: 'POPULATOR_REGION',
    description: 'AWS region of the table (default: awsRegion of the storage config).',
  }),
  'dynamodb-endpoint': Flags.string({
    env: 'AWS_ENDPOINT_URL_DYNAMODB',
    description: 'DynamoDB endpoint override (e.g. a local stand-in); AWS_ENDPOINT_URL applies too.',
  }),
};

/** Flags for commands that read the archive from S3 (submit). */
export const s3Flags = {
  's3-endpoint': Flags.string({
    env: 'AWS_ENDPOINT_URL_S3',
    description:
      'S3 endpoint override for an s3:// archive (e.g. a local emulator; path-style requests); AWS_ENDPOINT_URL applies too.',
  }),
};
