/** The default write budget (WCU/s) when --write-rate is not given (DESIGN 3.5). The only implementation: the job is always handed the rate. */
import { DEFAULT_ON_DEMAND_WRITE_RATE, DEFAULT_PROVISIONED_WCU_SHARE } from './contract.js';

export interface TableCapacity {
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  provisionedWcu?: number;
  /** An on-demand table's `OnDemandThroughput.MaxWriteRequestUnits`, when one is set (-1 or absent: none). */
  onDemandMaxWriteRequestUnits?: number;
}

export type WriteRateSource = 'provisioned' | 'on-demand' | 'on-demand-max';

/**
 * A share of provisioned WCU (leaving room for the live pipeline); for on-demand tables a stated
 * cap, lowered to the table's own maximum write throughput when it has one (DynamoDB throttles
 * everything above it, the live shredder included).
 */
export function defaultWriteRate(t: TableCapacity): { rate: number; source: WriteRateSource } {
  if (t.billingMode === 'PROVISIONED' && t.provisionedWcu && t.provisionedWcu > 0) {
    return {
      rate: Math.max(1, Math.floor(t.provisionedWcu * DEFAULT_PROVISIONED_WCU_SHARE)),
      source: 'provisioned',
    };
  }
  const max = t.onDemandMaxWriteRequestUnits;
  if (max !== undefined && max > 0 && max * DEFAULT_PROVISIONED_WCU_SHARE < DEFAULT_ON_DEMAND_WRITE_RATE) {
    return { rate: Math.max(1, Math.floor(max * DEFAULT_PROVISIONED_WCU_SHARE)), source: 'on-demand-max' };
  }
  return { rate: DEFAULT_ON_DEMAND_WRITE_RATE, source: 'on-demand' };
}
