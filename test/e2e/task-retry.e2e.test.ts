/**
 * A multi-hour back-fill must survive one failed task: the local runner's default master gives
 * every task several attempts (plain `local[N]` gives one). The real job on the default master
 * writes through the fault proxy, whose first PutItem fails with an error no retry of the put can
 * fix, so the task fails once; Spark runs it again and the table is exact. The archive sits in a
 * folder whose name has a space, a `#` and a non-ASCII letter, given as a file:// URI.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareKeys } from '../../src/domain/enriched.js';
import { countersAddUp } from '../../src/domain/job-report.js';
import { DEFAULT_LOCAL_MASTER } from '../../src/domain/spark-master.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { submitLocal } from '../../src/services/submit.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';

const NOW = DateTime.utc();
const TABLE = 'manifest-task-retry';
let stack: LocalStack;
let proxy: FaultProxy;
let archive: DemoArchiveManifest;

beforeAll(async () => {
  stack = await startLocalStack();
  const odd = path.join(stack.dir, 'arch ive #1 ü');
  mkdirSync(odd);
  archive = await writeDemoArchive({
    dir: path.join(odd, 'archive'),
    seed: 21,
    events: 800,
    firstRun: NOW.minus({ days: 3 }),
  });
  await stack.dynamo.createManifestTable(TABLE, { billingMode: 'PAY_PER_REQUEST' });
  proxy = await startFaultProxy({ upstream: stack.dynalite.endpoint, fatalPuts: 1 });
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await stack?.stop();
});

describe('the default local master retries a failed task', () => {
  it('writes exactly the prescribed items although one task failed once', async () => {
    const uri = pathToFileURL(archive.dir).href;
    expect(uri).toContain('%20');
    expect(uri).toContain('%23');
    const result = await submitLocal(
      stack.submitOptions(
        { archive: uri, table: TABLE, staging: 'staging', now: NOW },
        { master: DEFAULT_LOCAL_MASTER, dynamodbEndpoint: proxy.endpoint },
      ),
    );
    expect(proxy.stats().byOperation.PutItem?.fatal).toBe(1);
    const expected = defaultManifest(archive.runs, NOW);
    expect((await stack.dynamo.scanItems(TABLE)).sort(compareKeys)).toEqual(expected.items);
    const c = result.summary.counters;
    expect(countersAddUp(c)).toBe(true);
    // What the failed attempt wrote, its retry finds already there.
    expect(c.written + c.alreadyPresent).toBe(expected.counters.written);
    expect({ ...c, written: 0, alreadyPresent: 0 }).toEqual({
      ...expected.counters,
      written: 0,
      alreadyPresent: 0,
    });
  }, 300_000);
});
