/**
 * A DynamoDB stand-in for the writer-ceiling benchmark (bench/writer-ceiling.ts): a small HTTP
 * server speaking the JSON 1.0 protocol the SDKs use, which answers every PutItem with `{}` (the
 * item was not there: "written") after a fixed latency, never throttles and never fails, so the
 * job's writer is the only thing that can limit the rate. DescribeTable describes an on-demand
 * manifest table of any name. Not dynalite: dynalite stores items (LevelDB, about 1,000-1,500
 * puts/s on these machines) and would be the bottleneck long before the job.
 *
 * It remembers each key it was sent (to check that the job sent every key once) and serves its
 * counters at `GET /__stats`: puts, distinct keys, the most puts in flight at once, its own CPU
 * time and its event loop's delay (a saturated loop would show here, long before it shows as a
 * slower rate).
 *
 * Run as its own process (so that it can be pinned to a core of its own):
 *   node --import tsx bench/dynamodb-standin.ts [--latency-ms 10]
 * It prints `{"port": N}` on stdout once it listens on 127.0.0.1.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

/** What `GET /__stats` returns. */
export interface StandinStats {
  puts: number;
  distinctKeys: number;
  describes: number;
  otherRequests: number;
  maxInFlight: number;
  /** User + system CPU seconds of the stand-in's process since it started. */
  cpuSeconds: number;
  /** Event loop delay since the last `POST /__reset`, milliseconds. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const { values } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '10' } } });
const latencyMs = Number(values['latency-ms']);

const keys = new Set<string>();
let puts = 0;
let describes = 0;
let otherRequests = 0;
let inFlight = 0;
let maxInFlight = 0;
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

const JSON_TYPE = 'application/x-amz-json-1.0';

function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': 'standin',
    ...headers,
  });
  res.end(text);
}

function describeTable(name: string): unknown {
  return {
    Table: {
      TableName: name,
      TableStatus: 'ACTIVE',
      KeySchema: [
        { AttributeName: 'eventId', KeyType: 'HASH' },
        { AttributeName: 'fingerprint', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'eventId', AttributeType: 'S' },
        { AttributeName: 'fingerprint', AttributeType: 'S' },
      ],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
      ItemCount: 0,
      TableSizeBytes: 0,
    },
  };
}

function stats(): StandinStats {
  const cpu = process.cpuUsage();
  return {
    puts,
    distinctKeys: keys.size,
    describes,
    otherRequests,
    maxInFlight,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.url === '/__stats') return answer(res, 200, stats());
  if (req.url === '/__reset') {
    keys.clear();
    puts = 0;
    maxInFlight = inFlight;
    loop.reset();
    return answer(res, 200, {});
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  const op = target.slice(target.indexOf('.') + 1);
  if (op === 'PutItem') {
    puts++;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    const item = (JSON.parse(body) as { Item: Record<string, { S?: string }> }).Item;
    keys.add(`${item.eventId?.S ?? ''}\t${item.fingerprint?.S ?? ''}`);
    setTimeout(() => {
      inFlight--;
      answer(res, 200, {});
    }, latencyMs);
    return;
  }
  if (op === 'DescribeTable') {
    describes++;
    return answer(res, 200, describeTable((JSON.parse(body) as { TableName: string }).TableName));
  }
  otherRequests++;
  answer(res, 400, {
    __type: 'com.amazon.coral.service#UnknownOperationException',
    message: `not in the stand-in: ${op}`,
  });
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
});
// The SDK keeps its connections open between puts: never close them under it mid-run.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
