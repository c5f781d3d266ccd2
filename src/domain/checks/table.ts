/**
 * The manifest table as checks, from what DescribeTable and DescribeTimeToLive said: it exists and
 * takes writes, has the shredder's key schema, how much it can take (and so the default write
 * rate), and whether TTL will delete what the job writes.
 */
import { ATTR_EVENT_ID, ATTR_FINGERPRINT, ATTR_TTL } from '../contract.js';
import { checksOf, skipAll, type Check } from '../checks.js';
import { defaultWriteRate } from '../write-rate.js';

const { pass, warn, fail } = checksOf('table');

export const TABLE_CHECK_IDS = [
  'table.exists',
  'table.status',
  'table.key-schema',
  'table.capacity',
  'table.ttl',
];

/** The part of a table description the checks read (the DynamoDB adapter's `ManifestTableDescription` fits). */
export interface TableFacts {
  exists: boolean;
  status?: string;
  keySchemaOk: boolean;
  billingMode?: 'PROVISIONED' | 'PAY_PER_REQUEST';
  provisionedWcu?: number;
  onDemandMaxWriteRequestUnits?: number;
  ttl: 'ENABLED' | 'DISABLED' | 'UNKNOWN';
  ttlAttribute?: string;
}

const n = (x: number): string => x.toLocaleString('en-US');

/** DynamoDB's default per-table write throughput limit (WCU/s) for on-demand tables. */
export const DEFAULT_TABLE_WRITE_LIMIT = 40_000;

/** The checks of a described table. `writeRate` is --write-rate when given. */
export function tableChecks(
  t: TableFacts,
  ctx: {
    table: string;
    region: string;
    writeRate?: number;
    writeExpired: boolean;
    import?: boolean;
    /** A resume that imports a run's files again: the table may be that run's import's. */
    importResumed?: boolean;
  },
): Check[] {
  if (ctx.import === true) return importTableChecks(t, ctx);
  if (!t.exists) {
    return [
      fail('table.exists', `the manifest table ${ctx.table} does not exist in ${ctx.region}`, {
        code: 'TABLE_NOT_FOUND',
        hint:
          `Let \`populator submit --import\` create it from the archive (DynamoDB's import from S3, about $0.03 per million items; ` +
          `\`--import --dry-run\` shows the cost), create it with partition key ${ATTR_EVENT_ID} (S) and sort key ${ATTR_FINGERPRINT} (S), ` +
          'or fix dynamodbTable/awsRegion in the storage config (or --region).',
      }),
      ...skipAll(
        'table',
        TABLE_CHECK_IDS.filter((id) => id !== 'table.exists'),
        'skipped: the table does not exist',
      ),
    ];
  }
  const checks: Check[] = [pass('table.exists', `${ctx.table} in ${ctx.region}`)];
  const status = t.status ?? 'ACTIVE';
  if (status === 'ACTIVE') {
    checks.push(pass('table.status', 'ACTIVE'));
  } else if (status === 'UPDATING') {
    checks.push(
      warn('table.status', 'UPDATING: it takes writes meanwhile, but its capacity may be changing', {
        hint: 'Wait until the update is done if it changes the capacity, then validate again.',
      }),
    );
  } else {
    checks.push(
      fail('table.status', `${status}: the table cannot take writes now`, {
        code: 'TABLE_NOT_ACTIVE',
        hint:
          status === 'CREATING'
            ? 'Wait until the table is ACTIVE (a minute or so), then validate again.'
            : 'Check the table in the DynamoDB console; only an ACTIVE table can be back-filled.',
      }),
    );
  }
  checks.push(
    t.keySchemaOk
      ? pass('table.key-schema', `${ATTR_EVENT_ID} (S, partition key) + ${ATTR_FINGERPRINT} (S, sort key)`)
      : fail('table.key-schema', `the table ${ctx.table} does not have the event manifest's key schema`, {
          code: 'TABLE_KEY_SCHEMA',
          hint: `An event manifest has partition key ${ATTR_EVENT_ID} (S) and sort key ${ATTR_FINGERPRINT} (S) and nothing else: point the storage config at such a table.`,
        }),
  );
  checks.push(capacityCheck(t, ctx.writeRate));
  checks.push(ttlCheck(t, ctx.writeExpired));
  return checks;
}

function capacityCheck(t: TableFacts, writeRate: number | undefined): Check {
  const billingMode = t.billingMode ?? 'PROVISIONED';
  const capacity =
    billingMode === 'PROVISIONED'
      ? `provisioned, ${n(t.provisionedWcu ?? 0)} WCU`
      : `on-demand${t.onDemandMaxWriteRequestUnits !== undefined ? `, at most ${n(t.onDemandMaxWriteRequestUnits)} write units/s` : ''}`;
  if (writeRate === undefined) {
    const d = defaultWriteRate({
      billingMode,
      provisionedWcu: t.provisionedWcu,
      onDemandMaxWriteRequestUnits: t.onDemandMaxWriteRequestUnits,
    });
    return pass('table.capacity', `${capacity}: the job writes at ${n(d.rate)} WCU/s by default`);
  }
  // An on-demand table without a maximum of its own is held to DynamoDB's default per-table limit.
  const ceiling =
    billingMode === 'PROVISIONED'
      ? t.provisionedWcu
      : (t.onDemandMaxWriteRequestUnits ?? DEFAULT_TABLE_WRITE_LIMIT);
  if (ceiling !== undefined && writeRate > ceiling) {
    return warn(
      'table.capacity',
      `${capacity}: --write-rate ${n(writeRate)} is above what the table takes, so writes will be throttled (the live pipeline's too)`,
      {
        hint:
          billingMode === 'PROVISIONED' || t.onDemandMaxWriteRequestUnits !== undefined
            ? `Lower --write-rate to at most ${n(ceiling)}, or raise the table's ${billingMode === 'PROVISIONED' ? 'WCU' : 'maximum write throughput'} for the back-fill.`
            : `An on-demand table takes ${n(DEFAULT_TABLE_WRITE_LIMIT)} WCU/s at most unless its account's per-table limit was raised (Service Quotas): lower --write-rate to at most ${n(DEFAULT_TABLE_WRITE_LIMIT)}.`,
      },
    );
  }
  return pass('table.capacity', `${capacity}: --write-rate ${n(writeRate)} WCU/s`);
}

function ttlCheck(t: TableFacts, writeExpired: boolean): Check {
  if (t.ttl === 'ENABLED' && t.ttlAttribute === ATTR_TTL) {
    return pass(
      'table.ttl',
      writeExpired
        ? `TTL on ${ATTR_TTL}; --write-expired writes items whose ttl is past anyway (DynamoDB deletes them within days)`
        : `TTL on ${ATTR_TTL}: items whose ttl is already past are skipped and counted as expired`,
    );
  }
  const enable = `aws dynamodb update-time-to-live --table-name <table> --time-to-live-specification Enabled=true,AttributeName=${ATTR_TTL}`;
  if (t.ttl === 'ENABLED') {
    return warn(
      'table.ttl',
      `TTL is on attribute ${t.ttlAttribute ?? '?'}, not ${ATTR_TTL}: manifest items never expire, and items whose ttl is past are written`,
      { hint: `The shredder's items expire on ${ATTR_TTL}: move TTL to it (${enable}).` },
    );
  }
  if (t.ttl === 'DISABLED') {
    return warn(
      'table.ttl',
      'TTL is disabled: manifest items never expire, and items whose ttl is past are written',
      { hint: `Enable TTL on ${ATTR_TTL} if the manifest should forget old events (${enable}).` },
    );
  }
  return warn(
    'table.ttl',
    'TTL cannot be read (DescribeTimeToLive was refused or is not supported): items whose ttl is past are written',
    { hint: 'Allow dynamodb:DescribeTimeToLive on the table so that expired items are skipped.' },
  );
}

/**
 * `submit --import`: DynamoDB's import creates the table, so it must not exist yet; what the other
 * checks look at (status, key schema, capacity, TTL) is what the import sets.
 */
function importTableChecks(
  t: TableFacts,
  ctx: { table: string; region: string; importResumed?: boolean },
): Check[] {
  const others = TABLE_CHECK_IDS.filter((id) => id !== 'table.exists');
  if (t.exists && ctx.importResumed === true) {
    return [
      pass(
        'table.exists',
        `${ctx.table} exists in ${ctx.region}: made by the run's import, which the resume follows or finishes (a failed one's table is refused then)`,
      ),
      ...skipAll('table', others, 'skipped: the import made the table'),
    ];
  }
  if (t.exists) {
    return [
      fail(
        'table.exists',
        `the manifest table ${ctx.table} already exists in ${ctx.region}, and DynamoDB's import creates new tables only`,
        {
          code: 'TABLE_EXISTS',
          hint:
            'Import into a new table (another dynamodbTable in a copy of the storage config; README: "Cutting over a live pipeline"), ' +
            'or leave out --import to fill this table with conditional writes.',
        },
      ),
      ...skipAll('table', others, 'skipped: the table exists'),
    ];
  }
  return [
    pass('table.exists', `${ctx.table} does not exist yet in ${ctx.region}: the import creates it`),
    ...skipAll(
      'table',
      others,
      `skipped: the import creates the table with the manifest's key schema, and populator turns TTL on for ${ATTR_TTL} after it`,
    ),
  ];
}
