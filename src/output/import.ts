/** Pure renderers for `submit --import`: the import's plan, and one line per look at a running import. */
import type { ImportView } from '../aws/dynamodb-import.js';
import type { RunImportState } from '../services/run-import.js';
import type { SubmitImportOutcome } from '../services/submit-types.js';
import { ATTR_TTL } from '../domain/contract.js';
import { LARGE_IMPORT_REGIONS, type ImportBilling, type ImportPlan } from '../domain/import-plan.js';
import { IMPORT_PRICE_PER_GB } from '../domain/dynamodb-prices.js';
import { bytes, duration, table, usd } from './format.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

function billing(b: ImportBilling): string {
  return b.mode === 'on-demand'
    ? 'on-demand'
    : `provisioned, ${n(b.readCapacity)} RCU and ${n(b.writeCapacity)} WCU`;
}

/** `20x cheaper`, `2.5x cheaper`; empty when the import is not the cheaper way. */
function cheaper(importUsd: number, otherUsd: number): string {
  if (importUsd <= 0 || otherUsd <= importUsd) return '';
  const x = otherUsd / importUsd;
  return `${x >= 10 ? n(x) : x.toFixed(1)}x`;
}

/**
 * The import's plan, as `submit --import` prints it below the job's: the files, what ImportTable
 * charges beside conditional puts of the same items, the new table, and the import's limits.
 */
export function renderImportPlan(p: ImportPlan): string {
  return table(importPlanRows(p));
}

/** The rows of the import's plan (the submit plan shows them in place of the puts'). */
export function importPlanRows(p: ImportPlan): [string, string][] {
  const vsOnDemand = cheaper(p.usd, p.puts.onDemandUsd);
  const vsProvisioned = cheaper(p.usd, p.puts.provisionedUsd);
  const rows: [string, string][] = [
    [
      'import files',
      `${n(p.items)} items in ${n(p.objects)} gzip DYNAMODB_JSON objects: ${bytes(p.bytes)} uncompressed ` +
        `(${n(p.bytesPerItem)} bytes per item), about ${bytes(p.compressedBytes)} in S3`,
    ],
    [
      'import cost',
      `${usd(p.usd)} ($${IMPORT_PRICE_PER_GB} per GB of uncompressed source; no write capacity used)`,
    ],
    [
      'puts instead',
      `${usd(p.puts.onDemandUsd)} on-demand ($0.625 per million writes${vsOnDemand ? `: ${vsOnDemand} the import` : ''}); ` +
        `${usd(p.puts.provisionedUsd)} on provisioned capacity (${n(p.puts.writeRate)} WCU for ${duration(p.puts.writeSeconds)}, ` +
        `${n(p.puts.wcuHours)} WCU-hours at $0.00065${vsProvisioned ? `: ${vsProvisioned} the import` : ''})`,
    ],
    [
      'new table',
      `${billing(p.billing)}, in ${p.region}; TTL switched on for ${ATTR_TTL} once the import completes`,
    ],
    [
      'import limits',
      `${bytes(p.limits.maxBytes)} of S3 objects per import in ${p.region} ` +
        `(${LARGE_IMPORT_REGIONS.includes(p.region) ? '1 TB outside ' : '15 TB in '}${LARGE_IMPORT_REGIONS.join(', ')}), ` +
        `${n(p.limits.maxObjects)} objects: ${p.problems.length === 0 ? 'within them' : 'OVER (below)'}`,
    ],
    ...p.problems.map((problem): [string, string] => ['cannot import', problem]),
  ];
  return rows;
}

/**
 * One line for a look at an import (stderr while following it). DynamoDB fills the counters only
 * at the end: while they are all 0, the line says so rather than showing zeros.
 */
export function renderImportProgressLine(v: ImportView): string {
  const counted = v.processedItemCount + v.importedItemCount + v.errorCount + v.processedSizeBytes > 0;
  const parts = [
    `import ${v.status}`,
    counted
      ? `${n(v.processedItemCount)} items processed (${bytes(v.processedSizeBytes)}), ${n(v.importedItemCount)} imported, ${n(v.errorCount)} ${v.errorCount === 1 ? 'error' : 'errors'}`
      : v.final
        ? 'nothing processed'
        : 'counters come at the end',
  ];
  if (v.failureCode !== null || v.failureMessage !== null) {
    parts.push(`${v.failureCode ?? 'failed'}: ${v.failureMessage ?? 'no message'}`);
  }
  if (v.cloudWatchLogGroupArn !== null) {
    parts.push(`log group ${v.cloudWatchLogGroupArn}`);
  }
  return parts.join('; ');
}

/** The import of an import run, as `status` shows it below the job. */
export function renderRunImport(i: RunImportState): string {
  const rows: [string, string][] = [
    ['import', i.importArn === null ? 'not started' : `${i.importArn} ${i.status}`],
    ['import files', i.folder],
  ];
  if (i.view !== null) rows.push(['import state', renderImportProgressLine(i.view)]);
  if (i.status === 'COMPLETED')
    rows.push(['TTL on ttl', i.ttlEnabled ? 'switched on' : 'not yet switched on']);
  return table(rows);
}

/** What `--import` adds to the report: the import, its counters, the new table and what it cost. */
export function importOutcomeRows(i: SubmitImportOutcome): [string, string][] {
  return [
    ['import', `${i.importArn} ${i.status}`],
    [
      'imported',
      `${n(i.importedItemCount)} items of ${n(i.processedItemCount)} processed, ${n(i.errorCount)} errors (the job wrote ${n(i.items)} in ${n(i.objects)} objects)`,
    ],
    [
      'new table',
      `${i.table}, ${i.billing.mode === 'on-demand' ? 'on-demand' : `provisioned ${n(i.billing.readCapacity)} RCU / ${n(i.billing.writeCapacity)} WCU`}, TTL on ttl ${i.ttl === 'ENABLED' ? 'switched on' : 'already on'}`,
    ],
    ['cost (import)', `${usd(i.usd)} (${bytes(i.bytes)} of uncompressed items at $0.15 per GB)`],
  ];
}
