/**
 * Write-path benchmark (DESIGN 5): the real job on local Spark writes a generated archive into
 * dynalite through the fault proxy (realistic latency, throttling at a WCU/s cap), in one run:
 *   A  populator's design: --write-rate = the cap, default --max-in-flight;
 *   A2 the same on two executor JVMs (local-cluster): the budget split between them by their cores;
 *   B  the original design: one synchronous put at a time per task (--max-in-flight 1), no pacing;
 *   C  both again without throttling: the latency-bound throughput of A vs B.
 * The sustained rate comes from the proxy's per-second series of accepted puts over the write
 * phase (Spark start-up and the read stage excluded). Every scenario checks the table against the
 * oracle: items lost must be 0.
 *
 *   npm run bench:write -- [--events 8000] [--cap 400] [--latency 8-15] [--burst 1]
 *                          [--tight-burst 0.1] [--in-flight N] [--master local[2]]
 *                          [--only A,A2,AT,B,CA,CB] [--warmup 3000] [--readme]
 *
 * --readme rewrites the figures section of bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DateTime } from 'luxon';
import { createDynamoDbClient } from '../src/aws/dynamodb.js';
import { DEFAULT_MAX_IN_FLIGHT_PER_TASK, DEFAULT_TTL_SECONDS } from '../src/domain/contract.js';
import { compareKeys, expectedManifest } from '../src/domain/enriched.js';
import { createRandom } from '../src/domain/random.js';
import { writeDemoArchive } from '../src/services/demo-archive.js';
import { submitLocal, type SubmitResult } from '../src/services/submit.js';
import { startFaultProxy, sustainedRate, type FaultSettings } from '../test/helpers/fault-proxy.js';
import { startLocalStack, TEST_KEYS, TEST_REGION } from '../test/helpers/local-stack.js';
import { updateReadme } from './common.js';

/** What "unlimited" --write-rate means here: far above anything dynalite or the proxy can take. */
const UNLIMITED_RATE = 1_000_000;

interface Scenario {
  id: 'A' | 'A2' | 'AT' | 'B' | 'CA' | 'CB';
  label: string;
  throttled: boolean;
  /** Proxy bucket size in seconds of the cap. */
  burst: number;
  writeRate: number;
  maxInFlight: number | undefined;
  /** The Spark master when not --master: A2 runs on two executor JVMs, as on a cluster. */
  master?: string;
}

interface Outcome {
  scenario: Scenario;
  sustained: number;
  /** Median of the per-second accepted puts inside the write phase (steady state). */
  median: number;
  writeSeconds: number;
  jobSeconds: number;
  throttledAnswers: number;
  otherFaults: number;
  throttledRetries: number;
  otherRetries: number;
  itemsExpected: number;
  itemsLost: number;
  itemsExtraOrChanged: number;
  counters: SubmitResult['summary']['counters'];
}

function parseLatency(s: string): FaultSettings['latencyMs'] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(s);
  if (!m) throw new Error(`--latency: expected N or MIN-MAX (ms), got ${s}`);
  return m[2] === undefined ? Number(m[1]) : { min: Number(m[1]), max: Number(m[2]) };
}

function latencyText(l: FaultSettings['latencyMs']): string {
  return typeof l === 'object' ? `${l.min}-${l.max} ms` : `${l ?? 0} ms`;
}

function keyOf(i: { eventId: string; fingerprint: string }): string {
  return `${i.eventId}\t${i.fingerprint}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '8000' },
      cap: { type: 'string', default: '400' },
      latency: { type: 'string', default: '8-15' },
      burst: { type: 'string', default: '1' },
      'tight-burst': { type: 'string', default: '0.1' },
      'in-flight': { type: 'string' },
      master: { type: 'string', default: 'local[2]' },
      only: { type: 'string', default: 'A,A2,AT,B,CA,CB' },
      warmup: { type: 'string', default: '3000' },
      readme: { type: 'boolean', default: false },
    },
  });
  const events = Number(values.events);
  const cap = Number(values.cap);
  const burstSeconds = Number(values.burst);
  const tightBurst = Number(values['tight-burst']);
  // A's --max-in-flight (default: the job's own default), to explore the window.
  const aInFlight = values['in-flight'] === undefined ? undefined : Number(values['in-flight']);
  const aWindow = aInFlight ?? DEFAULT_MAX_IN_FLIGHT_PER_TASK;
  const latencyMs = parseLatency(values.latency);
  const master = values.master;
  const only = new Set(values.only.split(',').map((s) => s.trim().toUpperCase()));

  const scenarios: Scenario[] = (
    [
      {
        id: 'A',
        label: `A: populator, --write-rate ${cap}, --max-in-flight ${aWindow}`,
        throttled: true,
        burst: burstSeconds,
        writeRate: cap,
        maxInFlight: aInFlight,
      },
      {
        id: 'A2',
        label: `A on two executor JVMs (local-cluster[2,1,1024]): the budget split between them`,
        throttled: true,
        burst: burstSeconds,
        writeRate: cap,
        maxInFlight: aInFlight,
        master: 'local-cluster[2,1,1024]',
      },
      {
        id: 'AT',
        label: `A, tight bucket (${tightBurst} s)`,
        throttled: true,
        burst: tightBurst,
        writeRate: cap,
        maxInFlight: aInFlight,
      },
      {
        id: 'B',
        label: 'B: original, --max-in-flight 1, unlimited rate',
        throttled: true,
        burst: burstSeconds,
        writeRate: UNLIMITED_RATE,
        maxInFlight: 1,
      },
      {
        id: 'CA',
        label: `C/A: populator, no throttling, unlimited rate, --max-in-flight ${aWindow}`,
        throttled: false,
        burst: burstSeconds,
        writeRate: UNLIMITED_RATE,
        maxInFlight: aInFlight,
      },
      {
        id: 'CB',
        label: 'C/B: original, no throttling, --max-in-flight 1',
        throttled: false,
        burst: burstSeconds,
        writeRate: UNLIMITED_RATE,
        maxInFlight: 1,
      },
    ] satisfies Scenario[]
  ).filter((s) => only.has(s.id));

  const now = DateTime.utc();
  const root = path.resolve('.');
  const stack = await startLocalStack();
  const proxy = await startFaultProxy({ upstream: stack.dynalite.endpoint, random: createRandom(5).next });
  const work = mkdtempSync(path.join(os.tmpdir(), 'populator-bench-'));
  const outcomes: Outcome[] = [];
  try {
    const archive = await writeDemoArchive({
      dir: path.join(work, 'archive'),
      seed: 5,
      events,
      firstRun: now.minus({ days: 3 }),
    });
    const expected = expectedManifest(archive.runs, {
      etlTime: 'run',
      ttlSeconds: DEFAULT_TTL_SECONDS,
      skipExpired: false,
      nowSeconds: Math.floor(now.toSeconds()),
    });
    console.error(
      `archive: ${archive.lineCount} lines, ${expected.items.length} unique keys; cap ${cap} WCU/s (burst ${burstSeconds} s), latency ${latencyText(latencyMs)}, ${master}, ${os.cpus().length} cores`,
    );

    await warmUp(proxy.endpoint, Number(values.warmup));

    for (const s of scenarios) {
      const table = `bench-${s.id.toLowerCase()}`;
      await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
      proxy.configure({
        latencyMs,
        wcuPerSecond: s.throttled ? cap : 0,
        burstSeconds: s.burst,
        errorRate: 0,
        dropRate: 0,
      });
      proxy.resetCounts();
      console.error(`running ${s.label} ...`);
      const t0 = performance.now();
      const result = await submitLocal(
        stack.submitOptions(
          { archive: archive.dir, table, staging: path.join(work, `staging-${s.id}`), now },
          {
            writeRate: s.writeRate,
            ...(s.maxInFlight === undefined ? {} : { maxInFlight: s.maxInFlight }),
            dynamodbEndpoint: proxy.endpoint,
            master: s.master ?? master,
            projectRoot: root,
            cwd: work,
            log: (l) => console.error(`  ${l}`),
          },
        ),
      );
      const jobSeconds = (performance.now() - t0) / 1000;
      const stats = proxy.stats();
      const puts = stats.byOperation.PutItem;
      const rate = sustainedRate(stats.series);

      const stored = (await stack.dynamo.scanItems(table)).sort(compareKeys);
      const storedByKey = new Map(stored.map((i) => [keyOf(i), i]));
      const itemsLost = expected.items.filter((i) => !storedByKey.has(keyOf(i))).length;
      const expectedByKey = new Map(expected.items.map((i) => [keyOf(i), i]));
      const itemsExtraOrChanged = stored.filter((i) => {
        const e = expectedByKey.get(keyOf(i));
        return !e || e.etlTime !== i.etlTime || e.ttl !== i.ttl;
      }).length;

      const o: Outcome = {
        scenario: s,
        sustained: rate?.perSecond ?? Number.NaN,
        median: rate
          ? median(
              stats.series
                .filter((x) => x.second > rate.first && x.second < rate.last)
                .map((x) => x.acceptedPuts),
            )
          : Number.NaN,
        writeSeconds: rate ? rate.last - rate.first + 1 : 0,
        jobSeconds,
        throttledAnswers: puts?.throttled ?? 0,
        otherFaults: (puts?.failed ?? 0) + (puts?.dropped ?? 0) + (puts?.upstreamErrors ?? 0),
        throttledRetries: result.summary.throttledRetries,
        otherRetries: result.summary.otherRetries,
        itemsExpected: expected.items.length,
        itemsLost,
        itemsExtraOrChanged,
        counters: result.summary.counters,
      };
      outcomes.push(o);
      console.error(
        `  sustained ${o.sustained.toFixed(1)} puts/s over ${rate?.seconds ?? 0} s; throttled ${o.throttledAnswers}; lost ${itemsLost}; per-second: ${stats.series.map((x) => x.acceptedPuts).join(' ')}`,
      );
      console.error(
        `  received/s: ${stats.series.map((x) => x.writesReceived).join(' ')}\n  dynalite ms: ${stats.series.map((x) => (x.acceptedWcu ? (x.upstreamMs / x.acceptedWcu).toFixed(1) : '-')).join(' ')}`,
      );
    }
  } finally {
    await proxy.stop();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }

  const date = DateTime.utc().toISODate();
  const table = renderTable(outcomes, cap);
  const setup =
    `${date}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
    `Spark ${master}, dynalite as a child process behind the fault proxy; ${outcomes[0]?.itemsExpected ?? 0} unique keys ` +
    `(${events} lines); latency ${latencyText(latencyMs)} per request; throttling at ${cap} WCU/s with a ${burstSeconds} s bucket.`;
  console.log(`\n${setup}\n\n${table}`);
  const ratio = latencyRatio(outcomes);
  if (ratio) console.log(`\n${ratio}`);

  if (values.readme) updateReadme('write-path', `${setup}\n\n${table}${ratio ? `\n\n${ratio}` : ''}`);
  if (outcomes.some((o) => o.itemsLost > 0 || o.itemsExtraOrChanged > 0)) {
    console.error('ITEMS LOST OR WRONG: see the table above');
    process.exitCode = 1;
  }
}

/**
 * Warms dynalite and the proxy up (V8's JIT) with `n` unconditional puts into a scratch table, so
 * the first seconds of the first scenario do not measure the stand-ins' own warm-up.
 */
async function warmUp(endpoint: string, n: number): Promise<void> {
  if (n <= 0) return;
  const sdk = new DynamoDBClient({ region: TEST_REGION, endpoint, credentials: TEST_KEYS, maxAttempts: 10 });
  const admin = createDynamoDbClient({ region: TEST_REGION, endpoint, credentials: TEST_KEYS });
  try {
    await admin.createManifestTable('bench-warmup', { billingMode: 'PAY_PER_REQUEST' });
    const random = createRandom(99);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          next++;
          await sdk.send(
            new PutItemCommand({
              TableName: 'bench-warmup',
              Item: {
                eventId: { S: random.uuidV4() },
                fingerprint: { S: random.hex(32) },
                etlTime: { N: '1' },
                ttl: { N: '2' },
              },
            }),
          );
        }
      }),
    );
  } finally {
    sdk.destroy();
    admin.destroy();
  }
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function renderTable(outcomes: readonly Outcome[], cap: number): string {
  const rows = [
    '| scenario | accepted puts/s (write phase) | vs cap | median second | write phase | job wall time | throttled answers | throttled retries (job) | other retries (job) | items lost |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const o of outcomes) {
    const vsCap = o.scenario.throttled ? `${((o.sustained / cap) * 100).toFixed(1)} %` : 'n/a';
    rows.push(
      `| ${o.scenario.label} | ${o.sustained.toFixed(1)} | ${vsCap} | ${o.median.toFixed(0)} | ${o.writeSeconds} s | ${o.jobSeconds.toFixed(1)} s | ${o.throttledAnswers} | ${o.throttledRetries} | ${o.otherRetries} | ${o.itemsLost}${o.itemsExtraOrChanged ? ` (+${o.itemsExtraOrChanged} wrong)` : ''} |`,
    );
  }
  return rows.join('\n');
}

function latencyRatio(outcomes: readonly Outcome[]): string | undefined {
  const a = outcomes.find((o) => o.scenario.id === 'A');
  const b = outcomes.find((o) => o.scenario.id === 'B');
  const ca = outcomes.find((o) => o.scenario.id === 'CA');
  const cb = outcomes.find((o) => o.scenario.id === 'CB');
  const lines: string[] = [];
  if (a && b) lines.push(`Under throttling, A / B = ${(a.sustained / b.sustained).toFixed(2)}x.`);
  if (ca && cb)
    lines.push(`Without throttling (latency-bound), A / B = ${(ca.sustained / cb.sustained).toFixed(2)}x.`);
  return lines.length ? lines.join(' ') : undefined;
}

await main();
