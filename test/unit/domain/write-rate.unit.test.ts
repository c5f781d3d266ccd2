import { describe, expect, it } from 'vitest';
import { defaultWriteRate } from '../../../src/domain/write-rate.js';

describe('defaultWriteRate', () => {
  it('takes 80% of provisioned WCU, leaving room for the live pipeline', () => {
    expect(defaultWriteRate({ billingMode: 'PROVISIONED', provisionedWcu: 1000 })).toEqual({
      rate: 800,
      source: 'provisioned',
    });
    expect(defaultWriteRate({ billingMode: 'PROVISIONED', provisionedWcu: 1 })).toEqual({
      rate: 1,
      source: 'provisioned',
    });
  });

  it('caps on-demand tables at 1000 WCU/s', () => {
    expect(defaultWriteRate({ billingMode: 'PAY_PER_REQUEST' })).toEqual({ rate: 1000, source: 'on-demand' });
  });
});
