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
    // -1 is how DynamoDB says "no maximum".
    expect(defaultWriteRate({ billingMode: 'PAY_PER_REQUEST', onDemandMaxWriteRequestUnits: -1 })).toEqual({
      rate: 1000,
      source: 'on-demand',
    });
    expect(defaultWriteRate({ billingMode: 'PAY_PER_REQUEST', onDemandMaxWriteRequestUnits: 40000 })).toEqual(
      {
        rate: 1000,
        source: 'on-demand',
      },
    );
  });

  it("keeps an on-demand table's maximum write throughput, with the same room for the live pipeline", () => {
    expect(defaultWriteRate({ billingMode: 'PAY_PER_REQUEST', onDemandMaxWriteRequestUnits: 500 })).toEqual({
      rate: 400,
      source: 'on-demand-max',
    });
    expect(defaultWriteRate({ billingMode: 'PAY_PER_REQUEST', onDemandMaxWriteRequestUnits: 1 })).toEqual({
      rate: 1,
      source: 'on-demand-max',
    });
  });
});
