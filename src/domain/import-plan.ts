/**
 * The import's half of the plan (`submit --import`, issue 13): how many bytes of DYNAMODB_JSON the
 * items make, what ImportTable charges for them beside what conditional puts would cost, whether
 * the import stays within ImportTable's limits, and the ClientToken that keeps a retried submit
 * from importing twice. Pure: figures in, figures out.
 */
import {
  ATTR_ETL_TIME,
  ATTR_EVENT_ID,
  ATTR_FINGERPRINT,
  ATTR_TTL,
  IMPORT_ITEMS_PER_OBJECT,
  IMPORT_MAX_OBJECTS,
} from './contract.js';
import { clientTokenFor } from './emr.js';
import {
  BYTES_PER_GB,
  IMPORT_PRICE_PER_GB,
  onDemandWriteCost,
  provisionedWriteCost,
} from './dynamodb-prices.js';

/** One manifest item as the import files hold it. */
export interface ImportItem {
  eventId: string;
  fingerprint: string;
  /** Epoch seconds. */
  etlTime: number;
  /** Epoch seconds. */
  ttl: number;
}

/**
 * One line of an import file: `{"Item":{...}}` in DynamoDB JSON, `etlTime` and `ttl` as N, and its
 * newline. The job writes exactly this (its bytes are what ImportTable bills).
 */
export function importItemLine(item: ImportItem): string {
  return `${JSON.stringify({
    Item: {
      [ATTR_EVENT_ID]: { S: item.eventId },
      [ATTR_FINGERPRINT]: { S: item.fingerprint },
      [ATTR_ETL_TIME]: { N: String(item.etlTime) },
      [ATTR_TTL]: { N: String(item.ttl) },
    },
  })}\n`;
}

/** Characters of the enricher's default fingerprint (an MD5, in hex). */
export const MD5_HEX_CHARS = 32;

/**
 * Bytes of one import line for a fingerprint of `fingerprintChars` ASCII characters: a 36-character
 * UUID and 10-digit epoch seconds (every time from 2001 to 2286), measured on the real line format.
 */
export function importBytesPerItem(fingerprintChars: number = MD5_HEX_CHARS): number {
  const line = importItemLine({
    eventId: '00000000-0000-0000-0000-000000000000',
    fingerprint: 'f'.repeat(fingerprintChars),
    etlTime: 1_485_388_885,
    ttl: 1_500_940_885,
  });
  return new TextEncoder().encode(line).length;
}

/** Bytes of one import line with an MD5 fingerprint: 175. */
export const IMPORT_BYTES_PER_ITEM = importBytesPerItem();

/**
 * Gzip'd size over plain size of import files, for the plan's estimate of the S3 bytes (what the
 * size limit counts). 100,000 lines of random UUIDs and MD5s gzip to 0.24 of their size; 0.3 leaves
 * room, so the limit check errs on the side of refusing.
 */
export const IMPORT_GZIP_RATIO = 0.3;

/** ImportTable's price for `bytes` of uncompressed source (see IMPORT_PRICE_PER_GB). */
export function importCost(bytes: number): number {
  return (bytes / BYTES_PER_GB) * IMPORT_PRICE_PER_GB;
}

/** Regions where one import may read 15 TB of S3 objects; elsewhere 1 TB. */
export const LARGE_IMPORT_REGIONS: readonly string[] = ['us-east-1', 'us-west-2', 'eu-west-1'];
/**
 * A TB here is 10^12 bytes: the smaller reading of AWS's "TB" (against 2^40), so an import the
 * plan lets through is within the limit either way.
 */
const TB = 1e12;

/** ImportTable's limit on the S3 bytes (compressed, as stored) of one import in `region`. */
export function importSizeLimit(region: string): number {
  return (LARGE_IMPORT_REGIONS.includes(region) ? 15 : 1) * TB;
}

/** Objects the job writes for `items`: IMPORT_ITEMS_PER_OBJECT each (at least one when there are items). */
export function importObjectsFor(items: number): number {
  return items <= 0 ? 0 : Math.ceil(items / IMPORT_ITEMS_PER_OBJECT);
}

const tb = (bytes: number): string => `${(bytes / TB).toFixed(bytes >= 10 * TB ? 0 : 1)} TB`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/**
 * What stops ImportTable from taking `bytes` of S3 objects (compressed, as stored) in `objects`
 * objects in `region`: one sentence per limit broken, saying how to get under it. Empty when none is.
 */
export function importLimitProblems(region: string, bytes: number, objects: number): string[] {
  const problems: string[] = [];
  const limit = importSizeLimit(region);
  // What is left over after the import has only one way in: ImportTable creates a table, it never adds to one.
  const rest =
    'then fill the rest into the imported table with the conditional-write path (submit without --import)';
  if (bytes > limit) {
    problems.push(
      `The import files would take about ${tb(bytes)} in S3, over ImportTable's limit of ${tb(limit)} per import in ${region} ` +
        `(15 TB in ${LARGE_IMPORT_REGIONS.join(', ')}; 1 TB elsewhere). Import a part of the archive by narrowing --since/--until ` +
        `to under ${tb(limit)}, ${rest}.`,
    );
  }
  if (objects > IMPORT_MAX_OBJECTS) {
    problems.push(
      `The import would be ${int(objects)} S3 objects, over ImportTable's limit of ${int(IMPORT_MAX_OBJECTS)} per import. ` +
        `Narrow --since/--until to fewer than ${int(IMPORT_MAX_OBJECTS * IMPORT_ITEMS_PER_OBJECT)} items, ${rest}.`,
    );
  }
  return problems;
}

/** The billing mode of the table an import creates. */
export type ImportBilling =
  | { mode: 'on-demand' }
  | { mode: 'provisioned'; readCapacity: number; writeCapacity: number };

/** On-demand: no capacity to plan, and what the conditional-write path defaults to as well. */
export const DEFAULT_IMPORT_BILLING: ImportBilling = { mode: 'on-demand' };

/** What is wrong with a billing choice (provisioned capacity must be whole units, at least 1). */
export function importBillingProblems(billing: ImportBilling): string[] {
  if (billing.mode === 'on-demand') return [];
  const problems: string[] = [];
  for (const [flag, value] of [
    ['--read-capacity', billing.readCapacity],
    ['--write-capacity', billing.writeCapacity],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      problems.push(
        `${flag} must be a whole number of capacity units, at least 1 (got ${value}): give both --read-capacity and --write-capacity with --billing-mode provisioned, or use --billing-mode on-demand.`,
      );
    }
  }
  return problems;
}

export interface ImportPlanInput {
  /** Items the job writes into the import files (the plan's writes). */
  items: number;
  region: string;
  /** The write rate the conditional-write path would use, to price provisioned capacity for the same items. */
  writeRate: number;
  billing?: ImportBilling;
  /** Bytes of one import line; default IMPORT_BYTES_PER_ITEM (an MD5 fingerprint). */
  bytesPerItem?: number;
}

export interface ImportPlan {
  items: number;
  /** Uncompressed bytes of the import files: what ImportTable bills. */
  bytes: number;
  /** Their estimated gzip'd size in S3: what the size limit counts. */
  compressedBytes: number;
  objects: number;
  bytesPerItem: number;
  region: string;
  billing: ImportBilling;
  /** ImportTable's price for `bytes`. */
  usd: number;
  /** The same items written by conditional puts. */
  puts: {
    onDemandUsd: number;
    /** Capacity of `writeRate` WCU held for the writes. */
    writeRate: number;
    writeSeconds: number;
    wcuHours: number;
    provisionedUsd: number;
  };
  limits: { maxBytes: number; maxObjects: number };
  /** importLimitProblems for the estimated size and objects: an import with problems cannot run as planned. */
  problems: string[];
}

/** The import's plan for `items` manifest items. */
export function buildImportPlan(input: ImportPlanInput): ImportPlan {
  const bytesPerItem = input.bytesPerItem ?? IMPORT_BYTES_PER_ITEM;
  const bytes = input.items * bytesPerItem;
  const compressedBytes = Math.round(bytes * IMPORT_GZIP_RATIO);
  const objects = importObjectsFor(input.items);
  const writeSeconds = input.writeRate > 0 ? input.items / input.writeRate : 0;
  const provisioned = provisionedWriteCost(input.writeRate, writeSeconds);
  return {
    items: input.items,
    bytes,
    compressedBytes,
    objects,
    bytesPerItem,
    region: input.region,
    billing: input.billing ?? DEFAULT_IMPORT_BILLING,
    usd: importCost(bytes),
    puts: {
      onDemandUsd: onDemandWriteCost(input.items),
      writeRate: input.writeRate,
      writeSeconds,
      wcuHours: provisioned.wcuHours,
      provisionedUsd: provisioned.usd,
    },
    limits: { maxBytes: importSizeLimit(input.region), maxObjects: IMPORT_MAX_OBJECTS },
    problems: importLimitProblems(input.region, compressedBytes, objects),
  };
}

/**
 * What decides an import: a different value of any of these is a different import. `selection`
 * holds everything that decides which items are in the files (--since, --until, --etl-time,
 * --ttl-seconds, --write-expired, ...).
 */
export interface ImportTokenInputs {
  archive: string;
  selection: Readonly<Record<string, string | number | boolean | null>>;
  table: string;
  region: string;
  billing: ImportBilling;
  /**
   * 1 for the first import of a run's files. A resume that imports them again after a failed or
   * cancelled import counts up: for 8 hours the same token would answer with the failed import.
   */
  attempt?: number;
}

/**
 * ImportTable's ClientToken for these inputs (`populator-` + 40 hex digits of their SHA-256: 50
 * characters, within the API's 64). The same inputs give the same token, so a submit retried
 * after a lost answer gets the first import back instead of starting a second one.
 */
export function importClientToken(inputs: ImportTokenInputs): string {
  return clientTokenFor({
    operation: 'ImportTable',
    archive: inputs.archive,
    selection: inputs.selection,
    table: inputs.table,
    region: inputs.region,
    billing: inputs.billing,
    attempt: inputs.attempt ?? 1,
  });
}
