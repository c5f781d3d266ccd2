import { randomBytes, randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IMPORT_ITEMS_PER_OBJECT, IMPORT_MAX_OBJECTS } from '../../../src/domain/contract.js';
import {
  buildImportPlan,
  DEFAULT_IMPORT_BILLING,
  IMPORT_BYTES_PER_ITEM,
  IMPORT_GZIP_RATIO,
  importBillingProblems,
  importBytesPerItem,
  importClientToken,
  importCost,
  importItemLine,
  importLimitProblems,
  importObjectsFor,
  importSizeLimit,
  type ImportTokenInputs,
} from '../../../src/domain/import-plan.js';

const TB = 1e12;

describe('importItemLine', () => {
  it('is one DynamoDB JSON item per line, etlTime and ttl as N (the DESIGN 3.2 example)', () => {
    const line = importItemLine({
      eventId: 'c6ef3124-b53a-4b13-a233-0088f79dcbcb',
      fingerprint: 'c4c64b5bd4b9d6ffcad25c8f0a3ea7ed',
      etlTime: 1485388885,
      ttl: 1500940885,
    });
    expect(line).toBe(
      '{"Item":{"eventId":{"S":"c6ef3124-b53a-4b13-a233-0088f79dcbcb"},"fingerprint":{"S":"c4c64b5bd4b9d6ffcad25c8f0a3ea7ed"},' +
        '"etlTime":{"N":"1485388885"},"ttl":{"N":"1500940885"}}}\n',
    );
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(Buffer.byteLength(line)).toBe(IMPORT_BYTES_PER_ITEM);
  });

  it('escapes what JSON must escape, so a fingerprint can never break its line', () => {
    const line = importItemLine({ eventId: 'e', fingerprint: 'a"b\nc', etlTime: 1, ttl: 2 });
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line)).toEqual({
      Item: { eventId: { S: 'e' }, fingerprint: { S: 'a"b\nc' }, etlTime: { N: '1' }, ttl: { N: '2' } },
    });
  });
});

describe('bytes per item', () => {
  it('is 175 bytes with an MD5 fingerprint, one more per fingerprint character', () => {
    expect(IMPORT_BYTES_PER_ITEM).toBe(175);
    expect(importBytesPerItem(64)).toBe(175 + 32);
  });

  // Random keys: the worst case for gzip (real event ids are random UUIDs, fingerprints MD5s).
  it('gzips to less than the ratio the plan assumes for the size limit', () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(
        importItemLine({
          eventId: randomUUID(),
          fingerprint: randomBytes(16).toString('hex'),
          etlTime: 1485388885 + (i >> 10),
          ttl: 1500940885 + (i >> 10),
        }),
      );
    }
    const text = lines.join('');
    const gz = gzipSync(text);
    expect(gunzipSync(gz).toString()).toBe(text);
    expect(gz.length / text.length).toBeLessThan(IMPORT_GZIP_RATIO);
  });
});

describe('importCost', () => {
  it('is $0.15 per GB (10^9 bytes) of uncompressed source: 1 billion items about $26', () => {
    expect(importCost(1e9)).toBeCloseTo(0.15, 10);
    expect(importCost(1e9 * IMPORT_BYTES_PER_ITEM)).toBeCloseTo(26.25, 6);
    expect(importCost(0)).toBe(0);
  });
});

describe('buildImportPlan', () => {
  it('prices the import beside on-demand writes and provisioned capacity for the same items', () => {
    const p = buildImportPlan({ items: 1_000_000_000, region: 'us-east-1', writeRate: 40_000 });
    expect(p.bytes).toBe(175e9);
    expect(p.compressedBytes).toBe(Math.round(175e9 * IMPORT_GZIP_RATIO));
    expect(p.objects).toBe(250);
    expect(p.usd).toBeCloseTo(26.25, 6);
    expect(p.puts.onDemandUsd).toBeCloseTo(625, 6);
    expect(p.puts.writeSeconds).toBe(25_000);
    expect(p.puts.provisionedUsd).toBeCloseTo(180.56, 2);
    expect(p.billing).toEqual(DEFAULT_IMPORT_BILLING);
    expect(p.limits).toEqual({ maxBytes: 15 * TB, maxObjects: IMPORT_MAX_OBJECTS });
    expect(p.problems).toEqual([]);
  });

  it('takes the bytes per item and the billing it is given', () => {
    const billing = { mode: 'provisioned', readCapacity: 5, writeCapacity: 10 } as const;
    const p = buildImportPlan({
      items: 10,
      region: 'eu-central-1',
      writeRate: 100,
      bytesPerItem: 207,
      billing,
    });
    expect(p.bytes).toBe(2070);
    expect(p.objects).toBe(1);
    expect(p.billing).toEqual(billing);
    expect(p.limits.maxBytes).toBe(1 * TB);
  });

  it('has no objects, no cost and no problem for no items', () => {
    const p = buildImportPlan({ items: 0, region: 'us-east-1', writeRate: 1000 });
    expect([p.objects, p.bytes, p.usd, p.puts.onDemandUsd, p.puts.provisionedUsd]).toEqual([0, 0, 0, 0, 0]);
    expect(p.problems).toEqual([]);
  });

  it('carries the limit problems of its estimate', () => {
    // 30 billion items: 5.25 TB plain, about 1.6 TB gzip'd: over 1 TB in Frankfurt, fine in Virginia.
    expect(buildImportPlan({ items: 30e9, region: 'eu-central-1', writeRate: 1000 }).problems).toHaveLength(
      1,
    );
    expect(buildImportPlan({ items: 30e9, region: 'us-east-1', writeRate: 1000 }).problems).toEqual([]);
  });
});

describe('import limits', () => {
  it('allows 15 TB in us-east-1, us-west-2 and eu-west-1, 1 TB elsewhere', () => {
    for (const r of ['us-east-1', 'us-west-2', 'eu-west-1']) expect(importSizeLimit(r)).toBe(15 * TB);
    for (const r of ['eu-central-1', 'ap-southeast-2', 'us-east-2']) expect(importSizeLimit(r)).toBe(1 * TB);
  });

  it('splits items into objects of IMPORT_ITEMS_PER_OBJECT', () => {
    expect(importObjectsFor(0)).toBe(0);
    expect(importObjectsFor(1)).toBe(1);
    expect(importObjectsFor(IMPORT_ITEMS_PER_OBJECT)).toBe(1);
    expect(importObjectsFor(IMPORT_ITEMS_PER_OBJECT + 1)).toBe(2);
  });

  it('is quiet at the limits and names each limit broken, with the way under it', () => {
    expect(importLimitProblems('eu-central-1', 1 * TB, IMPORT_MAX_OBJECTS)).toEqual([]);
    const [size, ...none] = importLimitProblems('eu-central-1', 1.5 * TB, 10);
    expect(none).toEqual([]);
    expect(size).toContain('about 1.5 TB');
    expect(size).toContain('limit of 1.0 TB per import in eu-central-1');
    expect(size).toContain('--since/--until');
    expect(size).toContain('conditional-write path');
    const both = importLimitProblems('us-west-2', 16 * TB, IMPORT_MAX_OBJECTS + 1);
    expect(both).toHaveLength(2);
    expect(both[0]).toContain('limit of 15 TB per import in us-west-2');
    expect(both[1]).toContain('50,001 S3 objects, over');
    expect(both[1]).toContain('limit of 50,000');
    expect(both[1]).toContain('--since/--until');
  });
});

describe('importBillingProblems', () => {
  it('accepts on-demand and whole provisioned capacities', () => {
    expect(importBillingProblems({ mode: 'on-demand' })).toEqual([]);
    expect(importBillingProblems({ mode: 'provisioned', readCapacity: 1, writeCapacity: 40_000 })).toEqual(
      [],
    );
  });

  it('names each capacity that is not a whole number of units', () => {
    const problems = importBillingProblems({ mode: 'provisioned', readCapacity: 0, writeCapacity: 2.5 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^--read-capacity .*got 0/);
    expect(problems[1]).toMatch(/^--write-capacity .*got 2.5/);
  });
});

describe('importClientToken', () => {
  const inputs: ImportTokenInputs = {
    archive: 's3://acme/enriched/',
    selection: { since: '2017-01-01', until: null, etlTime: 'run', ttlSeconds: 15552000 },
    table: 'manifest',
    region: 'us-east-1',
    billing: { mode: 'on-demand' },
  };

  it('is the same for the same inputs (key order aside), within the API 64 characters', () => {
    const t = importClientToken(inputs);
    expect(t).toMatch(/^populator-[0-9a-f]{40}$/);
    expect(t.length).toBeLessThanOrEqual(64);
    expect(
      importClientToken({
        ...inputs,
        selection: { ttlSeconds: 15552000, etlTime: 'run', until: null, since: '2017-01-01' },
      }),
    ).toBe(t);
    expect(importClientToken({ ...inputs, attempt: 1 })).toBe(t);
  });

  it('changes with every input', () => {
    const t = importClientToken(inputs);
    const variants: ImportTokenInputs[] = [
      { ...inputs, archive: 's3://acme/enriched-2/' },
      { ...inputs, selection: { ...inputs.selection, since: '2017-01-02' } },
      { ...inputs, selection: { ...inputs.selection, ttlSeconds: 1 } },
      { ...inputs, table: 'manifest-2' },
      { ...inputs, region: 'eu-west-1' },
      { ...inputs, billing: { mode: 'provisioned', readCapacity: 5, writeCapacity: 5 } },
      { ...inputs, attempt: 2 },
    ];
    const tokens = new Set(variants.map(importClientToken));
    expect(tokens.size).toBe(variants.length);
    expect(tokens.has(t)).toBe(false);
  });
});
