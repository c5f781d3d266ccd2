import { describe, expect, it } from 'vitest';
import { importBillingOf, importFlagChecks } from '../../../../src/domain/checks/import.js';
import { tableChecks, type TableFacts } from '../../../../src/domain/checks/table.js';

const base = { runner: 'local' as const, staging: 's3://ops/populator', request: {}, skipPresent: false };
const byId = (checks: { id: string; status: string; code?: string }[], id: string) =>
  checks.find((c) => c.id === id);

describe('the checks of --import', () => {
  it('pass an S3 staging, on-demand billing and no --skip-present', () => {
    const checks = importFlagChecks(base);
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
    expect(byId(checks, 'flags.import-staging')?.status).toBe('pass');
  });
  it('refuse a local or missing staging, with either runner', () => {
    for (const staging of ['./here', undefined]) {
      for (const runner of ['local', 'emr-serverless'] as const) {
        const c = byId(importFlagChecks({ ...base, runner, staging }), 'flags.import-staging');
        expect(c?.status).toBe('fail');
        expect(c?.code).toBe('IMPORT_STAGING');
      }
    }
  });
  it('take provisioned billing only with both capacities, and no capacity on demand', () => {
    expect(importBillingOf({})).toEqual({ mode: 'on-demand' });
    expect(importBillingOf({ billingMode: 'provisioned', readCapacity: 5, writeCapacity: 100 })).toEqual({
      mode: 'provisioned',
      readCapacity: 5,
      writeCapacity: 100,
    });
    for (const request of [
      { billingMode: 'provisioned', readCapacity: 5 },
      { writeCapacity: 100 },
      { billingMode: 'reserved' },
    ]) {
      expect(importBillingOf(request)).toBeNull();
      const c = byId(importFlagChecks({ ...base, request }), 'flags.import-billing');
      expect(c?.status).toBe('fail');
      expect(c?.code).toBe('IMPORT_BILLING');
    }
  });
  it('refuse --skip-present (a new table holds nothing)', () => {
    expect(byId(importFlagChecks({ ...base, skipPresent: true }), 'flags.import-mode')?.code).toBe(
      'IMPORT_SKIP_PRESENT',
    );
  });
});

describe('the table checks of --import', () => {
  const missing: TableFacts = { exists: false, keySchemaOk: false, ttl: 'UNKNOWN' };
  const present: TableFacts = { exists: true, keySchemaOk: true, ttl: 'ENABLED', ttlAttribute: 'ttl' };
  const ctx = { table: 'manifest', region: 'eu-west-1', writeExpired: false };

  it('want the table not to exist yet, and skip what the import sets', () => {
    const checks = tableChecks(missing, { ...ctx, import: true });
    expect(byId(checks, 'table.exists')?.status).toBe('pass');
    expect(checks.filter((c) => c.id !== 'table.exists').every((c) => c.status === 'skipped')).toBe(true);
  });
  it('refuse a table that exists, naming both ways on', () => {
    const [exists] = tableChecks(present, { ...ctx, import: true });
    expect(exists?.status).toBe('fail');
    expect(exists?.code).toBe('TABLE_EXISTS');
    expect(exists?.hint).toContain('new table');
    expect(exists?.hint).toContain('leave out --import');
  });
  it('accept the table a resumed import made', () => {
    expect(
      byId(tableChecks(present, { ...ctx, import: true, importResumed: true }), 'table.exists')?.status,
    ).toBe('pass');
  });
  it('point a plain submit on a missing table at --import', () => {
    const [exists] = tableChecks(missing, ctx);
    expect(exists?.code).toBe('TABLE_NOT_FOUND');
    expect(exists?.hint).toContain('--import');
  });
});
