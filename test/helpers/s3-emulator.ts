/**
 * Test fixture: moto's S3 server (PyPI `moto[server]`, installed by .ci/run) as a child process on
 * 127.0.0.1 and a free port, with helpers to create buckets and upload a local folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Emulator {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** An SDK client for the emulator (path-style), for the tests' own setup. */
  client: S3Client;
  createBucket(bucket: string): Promise<void>;
  /** Uploads every file under `dir` to `s3://bucket/prefix/<relative path>`; returns the keys. */
  uploadDir(bucket: string, prefix: string, dir: string): Promise<string[]>;
  putObject(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  /** The server's recent output (its request log: method, path, status), for debugging a test. */
  output(): string;
  stop(): Promise<void>;
}

export interface S3EmulatorOptions {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The Python to run moto with; default `$PYTHON` or `python3`. */
  python?: string;
  startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `moto's server exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}\n` +
          "Install it with: python3 -m pip install 'moto[server]==5.2.5' (.ci/run does).",
      );
    }
    try {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`moto's server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Starts moto's server on a free port and waits until it answers. */
export async function startS3Emulator(opts: S3EmulatorOptions): Promise<S3Emulator> {
  const python = opts.python ?? process.env.PYTHON ?? 'python3';
  let child: ChildProcess | undefined;
  let endpoint = '';
  let log = '';
  // A port picked free can be taken before moto binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    log = '';
    const c = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    c.stdout?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)));
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)));
    c.on('error', (e) => (log += `\n${String(e)}`));
    try {
      await waitUntilUp(endpoint, c, () => log, opts.startTimeoutMs ?? 30_000);
      child = c;
      break;
    } catch (e) {
      c.kill('SIGKILL');
      if (attempt >= 2 || !/address already in use/i.test(log)) throw e;
    }
  }
  const proc = child;
  // Never leave a server behind when the test process ends without calling stop().
  const killOnExit = (): void => {
    proc.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const client = new S3Client({
    region: opts.region,
    endpoint,
    forcePathStyle: true,
    credentials: opts.credentials,
  });
  const putObject = async (bucket: string, key: string, body: string | Uint8Array): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  return {
    endpoint,
    client,
    async createBucket(bucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async uploadDir(bucket, prefix, dir) {
      const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
      const keys: string[] = [];
      for (const file of listFiles(dir)) {
        const key = base + path.relative(dir, file).split(path.sep).join('/');
        // Buffers, not streams: no chunked (aws-chunked) upload framing to trip an emulator.
        await putObject(bucket, key, readFileSync(file));
        keys.push(key);
      }
      return keys;
    },
    putObject,
    output: () => log,
    async stop() {
      client.destroy();
      process.removeListener('exit', killOnExit);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
  };
}
