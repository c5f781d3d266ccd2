import { describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, pollUntilFinal } from '../../../src/runners/follow.js';
import type { RunSnapshot } from '../../../src/runners/runner.js';

function snap(state: string, final = false): RunSnapshot {
  return {
    runName: 'r',
    runner: 'emr-serverless',
    state,
    final,
    stateDetails: null,
    createdAt: null,
    startedAt: null,
    endedAt: null,
    queuedSeconds: null,
    progress: null,
    summary: null,
    billed: null,
    dashboardUrl: null,
    logs: { stdout: null, stderr: null },
    applicationId: 'a',
    jobRunId: 'j',
  };
}

const throttled = (): Error =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 429 },
  });

describe('pollUntilFinal', () => {
  it('looks every interval until a final state, QUEUED and unknown states included', async () => {
    const states = [
      snap('SUBMITTED'),
      snap('QUEUED'),
      snap('SOMETHING_NEW'),
      snap('RUNNING'),
      snap('SUCCESS', true),
    ];
    const waits: number[] = [];
    const seen: string[] = [];
    const last = await pollUntilFinal(() => Promise.resolve(states.shift() as RunSnapshot), {
      intervalMs: 10_000,
      onSnapshot: (s) => seen.push(s.state),
      wait: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect(last.state).toBe('SUCCESS');
    expect(seen).toEqual(['SUBMITTED', 'QUEUED', 'SOMETHING_NEW', 'RUNNING', 'SUCCESS']);
    expect(waits).toEqual([10_000, 10_000, 10_000, 10_000]);
  });

  it('backs off on throttling, doubling up to a minute, and returns to the interval after a good look', async () => {
    const answers: (RunSnapshot | Error)[] = [
      snap('RUNNING'),
      throttled(),
      throttled(),
      throttled(),
      throttled(),
      snap('RUNNING'),
      snap('FAILED', true),
    ];
    const waits: number[] = [];
    const last = await pollUntilFinal(
      () => {
        const a = answers.shift();
        return a instanceof Error ? Promise.reject(a) : Promise.resolve(a as RunSnapshot);
      },
      {
        intervalMs: 10_000,
        wait: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    expect(last.state).toBe('FAILED');
    expect(waits).toEqual([10_000, 20_000, 40_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, 10_000]);
  });

  it('stops at once on abort and returns the last look; other errors end it', async () => {
    const abort = new AbortController();
    const last = await pollUntilFinal(
      () => {
        abort.abort();
        return Promise.resolve(snap('RUNNING'));
      },
      { signal: abort.signal, wait: () => Promise.reject(new Error('must not wait')) },
    );
    expect(last.state).toBe('RUNNING');
    await expect(pollUntilFinal(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('goes on through transient errors (a dropped connection, a 5xx), saying so, and gives up after a long outage', async () => {
    const dropped = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const unavailable = (): Error =>
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      });
    // A mapped error keeps the SDK's as its cause.
    const mapped = (): Error => Object.assign(new Error('cannot reach EMR Serverless'), { cause: dropped() });
    const answers: (RunSnapshot | Error)[] = [
      snap('RUNNING'),
      dropped(),
      unavailable(),
      mapped(),
      snap('SUCCESS', true),
    ];
    const retries: number[] = [];
    const last = await pollUntilFinal(
      () => {
        const a = answers.shift();
        return a instanceof Error ? Promise.reject(a) : Promise.resolve(a as RunSnapshot);
      },
      { intervalMs: 10_000, wait: () => Promise.resolve(), onRetry: (_, ms) => retries.push(ms) },
    );
    expect(last.state).toBe('SUCCESS');
    expect(retries).toEqual([20_000, 40_000, MAX_BACKOFF_MS]);

    // An outage longer than allowed ends it with the error; the clock is the loop's own.
    let clock = 0;
    await expect(
      pollUntilFinal(() => Promise.reject(dropped()), {
        maxOutageMs: 60_000,
        now: () => clock,
        wait: (ms) => {
          clock += ms;
          return Promise.resolve();
        },
      }),
    ).rejects.toThrow('socket hang up');
  });

  it("follows the caller's verdict on an error: retries one the rule would end, ends one the rule would retry", async () => {
    const gone = (): Error => new Error('not there yet');
    const unavailable = (): Error =>
      Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } });
    const answers: (RunSnapshot | Error)[] = [gone(), gone(), snap('SUCCESS', true)];
    const seen: number[] = [];
    const last = await pollUntilFinal(
      () => {
        const a = answers.shift();
        return a instanceof Error ? Promise.reject(a) : Promise.resolve(a as RunSnapshot);
      },
      {
        wait: () => Promise.resolve(),
        classifyError: (e, failures) => {
          seen.push(failures);
          return e instanceof Error && e.message === 'not there yet' ? 'retry' : undefined;
        },
      },
    );
    expect(last.state).toBe('SUCCESS');
    expect(seen).toEqual([1, 2]);

    let looks = 0;
    await expect(
      pollUntilFinal(
        () => {
          looks++;
          return Promise.reject(unavailable());
        },
        {
          wait: () => Promise.resolve(),
          classifyError: (_, failures) => (failures >= 2 ? 'fail' : undefined),
        },
      ),
    ).rejects.toThrow('Service Unavailable');
    expect(looks).toBe(2);
  });
});
