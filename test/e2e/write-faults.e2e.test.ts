/**
 * The write path under faults (DESIGN 3.5): the real job on Spark local[2] writes through the fault
 * proxy, which throttles at a cap far below --write-rate, answers 5% of puts with a 5xx and drops
 * some connections, before or after dynalite has written the item. Nothing may be lost: the table
 * holds exactly the prescribed items, the counters add up, and every throttle is reported.
 */
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { createRandom } from '../../src/domain/random.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submitLocal } from '../../src/services/submit.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const TABLE = 'manifest-faults';
const CAP_WCU = 150;
const WRITE_RATE = 2000;

let stack: LocalStack;
let proxy: FaultProxy;
let archive: DemoArchiveManifest;

beforeAll(async () => {
  stack = await startLocalStack();
  archive = await writeDemoArchive({
    dir: path.join(stack.dir, 'archive'),
    seed: 11,
    events: 1500,
    firstRun: NOW.minus({ days: 3 }),
  });
  await stack.dynamo.createManifestTable(TABLE, { billingMode: 'PAY_PER_REQUEST' });
  const random = createRandom(2024);
  proxy = await startFaultProxy({
    upstream: stack.dynalite.endpoint,
    random: () => random.next(),
    latencyMs: { min: 2, max: 8 },
    wcuPerSecond: CAP_WCU,
    burstSeconds: 0.2,
    errorRate: 0.05,
    dropRate: 0.02,
    faultPhase: 'either',
    // DescribeTable is left alone: the job checks the table once, before anything is read.
    faultOperations: ['PutItem'],
  });
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await stack?.stop();
});

describe('the write path under throttling, 5xx and dropped connections', () => {
  it('loses no item, reports every throttle, and its counters add up', async () => {
    const expected = defaultManifest(archive.runs, NOW);
    const result = await submitLocal(
      stack.submitOptions(
        { archive: archive.dir, table: TABLE, staging: 'staging', now: NOW },
        {
          writeRate: WRITE_RATE,
          dynamodbEndpoint: proxy.endpoint,
          // Two executor JVMs sharing the budget, as on a cluster: each paces its own share.
          emr: { sizing: { executors: 2, executorMemory: '768m' } },
        },
      ),
    );
    const stats = proxy.stats();
    const puts = stats.byOperation.PutItem!;
    const summary = result.summary;

    expect(summary.writerExecutors).toBe(2);
    // The faults really happened.
    expect(puts.throttled).toBeGreaterThan(0);
    expect(puts.failed).toBeGreaterThan(0);
    expect(puts.dropped).toBeGreaterThan(0);
    expect(puts.lostAnswers).toBeGreaterThan(0);

    // Zero items lost, nothing extra, nothing changed.
    const items = (await stack.dynamo.scanItems(TABLE)).sort(compareKeys);
    expect(items.length).toBe(expected.items.length);
    expect(items).toEqual(expected.items);

    // Counters: a put whose answer was lost after dynalite wrote it is found on its retry, with the
    // same etlTime, and counts as alreadyPresent; everything else is exactly as prescribed.
    const c = summary.counters;
    expect(countersAddUp(c)).toBe(true);
    expect({ ...c, written: 0, alreadyPresent: 0 }).toEqual({
      ...expected.counters,
      written: 0,
      alreadyPresent: 0,
    });
    expect(c.written + c.alreadyPresent).toBe(expected.counters.written);
    expect(c.alreadyPresent).toBeLessThanOrEqual(puts.lostAnswers);
    expect(c.conflicting).toBe(0);

    // Every throttle the proxy answered is a retry the job reports; every 5xx and drop is a retry too.
    expect(summary.throttledRetries).toBeGreaterThan(0);
    expect(summary.throttledRetries).toBe(puts.throttled);
    // How long the slowest item waited through its retries is reported.
    expect(summary.longestWaitSeconds).toBeGreaterThan(0);
    expect(summary.otherRetries).toBeGreaterThanOrEqual(puts.failed + puts.dropped);
    // dynalite accepted each item once, plus once more for each repeat after a lost answer.
    expect(stats.acceptedPuts).toBe(expected.items.length + puts.lostAnswers);
  }, 120_000);
});
