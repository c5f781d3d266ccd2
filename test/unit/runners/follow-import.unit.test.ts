import { describe, expect, it } from 'vitest';
import type { ImportView } from '../../../src/aws/dynamodb-import.js';
import { UserError } from '../../../src/domain/errors.js';
import {
  followImport,
  IMPORT_FOLLOW_INTERVAL_MS,
  MAX_UNREADABLE_ANSWERS,
  NOT_FOUND_GRACE_LOOKS,
} from '../../../src/runners/follow-import.js';

const ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/manifest/import/0123';

function view(status: string, over: Partial<ImportView> = {}): ImportView {
  return {
    importArn: ARN,
    status,
    final: ['COMPLETED', 'CANCELLED', 'FAILED'].includes(status),
    tableArn: null,
    processedSizeBytes: 0,
    processedItemCount: 0,
    importedItemCount: 0,
    errorCount: 0,
    cloudWatchLogGroupArn: null,
    failureCode: null,
    failureMessage: null,
    startTime: null,
    endTime: null,
    ...over,
  };
}

const notFound = (): UserError =>
  new UserError(`DynamoDB knows no import ${ARN}`, { hint: 'h', code: 'IMPORT_NOT_FOUND' });
// What the adapter makes of moto's HTTP 500 HTML page for an unknown ARN: its cause is a 5xx, so
// by status alone it looks transient.
const unreadable = (): UserError =>
  new UserError('http://127.0.0.1:1 does not answer like DynamoDB (HTTP 500, not a DynamoDB response)', {
    hint: 'h',
    code: 'DYNAMODB_ENDPOINT',
    cause: Object.assign(new SyntaxError('Unexpected token <'), { $metadata: { httpStatusCode: 500 } }),
  });
const dropped = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

/** A describeImport that gives these answers in turn, counting its calls. */
function client(answers: (ImportView | Error)[]) {
  const c = {
    calls: 0,
    describeImport(arn: string): Promise<ImportView> {
      expect(arn).toBe(ARN);
      c.calls++;
      const a = answers.shift();
      if (a === undefined) throw new Error('asked once too often');
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
  return c;
}

const noWait = { wait: () => Promise.resolve() };

describe('followImport', () => {
  it('looks every 30 s by default until the import ends, telling every look', async () => {
    const c = client([view('IN_PROGRESS'), view('IN_PROGRESS'), view('COMPLETED', { importedItemCount: 3 })]);
    const waits: number[] = [];
    const seen: string[] = [];
    const last = await followImport(c, ARN, {
      onUpdate: (v) => seen.push(v.status),
      wait: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect(last).toMatchObject({ status: 'COMPLETED', final: true, importedItemCount: 3 });
    expect(seen).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'COMPLETED']);
    expect(waits).toEqual([IMPORT_FOLLOW_INTERVAL_MS, IMPORT_FOLLOW_INTERVAL_MS]);
  });

  it('ends on FAILED and CANCELLED too, and goes on through CANCELLING and a dropped connection', async () => {
    const retries: number[] = [];
    const c = client([view('CANCELLING'), dropped(), view('CANCELLED')]);
    const last = await followImport(c, ARN, {
      ...noWait,
      intervalMs: 10,
      onRetry: (_, ms) => retries.push(ms),
    });
    expect(last.status).toBe('CANCELLED');
    expect(retries).toEqual([20]);
    expect(
      (await followImport(client([view('FAILED', { failureCode: 'S3NoSuchBucket' })]), ARN, noWait))
        .failureCode,
    ).toBe('S3NoSuchBucket');
  });

  it('believes "not found" at once for an import it did not just start', async () => {
    const c = client([notFound(), view('COMPLETED')]);
    await expect(followImport(c, ARN, noWait)).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    expect(c.calls).toBe(1);
  });

  it('gives an import it just started a few looks to show up, no more', async () => {
    const late = client([notFound(), notFound(), view('COMPLETED')]);
    expect((await followImport(late, ARN, { ...noWait, startedHere: true })).status).toBe('COMPLETED');

    const never = client(Array.from({ length: 10 }, notFound));
    await expect(followImport(never, ARN, { ...noWait, startedHere: true })).rejects.toMatchObject({
      code: 'IMPORT_NOT_FOUND',
    });
    expect(never.calls).toBe(NOT_FOUND_GRACE_LOOKS + 1);
  });

  it('stops after a few answers that are not DynamoDB (moto: HTTP 500 for an unknown ARN) instead of spinning for the outage window', async () => {
    const c = client(Array.from({ length: 20 }, unreadable));
    await expect(followImport(c, ARN, noWait)).rejects.toMatchObject({ code: 'DYNAMODB_ENDPOINT' });
    expect(c.calls).toBe(MAX_UNREADABLE_ANSWERS + 1);
  });

  it('returns the last view, not final, when the caller aborts or the timeout passes', async () => {
    const abort = new AbortController();
    const c = client([view('IN_PROGRESS'), view('IN_PROGRESS'), view('COMPLETED')]);
    const last = await followImport(c, ARN, {
      signal: abort.signal,
      onUpdate: () => abort.abort(),
      wait: () => Promise.reject(new Error('must not wait')),
    });
    expect([last.status, last.final, c.calls]).toEqual(['IN_PROGRESS', false, 1]);

    const slow = client(Array.from({ length: 1000 }, () => view('IN_PROGRESS')));
    const timedOut = await followImport(slow, ARN, { intervalMs: 5, timeoutMs: 50 });
    expect(timedOut.final).toBe(false);
    expect(slow.calls).toBeGreaterThan(1);
    expect(slow.calls).toBeLessThan(100);
  });
});
