import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { parseArchiveLocation } from '../../../src/domain/archive.js';
import { JOB_ARGS } from '../../../src/domain/contract.js';
import { UserError, type ValidationIssue } from '../../../src/domain/errors.js';
import { staticCredentials } from '../../../src/domain/credentials.js';
import { parseTags } from '../../../src/domain/checks/submit-flags.js';
import { chooseRunner } from '../../../src/services/submit-inputs.js';
import { jobArguments } from '../../../src/services/submit.js';

describe('chooseRunner', () => {
  it('is EMR Serverless when an application is given, the one asked for otherwise', () => {
    expect(chooseRunner(undefined, { applicationId: 'app' })).toBe('emr-serverless');
    expect(chooseRunner(undefined, { createApplication: true })).toBe('emr-serverless');
    expect(chooseRunner('local', { applicationId: 'app' })).toBe('local');
  });

  it('names the missing flag, and --runner local, when there is neither', () => {
    const e = (() => {
      try {
        chooseRunner(undefined, {});
      } catch (x) {
        return x;
      }
      return undefined;
    })() as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('--application-id is missing');
    expect(e.hint).toContain('--create-application');
    expect(e.hint).toContain('--runner local');
  });
});

describe('parseTags', () => {
  it('reads KEY=VALUE (a value may hold =) and reports every bad one', () => {
    const issues: ValidationIssue[] = [];
    expect(parseTags(['team=data', 'expr=a=b', 'empty='], issues)).toEqual({
      team: 'data',
      expr: 'a=b',
      empty: '',
    });
    expect(issues).toEqual([]);
    parseTags(['novalue', 'bad key!=x'], issues);
    expect(issues.map((i) => i.source)).toEqual(['--tag', '--tag']);
  });
});

describe('jobArguments', () => {
  const storage = {
    schemaVersion: '1-0-1' as const,
    name: 'm',
    table: 'manifest',
    region: 'eu-west-1',
    purpose: 'DUPLICATE_TRACKING',
    credentials: staticCredentials('AKIAEXAMPLEKEY', 'the-secret-key'),
  };
  const checked = {
    archive: parseArchiveLocation('s3://a/enriched/', '/'),
    storage,
    region: 'eu-west-1',
    dynamodbEndpoint: undefined,
    range: { since: DateTime.fromISO('2021-01-01T00:00:00Z', { zone: 'utc' }) },
    rate: { rate: 500, source: 'flag' as const },
    skipExpired: true,
    import: undefined,
  };
  const opts = { etlTime: 'run' as const, ttlSeconds: 100, maxInFlight: undefined };

  it('never carries a secret, and on EMR no clock (the request must not change between two submits)', () => {
    const emr = jobArguments(checked, opts, 's3://b/runs/r', undefined);
    expect(emr.join(' ')).not.toContain('AKIAEXAMPLEKEY');
    expect(emr.join(' ')).not.toContain('the-secret-key');
    expect(emr).not.toContain(JOB_ARGS.now);
    expect(emr).toEqual([
      '--archive',
      's3://a/enriched/',
      '--output',
      's3://b/runs/r',
      '--table',
      'manifest',
      '--region',
      'eu-west-1',
      '--since',
      '2021-01-01-00-00-00',
      '--etl-time',
      'run',
      '--ttl-seconds',
      '100',
      '--write-rate',
      '500',
      '--skip-expired',
      'true',
    ]);
    const local = jobArguments(checked, opts, '/tmp/r', DateTime.fromSeconds(1000));
    expect(local.slice(-2)).toEqual([JOB_ARGS.now, '1000']);
  });

  it('--import: the files go to <staging>runs/<run>/import/ and no write rate is passed', () => {
    const imported = {
      ...checked,
      rate: { rate: 0, source: 'import' as const },
      import: { billing: { mode: 'on-demand' as const }, staging: 's3://ops/populator/' },
    };
    const args = jobArguments(
      imported,
      { ...opts, maxInFlight: 8 },
      '/home/u/.populator/runs/populator-abc',
      undefined,
    );
    expect(args).not.toContain(JOB_ARGS.writeRate);
    expect(args).not.toContain(JOB_ARGS.maxInFlight);
    const at = args.indexOf(JOB_ARGS.importTo);
    expect(args[at + 1]).toBe('s3://ops/populator/runs/populator-abc/import/');
  });
});
