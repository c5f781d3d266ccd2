/** The default write budget (WCU/s) when --write-rate is not given (DESIGN 3.5). */
import { DEFAULT_ON_DEMAND_WRITE_RATE, DEFAULT_PROVISIONED_WCU_SHARE } from './contract.js';

export interface TableCapacity {
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  provisionedWcu?: number;
}

/** A share of provisioned WCU (leaving room for the live pipeline), or a stated cap for on-demand tables. */
export function defaultWriteRate(t: TableCapacity): { rate: number; source: 'provisioned' | 'on-demand' } {
  if (t.billingMode === 'PROVISIONED' && t.provisionedWcu && t.provisionedWcu > 0) {
    return {
      rate: Math.max(1, Math.floor(t.provisionedWcu * DEFAULT_PROVISIONED_WCU_SHARE)),
      source: 'provisioned',
    };
  }
  return { rate: DEFAULT_ON_DEMAND_WRITE_RATE, source: 'on-demand' };
}
