/**
 * The checks `submit --import` adds (pure): the import's files must be on S3 (ImportTable reads S3
 * only), the new table's billing must be whole, and what makes no sense for a table that does not
 * exist yet is refused before anything runs.
 */
import { checksOf, type Check } from '../checks.js';
import type { ImportBilling, ImportRequest } from '../inputs.js';

const { pass, fail } = checksOf('flags');

/** The command line as the import checks see it. */
export interface ImportFlagInput {
  runner: 'local' | 'emr-serverless';
  /** --staging as given. */
  staging: string | undefined;
  /** --billing-mode, --read-capacity, --write-capacity as given. */
  request: ImportRequest;
  skipPresent: boolean;
}

export const IMPORT_CHECK_IDS = ['flags.import-staging', 'flags.import-billing', 'flags.import-mode'];

/** The billing a command line asks for, or null when it is not whole (the checks say why). */
export function importBillingOf(i: ImportRequest): ImportBilling | null {
  const mode = i.billingMode ?? 'on-demand';
  if (mode === 'on-demand' && i.readCapacity === undefined && i.writeCapacity === undefined)
    return { mode: 'on-demand' };
  if (mode === 'provisioned' && i.readCapacity !== undefined && i.writeCapacity !== undefined)
    return { mode: 'provisioned', readCapacity: i.readCapacity, writeCapacity: i.writeCapacity };
  return null;
}

/** The checks of `--import` and the flags that come with it. */
export function importFlagChecks(i: ImportFlagInput): Check[] {
  return [stagingCheck(i), billingCheck(i), modeCheck(i)];
}

function stagingCheck(i: ImportFlagInput): Check {
  const id = 'flags.import-staging';
  if (i.staging !== undefined && /^s3a?:\/\/[^/]+/i.test(i.staging)) {
    return pass(id, `the import's files go to ${i.staging.replace(/\/*$/, '/')}runs/<run>/import/`, {
      source: '--staging',
    });
  }
  const local = i.runner === 'local' ? " (the run's report stays in this folder's .populator/)" : '';
  return fail(
    id,
    i.staging === undefined
      ? '--import needs --staging, an s3:// prefix for the files DynamoDB imports'
      : `--staging ${i.staging} is not on S3, and DynamoDB's import reads its files from S3 only`,
    {
      source: '--staging',
      code: 'IMPORT_STAGING',
      hint: `Give --staging s3://bucket/prefix/ in the table's region${local}; the job writes the import files under it.`,
    },
  );
}

function billingCheck(i: ImportFlagInput): Check {
  const id = 'flags.import-billing';
  const billing = importBillingOf(i.request);
  if (billing?.mode === 'on-demand') return pass(id, 'the new table is billed on demand');
  if (billing?.mode === 'provisioned') {
    return pass(
      id,
      `the new table is provisioned with ${billing.readCapacity} RCU and ${billing.writeCapacity} WCU`,
    );
  }
  const mode = i.request.billingMode ?? 'on-demand';
  if (mode !== 'on-demand' && mode !== 'provisioned') {
    return fail(id, `--billing-mode ${JSON.stringify(mode)} is neither on-demand nor provisioned`, {
      source: '--billing-mode',
      code: 'IMPORT_BILLING',
      hint: 'Give --billing-mode on-demand (the default) or provisioned with --read-capacity and --write-capacity.',
    });
  }
  return fail(
    id,
    mode === 'on-demand'
      ? '--read-capacity and --write-capacity are for --billing-mode provisioned'
      : '--billing-mode provisioned needs both --read-capacity and --write-capacity',
    {
      source: '--billing-mode',
      code: 'IMPORT_BILLING',
      hint:
        mode === 'on-demand'
          ? 'Leave them out for an on-demand table, or add --billing-mode provisioned.'
          : "Give the new table's capacity, e.g. --read-capacity 100 --write-capacity 1000 (the shredder's own writes need it).",
    },
  );
}

function modeCheck(i: ImportFlagInput): Check {
  const id = 'flags.import-mode';
  if (i.skipPresent) {
    return fail(id, '--skip-present looks keys up in an existing table, and --import creates a new one', {
      source: '--skip-present',
      code: 'IMPORT_SKIP_PRESENT',
      hint: 'Leave out --skip-present (a new table holds nothing), or leave out --import to write into an existing table.',
    });
  }
  return pass(id, 'a new table, created by DynamoDB import from S3');
}
