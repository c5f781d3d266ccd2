/**
 * Test fixture: an HTTP proxy on 127.0.0.1 in front of a local stand-in (moto's S3, dynalite) that
 * records every request (method, URL, headers, body) and forwards it unchanged, so a test can say
 * what was sent: which writes, and that no secret ever travelled.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from '../../src/services/loopback.js';

export interface ProxiedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as latin1 text (bytes kept one to one, searchable for ASCII secrets). */
  body: string;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  requests(): ProxiedRequest[];
  clear(): void;
  stop(): Promise<void>;
}

/** Starts a recording proxy in front of `target` (`http://host:port`). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const recorded: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      recorded.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: body.toString('latin1'),
      });
      const out = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          // The Host header stays as signed (SigV4 covers it); the stand-ins do not check signatures.
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      out.end(body);
    });
  });
  // Keep-alive sockets of SDK clients would otherwise hold close() open.
  server.keepAliveTimeout = 1000;
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => [...recorded],
    clear: () => {
      recorded.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
