import { describe, expect, it } from 'vitest';
import type { ImportView } from '../../../src/aws/dynamodb-import.js';
import { EXIT_CODES } from '../../../src/domain/errors.js';
import type { RunSnapshot } from '../../../src/runners/runner.js';
import { importExitCode, type RunImportState } from '../../../src/services/run-import.js';
import { importStagingOf } from '../../../src/services/submit-request.js';

const job = (state: string): RunSnapshot => ({ state, final: true }) as unknown as RunSnapshot;
const view = (status: string, final: boolean): ImportView =>
  ({ importArn: 'arn:x', status, final }) as unknown as ImportView;
const state = (status: string, v: ImportView | null, ttlEnabled = true): RunImportState => ({
  folder: 's3://ops/p/runs/r/import/',
  importArn: v === null ? null : 'arn:x',
  status,
  view: v,
  ttlEnabled,
  next: null,
});

describe('the exit code of an import run', () => {
  it('is 0 only when the job succeeded, the import completed and TTL is on', () => {
    expect(importExitCode(job('SUCCESS'), state('COMPLETED', view('COMPLETED', true)), 0)).toBe(
      EXIT_CODES.ok,
    );
    expect(importExitCode(job('SUCCESS'), state('COMPLETED', view('COMPLETED', true), false), 0)).toBe(
      EXIT_CODES.jobFailed,
    );
    expect(importExitCode(job('SUCCESS'), state('IN_PROGRESS', view('IN_PROGRESS', false)), 0)).toBe(
      EXIT_CODES.notFinal,
    );
    expect(importExitCode(job('SUCCESS'), state('FAILED', view('FAILED', true)), 0)).toBe(
      EXIT_CODES.jobFailed,
    );
    expect(importExitCode(job('SUCCESS'), state('NOT_STARTED', null), 0)).toBe(EXIT_CODES.jobFailed);
  });
  it("is the job's own while the job has not succeeded, and for runs without an import", () => {
    expect(importExitCode(job('RUNNING'), state('NOT_STARTED', null), EXIT_CODES.notFinal)).toBe(
      EXIT_CODES.notFinal,
    );
    expect(importExitCode(job('SUCCESS'), null, EXIT_CODES.ok)).toBe(EXIT_CODES.ok);
  });
});

describe('the staging root of an import folder', () => {
  it('is what comes before runs/<run>/import/', () => {
    expect(importStagingOf('s3://ops/populator/runs/populator-abc/import/')).toBe('s3://ops/populator/');
    expect(importStagingOf('s3://ops/runs/r/import/')).toBe('s3://ops/');
  });
});
