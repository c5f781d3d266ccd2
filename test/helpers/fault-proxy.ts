/**
 * A fault-injecting HTTP proxy in front of a DynamoDB endpoint (dynalite), for the tests and the
 * benchmarks (DESIGN 4, "Faults"). It listens on 127.0.0.1 and a free port and can add, per request:
 * - latency (fixed, or uniform between two bounds);
 * - throttling at a WCU/s cap: a token bucket over PutItem (1 WCU) and BatchWriteItem (1 WCU per
 *   write request in the batch); over the cap it answers exactly as DynamoDB does (HTTP 400,
 *   `x-amzn-ErrorType: ProvisionedThroughputExceededException`);
 * - a share of 5xx answers (500 InternalServerError, 503 ServiceUnavailable);
 * - dropped connections (the client socket is destroyed without an answer).
 * 5xx answers and drops can happen before the request reaches DynamoDB (nothing written) or after
 * (written, answer lost: the client's retry then finds the item already there).
 * It counts every outcome, and keeps per-second time series of accepted and throttled writes. Any
 * HTTP request is forwarded (an S3 endpoint too), and the access key ids requests are signed with
 * are recorded: which identity reached which service.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback } from '../../src/services/loopback.js';

/** Per-request latency: a fixed number of milliseconds, or uniform in [min, max]. */
export type LatencySpec = number | { min: number; max: number };

/** When an injected 5xx or drop happens relative to forwarding the request to DynamoDB. */
export type FaultPhase = 'before' | 'after' | 'either';

/** What the proxy injects; every field can be changed while it runs (`proxy.configure`). */
export interface FaultSettings {
  /** Added to every request before it is handled. Default 0. */
  latencyMs?: LatencySpec;
  /** Write capacity in WCU/s; absent or 0: no throttling. */
  wcuPerSecond?: number;
  /** Bucket size in seconds of `wcuPerSecond` (DynamoDB keeps up to 300 s of unused capacity). Default 1. */
  burstSeconds?: number;
  /** Share of requests (0..1) answered with a 5xx. Default 0. */
  errorRate?: number;
  /** Share of requests (0..1) whose connection is destroyed without an answer. Default 0. */
  dropRate?: number;
  /** Whether 5xx answers and drops happen before or after forwarding. Default `before`. */
  faultPhase?: FaultPhase;
  /** Only these operations (`PutItem`, `BatchWriteItem`, ...) get 5xx and drops; default: all. */
  faultOperations?: readonly string[];
  /**
   * The next this many PutItem requests are answered with a 400 ValidationException: a failure no
   * retry of the put can fix, so the writing task fails (and Spark may retry the task). Default 0.
   */
  fatalPuts?: number;
}

/** Counts of one operation (or of all of them). */
export interface OperationCounts {
  /** Requests that arrived. */
  received: number;
  /** Requests sent on to DynamoDB. */
  forwarded: number;
  /** Answered with ProvisionedThroughputExceededException by the proxy. */
  throttled: number;
  /** Answered with an injected 5xx. */
  failed: number;
  /** Connections destroyed by the proxy. */
  dropped: number;
  /** 5xx or drops injected after DynamoDB had handled the request (written, answer lost). */
  lostAnswers: number;
  /** Answered with an injected ValidationException (`fatalPuts`). */
  fatal: number;
  /** Forwarding failures (DynamoDB unreachable): answered 502. */
  upstreamErrors: number;
}

/** One second of the time series (second 0 = the proxy's start, or the last `resetCounts`). */
export interface SecondSample {
  second: number;
  /** PutItem requests DynamoDB answered with 200 (written or idempotently present). */
  acceptedPuts: number;
  /** Write units DynamoDB accepted (PutItem + BatchWriteItem request items), whatever the answer. */
  acceptedWcu: number;
  /** Throttled write requests. */
  throttled: number;
  /** Write requests that arrived (before latency and faults). */
  writesReceived: number;
  /** Sum of DynamoDB's own answer times (ms) for the writes forwarded this second. */
  upstreamMs: number;
}

/** The proxy's counters. */
export interface FaultProxyStats {
  total: OperationCounts;
  byOperation: Record<string, OperationCounts>;
  /** PutItem answers of 200 from DynamoDB. */
  acceptedPuts: number;
  /** The access key ids requests were signed with (SigV4 `Credential=`), each once, in order of appearance. */
  accessKeyIds: string[];
  /** Per-second samples from second 0 to the last second with any activity, gaps filled with zeros. */
  series: SecondSample[];
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Replaces some settings (merged into the current ones). */
  configure(settings: FaultSettings): void;
  stats(): FaultProxyStats;
  /** Zeroes the counters and restarts the time series at second 0 (the bucket refills). */
  resetCounts(): void;
  stop(): Promise<void>;
}

/** Options of `startFaultProxy`. */
export interface FaultProxyOptions extends FaultSettings {
  /** The DynamoDB endpoint to forward to, `http://host:port`. */
  upstream: string;
  /** A [0, 1) source for the random draws (default Math.random); pass a seeded one to replay. */
  random?: () => number;
  /** Milliseconds clock (default performance.now); the time series and the bucket use it. */
  now?: () => number;
}

const JSON_10 = 'application/x-amz-json-1.0';
const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
});
const FATAL_BODY = JSON.stringify({
  __type: 'com.amazon.coral.validate#ValidationException',
  message: 'injected by the fault proxy: a failure no retry of the put can fix',
});
const SERVER_ERRORS = [
  {
    status: 500,
    type: 'InternalServerError',
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: 'Internal server error',
    }),
  },
  {
    status: 503,
    type: 'ServiceUnavailable',
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
      message: 'Service unavailable',
    }),
  },
] as const;

const WRITE_OPERATIONS = new Set(['PutItem', 'BatchWriteItem']);

function zeroCounts(): OperationCounts {
  return {
    received: 0,
    forwarded: 0,
    throttled: 0,
    failed: 0,
    dropped: 0,
    lostAnswers: 0,
    upstreamErrors: 0,
    fatal: 0,
  };
}

/** The DynamoDB operation of a request: `X-Amz-Target: DynamoDB_20120810.PutItem` -> `PutItem`. */
export function operationOf(headers: IncomingMessage['headers']): string {
  const target = headers['x-amz-target'];
  const value = Array.isArray(target) ? target[0] : target;
  if (!value) return 'unknown';
  const dot = value.lastIndexOf('.');
  return dot >= 0 ? value.slice(dot + 1) : value;
}

/** Write units a request asks for: 1 per PutItem, 1 per write request of a BatchWriteItem, else 0. */
export function writeUnits(operation: string, body: Buffer): number {
  if (operation === 'PutItem') return 1;
  if (operation !== 'BatchWriteItem') return 0;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { RequestItems?: Record<string, unknown[]> };
    const n = Object.values(parsed.RequestItems ?? {}).reduce((sum, reqs) => sum + (reqs?.length ?? 0), 0);
    return Math.max(1, n);
  } catch {
    return 1;
  }
}

/** Starts the proxy on 127.0.0.1 and a free port. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const random = opts.random ?? Math.random;
  const now = opts.now ?? (() => performance.now());
  let settings: Required<Omit<FaultSettings, 'faultOperations'>> & { faultOperations?: readonly string[] } = {
    latencyMs: 0,
    wcuPerSecond: 0,
    burstSeconds: 1,
    errorRate: 0,
    dropRate: 0,
    faultPhase: 'before',
    fatalPuts: 0,
  };
  const applySettings = (s: FaultSettings): void => {
    const defined = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as FaultSettings;
    settings = { ...settings, ...defined };
  };
  applySettings(opts);

  // Token bucket over write units; it starts full.
  let tokens = 0;
  let lastRefill = now();
  let bucketPrimed = false;
  const takeTokens = (units: number): boolean => {
    const rate = settings.wcuPerSecond;
    if (!rate || rate <= 0 || units === 0) return true;
    const capacity = Math.max(1, rate * settings.burstSeconds);
    const t = now();
    if (!bucketPrimed) {
      tokens = capacity;
      bucketPrimed = true;
    } else {
      tokens = Math.min(capacity, tokens + ((t - lastRefill) / 1000) * rate);
    }
    lastRefill = t;
    // A batch larger than the bucket can still pass when the bucket is full.
    const need = Math.min(units, capacity);
    if (tokens < need) return false;
    tokens -= need;
    return true;
  };

  let startedAt = now();
  let total = zeroCounts();
  let byOperation: Record<string, OperationCounts> = {};
  let acceptedPuts = 0;
  let accessKeyIds: string[] = [];
  let series: SecondSample[] = [];
  const sample = (): SecondSample => {
    const second = Math.max(0, Math.floor((now() - startedAt) / 1000));
    for (let s = series.length; s <= second; s++)
      series.push({
        second: s,
        acceptedPuts: 0,
        acceptedWcu: 0,
        throttled: 0,
        writesReceived: 0,
        upstreamMs: 0,
      });
    return series[second]!;
  };
  const count = (operation: string, field: keyof OperationCounts): void => {
    total[field]++;
    (byOperation[operation] ??= zeroCounts())[field]++;
  };

  const latency = (): number => {
    const l = settings.latencyMs;
    if (typeof l === 'number') return l;
    return l.min + random() * (l.max - l.min);
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = operationOf(req.headers);
    count(operation, 'received');
    const keyId = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    if (keyId !== undefined && !accessKeyIds.includes(keyId)) accessKeyIds.push(keyId);
    if (WRITE_OPERATIONS.has(operation)) sample().writesReceived++;

    const delay = latency();
    if (delay > 0) await sleep(delay);

    const faultable = settings.faultOperations === undefined || settings.faultOperations.includes(operation);
    // One draw decides the fault, a second one its phase, so rates are independent of the phase.
    const draw = random();
    const fault: 'drop' | 'error' | undefined = !faultable
      ? undefined
      : draw < settings.dropRate
        ? 'drop'
        : draw < settings.dropRate + settings.errorRate
          ? 'error'
          : undefined;
    const phase: 'before' | 'after' =
      settings.faultPhase === 'either' ? (random() < 0.5 ? 'before' : 'after') : settings.faultPhase;

    const inject = (kind: 'drop' | 'error'): void => {
      if (kind === 'drop') {
        count(operation, 'dropped');
        req.socket.destroy();
      } else {
        count(operation, 'failed');
        const e = SERVER_ERRORS[random() < 0.5 ? 0 : 1];
        send(res, e.status, e.type, e.body);
      }
    };

    if (operation === 'PutItem' && settings.fatalPuts > 0) {
      settings.fatalPuts--;
      count(operation, 'fatal');
      send(res, 400, 'ValidationException', FATAL_BODY);
      return;
    }
    if (fault && phase === 'before') return inject(fault);

    const units = writeUnits(operation, body);
    if (units > 0 && !takeTokens(units)) {
      count(operation, 'throttled');
      sample().throttled++;
      send(res, 400, 'ProvisionedThroughputExceededException', THROTTLE_BODY);
      return;
    }

    count(operation, 'forwarded');
    let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    const sentAt = now();
    try {
      answer = await forward(upstream, agent, req, body);
    } catch (error) {
      count(operation, 'upstreamErrors');
      send(res, 502, 'BadGateway', JSON.stringify({ __type: 'BadGateway', message: String(error) }));
      return;
    }
    if (units > 0) {
      const s = sample();
      // DynamoDB charges a conditional put that fails its condition too.
      s.acceptedWcu += units;
      s.upstreamMs += now() - sentAt;
      if (operation === 'PutItem' && answer.status === 200) {
        acceptedPuts++;
        s.acceptedPuts++;
      }
    }
    if (fault) {
      count(operation, 'lostAnswers');
      return inject(fault);
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    // A HEAD answer has no body but tells the object's size (S3): keep that length.
    if (req.method !== 'HEAD') headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 502, 'BadGateway', JSON.stringify({ __type: 'BadGateway', message: String(error) }));
      else res.destroy();
    });
  });
  // Long keep-alive: a client reusing a connection the server just closed sees a reset that is
  // not one of ours, and would muddle the counts.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    configure: applySettings,
    stats(): FaultProxyStats {
      sample();
      return {
        total: { ...total },
        byOperation: Object.fromEntries(Object.entries(byOperation).map(([k, v]) => [k, { ...v }])),
        acceptedPuts,
        accessKeyIds: [...accessKeyIds],
        series: series.map((s) => ({ ...s })),
      };
    },
    resetCounts(): void {
      accessKeyIds = [];
      startedAt = now();
      total = zeroCounts();
      byOperation = {};
      acceptedPuts = 0;
      series = [];
      bucketPrimed = false;
    },
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      });
      return stopping;
    },
  };
}

function send(res: ServerResponse, status: number, errorType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': JSON_10,
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-errortype': errorType,
    'x-amzn-requestid': requestId(),
  });
  res.end(body);
}

let requestCounter = 0;
function requestId(): string {
  requestCounter = (requestCounter + 1) % 1e9;
  return `FAULTPROXY${String(requestCounter).padStart(42, '0')}`;
}

function forward(
  upstream: URL,
  agent: http.Agent,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    delete headers.connection;
    headers['content-length'] = String(body.length);
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/**
 * The sustained rate of a time series over its busy phase: from the first to the last second with
 * any accepted write, without those two (partial) seconds. `undefined` when the phase is too short.
 */
export function sustainedRate(
  series: readonly SecondSample[],
  field: 'acceptedPuts' | 'acceptedWcu' = 'acceptedPuts',
): { perSecond: number; seconds: number; first: number; last: number } | undefined {
  const busy = series.filter((s) => s[field] > 0);
  if (busy.length === 0) return undefined;
  const first = busy[0]!.second;
  const last = busy[busy.length - 1]!.second;
  const inner = series.filter((s) => s.second > first && s.second < last);
  if (inner.length === 0) return undefined;
  const sum = inner.reduce((n, s) => n + s[field], 0);
  return { perSecond: sum / inner.length, seconds: inner.length, first, last };
}
