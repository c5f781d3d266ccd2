/** DynamoDB's prices (us-east-1) and what writes cost at them: shared by the plan and the import's plan. Pure. */

/** DynamoDB prices, us-east-1 (DESIGN 3.4). */
export const DYNAMODB_PRICES = {
  onDemandPerMillionWrites: 0.625,
  onDemandPerMillionReads: 0.125,
  provisionedWcuHour: 0.00065,
  provisionedRcuHour: 0.00013,
} as const;

/**
 * ImportTable's price (us-east-1): dollars per GB of uncompressed source processed, rows that fail
 * to load included (FIELD-NOTES, "DynamoDB import from S3"). A GB here is 10^9 bytes, as the
 * plan's other byte figures: should AWS bill per GiB (2^30), the true price is about 7% lower, so
 * the plan errs on the high side.
 */
export const IMPORT_PRICE_PER_GB = 0.15;
/** Bytes in the GB `IMPORT_PRICE_PER_GB` is quoted for. */
export const BYTES_PER_GB = 1e9;

/** What DynamoDB charges for `items` on-demand writes (one write request unit each: items are < 1 KB). */
export function onDemandWriteCost(items: number): number {
  return (items / 1_000_000) * DYNAMODB_PRICES.onDemandPerMillionWrites;
}

/** Provisioned capacity of `writeRate` WCU held for `writeSeconds`: its WCU-hours and their price. */
export function provisionedWriteCost(
  writeRate: number,
  writeSeconds: number,
): { wcuHours: number; usd: number } {
  const wcuHours = (writeRate * writeSeconds) / 3600;
  return { wcuHours, usd: wcuHours * DYNAMODB_PRICES.provisionedWcuHour };
}
