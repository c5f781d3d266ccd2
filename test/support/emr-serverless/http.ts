/**
 * The EMR Serverless REST-JSON protocol over Node's `http`: routes (method + path template of the
 * model's `http` traits), path/query/body members into one input, the model's validation, the
 * answer as JSON with timestamps as epoch seconds, and errors with the `x-amzn-ErrorType` header
 * and `{"message": ...}` body the SDK turns into its exception classes. Every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from './errors.js';
import { validateInput, type OperationName } from './shapes.js';

/** One request as it reached the emulator, for tests that check what a client sent. */
export interface RecordedRequest {
  at: number;
  method: string;
  /** Path and query string as sent (percent-encoded). */
  url: string;
  /** The operation it was routed to, or undefined (unknown route, dashboard page). */
  operation?: OperationName;
  headers: Record<string, string | string[]>;
  body: string;
  status: number;
  /** The error name when it failed. */
  error?: string;
}

type QueryType = 'string' | 'integer' | 'boolean' | 'timestamp' | 'list';

interface Route {
  method: string;
  template: string;
  operation: OperationName;
  query?: Readonly<Record<string, QueryType>>;
}

const PAGING = { nextToken: 'string', maxResults: 'integer' } as const;

/** The served operations' `http` traits, from the service model. */
export const ROUTES: readonly Route[] = [
  { method: 'POST', template: '/applications', operation: 'CreateApplication' },
  {
    method: 'GET',
    template: '/applications',
    operation: 'ListApplications',
    query: { ...PAGING, states: 'list' },
  },
  { method: 'GET', template: '/applications/{applicationId}', operation: 'GetApplication' },
  { method: 'PATCH', template: '/applications/{applicationId}', operation: 'UpdateApplication' },
  { method: 'DELETE', template: '/applications/{applicationId}', operation: 'DeleteApplication' },
  { method: 'POST', template: '/applications/{applicationId}/start', operation: 'StartApplication' },
  { method: 'POST', template: '/applications/{applicationId}/stop', operation: 'StopApplication' },
  { method: 'POST', template: '/applications/{applicationId}/jobruns', operation: 'StartJobRun' },
  {
    method: 'GET',
    template: '/applications/{applicationId}/jobruns',
    operation: 'ListJobRuns',
    query: {
      ...PAGING,
      createdAtAfter: 'timestamp',
      createdAtBefore: 'timestamp',
      states: 'list',
      mode: 'string',
    },
  },
  {
    method: 'GET',
    template: '/applications/{applicationId}/jobruns/{jobRunId}',
    operation: 'GetJobRun',
    query: { attempt: 'integer' },
  },
  {
    method: 'DELETE',
    template: '/applications/{applicationId}/jobruns/{jobRunId}',
    operation: 'CancelJobRun',
    query: { shutdownGracePeriodInSeconds: 'integer' },
  },
  {
    method: 'GET',
    template: '/applications/{applicationId}/jobruns/{jobRunId}/dashboard',
    operation: 'GetDashboardForJobRun',
    query: { attempt: 'integer', accessSystemProfileLogs: 'boolean' },
  },
  {
    method: 'GET',
    template: '/applications/{applicationId}/jobruns/{jobRunId}/attempts',
    operation: 'ListJobRunAttempts',
    query: PAGING,
  },
  { method: 'POST', template: '/tags/{resourceArn}', operation: 'TagResource' },
  { method: 'GET', template: '/tags/{resourceArn}', operation: 'ListTagsForResource' },
  {
    method: 'DELETE',
    template: '/tags/{resourceArn}',
    operation: 'UntagResource',
    query: { tagKeys: 'list' },
  },
];

/** Matches a path against the routes; path labels are decoded one segment at a time (ARNs hold `/`). */
export function route(
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | { allowed: false } | undefined {
  const segments = pathname.split('/').slice(1);
  let pathMatched = false;
  for (const r of ROUTES) {
    const parts = r.template.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = parts.every((p, i) => {
      const s = segments[i] as string;
      if (p.startsWith('{')) {
        if (s === '') return false;
        params[p.slice(1, -1)] = decodeURIComponent(s);
        return true;
      }
      return p === s;
    });
    if (!ok) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params };
  }
  return pathMatched ? { allowed: false } : undefined;
}

function queryValue(name: string, type: QueryType, values: string[]): unknown {
  const v = values[values.length - 1] as string;
  const bad = (): ServiceError =>
    new ServiceError('SerializationException', `Cannot read query parameter ${name}=${v} as ${type}`);
  switch (type) {
    case 'list':
      return values;
    case 'integer':
      if (!/^-?\d+$/.test(v)) throw bad();
      return Number(v);
    case 'boolean':
      if (v !== 'true' && v !== 'false') throw bad();
      return v === 'true';
    case 'timestamp':
      if (Number.isNaN(Date.parse(v))) throw bad();
      return v;
    case 'string':
      return v;
  }
}

/** The operation's input: path labels, then query members, then the JSON body's members. */
export function readInput(
  r: Route,
  params: Record<string, string>,
  url: URL,
  body: string,
): Record<string, unknown> {
  let fromBody: unknown = {};
  if (body.trim() !== '') {
    try {
      fromBody = JSON.parse(body);
    } catch {
      throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof fromBody !== 'object' || fromBody === null || Array.isArray(fromBody)) {
      throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
    }
  }
  const input: Record<string, unknown> = { ...(fromBody as Record<string, unknown>) };
  for (const [name, type] of Object.entries(r.query ?? {})) {
    const values = url.searchParams.getAll(name);
    if (values.length > 0) input[name] = queryValue(name, type, values);
  }
  return { ...input, ...params };
}

const TIMESTAMP_KEYS = new Set([
  'createdAt',
  'updatedAt',
  'startedAt',
  'endedAt',
  'attemptCreatedAt',
  'attemptUpdatedAt',
  'jobCreatedAt',
]);

/** rest-json writes timestamps as epoch seconds (with milliseconds as the fraction). */
export function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      TIMESTAMP_KEYS.has(k) && typeof v === 'number' ? v / 1000 : toWire(v),
    ]),
  );
}

/** The signing scope of a SigV4 `Authorization` header. */
export function credentialScope(
  authorization: string | undefined,
): { accessKeyId: string; region: string; service: string } | undefined {
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  if (!m) return undefined;
  return { accessKeyId: m[1] as string, region: m[2] as string, service: m[3] as string };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(toWire(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ServiceError): void {
  sendJson(res, e.status, { message: e.message }, { 'x-amzn-errortype': e.errorName });
}

export { validateInput };
