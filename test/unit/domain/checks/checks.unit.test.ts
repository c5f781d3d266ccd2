/** The pure checks of the archive, the table, the application and the role, from the facts the adapters return. */
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { archiveChecks, classifyTop, isReadableFile } from '../../../../src/domain/checks/archive.js';
import {
  applicationChecks,
  quotaCheck,
  releaseCheck,
  type ApplicationFacts,
} from '../../../../src/domain/checks/emr.js';
import { evaluateTrustPolicy, permissionsCheck, trustCheck } from '../../../../src/domain/checks/role.js';
import { tableChecks, type TableFacts } from '../../../../src/domain/checks/table.js';
import { checksRefuse, countChecks, sortChecks, type Check } from '../../../../src/domain/checks.js';
import { resolveEmrSizing } from '../../../../src/domain/emr-sizing.js';

const status = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.status]));

describe('archive checks', () => {
  const top = classifyTop(
    's3://b/a/',
    ['run=2017-01-01-00-00-00', 'run=2017-02-01-00-00-00', 'run=2017-13-01-00-00-00', 'tmp'],
    ['notes.txt'],
  );
  it('reports runs, selection, ignored entries and objects', () => {
    const checks = archiveChecks(top, {}, { objects: 3, bytes: 2_500_000, skipped: 1 });
    expect(status(checks)).toEqual({
      'archive.runs': 'pass',
      'archive.other-entries': 'warn',
      'archive.selection': 'pass',
      'archive.objects': 'pass',
    });
    expect(checks[0]?.message).toContain('2 run folders');
    expect(checks[0]?.message).toContain('2017-01-01-00-00-00 .. 2017-02-01-00-00-00');
    expect(checks.find((c) => c.id === 'archive.other-entries')?.message).toContain(
      'notes.txt, run=2017-13-01-00-00-00/, tmp/',
    );
    expect(checks.find((c) => c.id === 'archive.objects')?.message).toBe(
      '3 files, 2.5 MB to read in the selected runs (1 empty or marker files skipped)',
    );
  });
  it('says which runs exist when the selection matches none', () => {
    const since = DateTime.fromISO('2018-01-01T00:00:00Z', { zone: 'utc' });
    const checks = archiveChecks(top, { since }, undefined);
    const selection = checks.find((c) => c.id === 'archive.selection');
    expect(selection?.status).toBe('fail');
    expect(selection?.message).toContain('from 2018-01-01-00-00-00');
    expect(selection?.message).toContain('2017-01-01-00-00-00, 2017-02-01-00-00-00');
    expect(checks.find((c) => c.id === 'archive.objects')?.status).toBe('skipped');
  });
  it('fails an archive without runs, naming what is there, and a selection without files', () => {
    const none = archiveChecks(classifyTop('file:///x/', ['configs'], []), {}, undefined);
    expect(none[0]).toMatchObject({ status: 'fail', code: 'ARCHIVE_NO_RUNS' });
    expect(none[0]?.message).toContain('found: configs/');
    expect(archiveChecks(classifyTop('file:///x/', [], []), {}, undefined)[0]?.code).toBe(
      'ARCHIVE_NOT_FOUND',
    );
    const empty = archiveChecks(top, {}, { objects: 0, bytes: 0, skipped: 2 });
    expect(empty.find((c) => c.id === 'archive.objects')).toMatchObject({
      status: 'fail',
      code: 'ARCHIVE_NO_FILES',
    });
  });
  it("follows the job's rule for what is read", () => {
    expect(isReadableFile('part-00000.gz', 10)).toBe(true);
    expect(isReadableFile('sub/part-1', 10)).toBe(true);
    expect(isReadableFile('_SUCCESS', 0)).toBe(false);
    expect(isReadableFile('_temporary/part-1', 10)).toBe(false);
    expect(isReadableFile('.part-1.crc', 10)).toBe(false);
    expect(isReadableFile('part-1', 0)).toBe(false);
  });
});

describe('table checks', () => {
  const ok: TableFacts = {
    exists: true,
    status: 'ACTIVE',
    keySchemaOk: true,
    billingMode: 'PROVISIONED',
    provisionedWcu: 100,
    ttl: 'ENABLED',
    ttlAttribute: 'ttl',
  };
  const ctx = { table: 'manifest', region: 'us-east-1', writeExpired: false };
  it('passes a ready table and gives the default rate', () => {
    const checks = tableChecks(ok, ctx);
    expect(countChecks(checks)).toMatchObject({ pass: 5, warn: 0, fail: 0 });
    expect(checks.find((c) => c.id === 'table.capacity')?.message).toBe(
      'provisioned, 100 WCU: the job writes at 80 WCU/s by default',
    );
  });
  it('fails a missing table, a wrong key schema, a table not ACTIVE', () => {
    expect(status(tableChecks({ exists: false, keySchemaOk: false, ttl: 'UNKNOWN' }, ctx))).toEqual({
      'table.exists': 'fail',
      'table.status': 'skipped',
      'table.key-schema': 'skipped',
      'table.capacity': 'skipped',
      'table.ttl': 'skipped',
    });
    expect(status(tableChecks({ ...ok, keySchemaOk: false, status: 'CREATING' }, ctx))).toMatchObject({
      'table.status': 'fail',
      'table.key-schema': 'fail',
    });
  });
  it('warns about a --write-rate above the capacity and about TTL that will not delete', () => {
    const on = tableChecks(
      {
        ...ok,
        billingMode: 'PAY_PER_REQUEST',
        provisionedWcu: undefined,
        onDemandMaxWriteRequestUnits: 500,
        ttl: 'DISABLED',
      },
      { ...ctx, writeRate: 800 },
    );
    expect(status(on)).toMatchObject({ 'table.capacity': 'warn', 'table.ttl': 'warn' });
    expect(on.find((c) => c.id === 'table.capacity')?.hint).toContain('at most 500');
    // On demand without a maximum of its own: DynamoDB's default per-table limit, 40,000 WCU/s.
    const onDemand = { ...ok, billingMode: 'PAY_PER_REQUEST' as const, provisionedWcu: undefined };
    const absurd = tableChecks(onDemand, { ...ctx, writeRate: 10_000_000 });
    expect(status(absurd)).toMatchObject({ 'table.capacity': 'warn' });
    expect(absurd.find((c) => c.id === 'table.capacity')?.hint).toContain('40,000');
    expect(status(tableChecks(onDemand, { ...ctx, writeRate: 40_000 }))).toMatchObject({
      'table.capacity': 'pass',
    });
    expect(
      tableChecks({ ...ok, ttlAttribute: 'expiresAt' }, ctx).find((c) => c.id === 'table.ttl')?.message,
    ).toContain('expiresAt, not ttl');
    expect(tableChecks({ ...ok, ttl: 'UNKNOWN' }, ctx).find((c) => c.id === 'table.ttl')?.message).toContain(
      'cannot be read',
    );
  });
});

describe('EMR Serverless checks', () => {
  const sizing = resolveEmrSizing({});
  const app: ApplicationFacts = {
    id: '00fabcdef1234567',
    state: 'CREATED',
    type: 'Spark',
    releaseLabel: 'emr-7.5.0',
    autoStartEnabled: true,
    subnetIds: [],
  };
  if (!sizing.ok) throw new Error('default sizing');
  it('passes an emr-7 Spark application that can take the job', () => {
    expect(countChecks(applicationChecks(app, sizing.sizing))).toMatchObject({ fail: 0, warn: 0 });
  });
  it('refuses emr-spark-8 with the Scala 2.13 / Spark 4 reason, and emr-6', () => {
    expect(releaseCheck('emr-spark-8.0.0')).toMatchObject({ status: 'pass' });
    expect(releaseCheck('emr-spark-8.0.0').message).toMatch(/Spark 4\.0 \/ Scala 2\.13/);
    expect(releaseCheck('emr-6.15.0')).toMatchObject({ status: 'fail', code: 'RELEASE_LABEL' });
    expect(releaseCheck('emr-6.15.0').message).toContain('Java 17');
    expect(releaseCheck('emr-7.13.0')).toMatchObject({ status: 'pass' });
    // --spark and --jar against the release.
    expect(releaseCheck('emr-7.13.0', { spark: '4.0' })).toMatchObject({
      status: 'fail',
      code: 'SPARK_FAMILY_MISMATCH',
    });
    const jar4 = { family: '4.0' as const, built: 'Spark 4.0.2 / Scala 2.13' };
    expect(releaseCheck('emr-spark-8.0.0', { jar: jar4 })).toMatchObject({ status: 'pass' });
    const wrong = releaseCheck('emr-7.13.0', { jar: jar4 });
    expect(wrong).toMatchObject({ status: 'fail', code: 'RELEASE_LABEL' });
    expect(wrong.message).toMatch(/built for Spark 4\.0\.2 \/ Scala 2\.13, but emr-7\.13\.0 runs Spark 3\.5/);
    expect(wrong.hint).toMatch(/Leave out --jar/);
  });
  it('fails a stopped application without auto-start, a Hive one, too small a maximum capacity', () => {
    const checks = applicationChecks(
      {
        ...app,
        state: 'STOPPED',
        autoStartEnabled: false,
        type: 'Hive',
        maximumCapacity: { cpu: '8 vCPU', memory: '100 GB' },
        subnetIds: ['subnet-1'],
      },
      sizing.sizing,
    );
    expect(status(checks)).toMatchObject({
      'emr.application': 'fail',
      'emr.state': 'fail',
      'emr.capacity': 'fail',
      'emr.network': 'warn',
    });
    expect(checks.find((c) => c.id === 'emr.capacity')?.message).toContain('14 vCPU > 8');
  });
  it('checks the vCPU quota', () => {
    expect(quotaCheck({ value: 16, applied: false }, sizing.sizing, 'us-east-1').status).toBe('pass');
    const over = quotaCheck({ value: 12, applied: true }, sizing.sizing, 'us-east-1');
    expect(over.status).toBe('fail');
    expect(over.hint).toContain('L-D05C8A75');
  });
});

describe('execution role checks', () => {
  const ctx = {
    sourceAccount: '123456789012',
    sourceArn: 'arn:aws:emr-serverless:us-east-1:123456789012:/applications/app1',
  };
  const allow = (extra: object = {}) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'emr-serverless.amazonaws.com' },
        Action: 'sts:AssumeRole',
        ...extra,
      },
    ],
  });
  it('evaluates the trust policy for EMR Serverless and this application', () => {
    expect(evaluateTrustPolicy(allow(), ctx).admits).toBe(true);
    expect(
      evaluateTrustPolicy(
        allow({
          Condition: {
            ArnLike: { 'aws:SourceArn': 'arn:aws:emr-serverless:us-east-1:123456789012:/applications/*' },
          },
        }),
        ctx,
      ).admits,
    ).toBe(true);
    expect(
      evaluateTrustPolicy(
        allow({ Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } } }),
        ctx,
      ).admits,
    ).toBe(false);
    expect(
      evaluateTrustPolicy(
        {
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        ctx,
      ).admits,
    ).toBe(false);
    expect(
      trustCheck('arn:role', allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }), ctx).status,
    ).toBe('warn');
  });
  it('lists every simulated request that was denied', () => {
    const check = permissionsCheck('arn:role', [
      {
        request: { action: 's3:GetObject', resource: 'arn:aws:s3:::b/a/x', purpose: 'read the archive' },
        decision: 'allowed',
      },
      {
        request: {
          action: 'dynamodb:PutItem',
          resource: 'arn:aws:dynamodb:us-east-1:1:table/t',
          purpose: 'write manifest items',
        },
        decision: 'implicitDeny',
      },
    ]);
    expect(check.status).toBe('fail');
    expect(check.message).toContain(
      'dynamodb:PutItem on arn:aws:dynamodb:us-east-1:1:table/t to write manifest items',
    );
    expect(check.message).not.toContain('s3:GetObject');
  });
});

describe('check lists', () => {
  it('sort by group and refuse on a failure, or with --strict on a warning', () => {
    const checks: Check[] = [
      { id: 'table.ttl', group: 'table', status: 'warn', message: 'w' },
      { id: 'inputs.resolver', group: 'inputs', status: 'pass', message: 'p' },
    ];
    expect(sortChecks(checks).map((c) => c.id)).toEqual(['inputs.resolver', 'table.ttl']);
    expect(checksRefuse(checks, false)).toBe(false);
    expect(checksRefuse(checks, true)).toBe(true);
  });
});
