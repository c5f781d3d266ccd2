/**
 * A local DynamoDB stand-in (dynalite, in memory) on 127.0.0.1 and a free port, for the demo and
 * the tests. By default it runs as a child process: its request handling then never competes with
 * the CLI's own event loop, and it keeps up with 1000+ conditional puts/s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { listenOnLoopback } from './loopback.js';

/** Options of `startDynalite`. */
export interface DynaliteOptions {
  /** `child` (default): a child process; `in-process`: a server in this process. */
  mode?: 'child' | 'in-process';
  /** How long a new table stays CREATING (dynalite's default: 500 ms). */
  createTableMs?: number;
  /** How long a deleted table stays DELETING (default 500 ms). */
  deleteTableMs?: number;
  /** How long an updated table stays UPDATING (default 500 ms). */
  updateTableMs?: number;
  /** How long to wait for the server to listen before giving up. Default 10 s. */
  startTimeoutMs?: number;
}

/** A running dynalite. */
export interface DynaliteHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** The child's process id (`child` mode only). */
  pid: number | undefined;
  /** Stops the server and frees its port; safe to call more than once. */
  stop(): Promise<void>;
}

interface DynaliteServerOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

type DynaliteFactory = (options: DynaliteServerOptions) => Server;

const STOP_GRACE_MS = 2000;

// Runs in the child (CommonJS, from `node -e`). It leaves when told, and also when the parent dies
// without telling it (the IPC channel closes), so no orphan outlives a crashed CLI.
const CHILD_SOURCE = `
const dynalite = require(process.argv[1]);
const server = dynalite(JSON.parse(process.argv[2]));
server.on('error', (err) => { console.error(String(err && err.stack || err)); process.exit(1); });
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
`;

/** Starts dynalite on 127.0.0.1 and a free port. */
export async function startDynalite(opts: DynaliteOptions = {}): Promise<DynaliteHandle> {
  const serverOptions: DynaliteServerOptions = {
    ...(opts.createTableMs === undefined ? {} : { createTableMs: opts.createTableMs }),
    ...(opts.deleteTableMs === undefined ? {} : { deleteTableMs: opts.deleteTableMs }),
    ...(opts.updateTableMs === undefined ? {} : { updateTableMs: opts.updateTableMs }),
  };
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  return (opts.mode ?? 'child') === 'child'
    ? startChild(serverOptions, timeoutMs)
    : startInProcess(serverOptions);
}

async function startInProcess(serverOptions: DynaliteServerOptions): Promise<DynaliteHandle> {
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite(serverOptions);
  const port = await listenOnLoopback(server);
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: undefined,
    stop() {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets of SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

async function startChild(serverOptions: DynaliteServerOptions, timeoutMs: number): Promise<DynaliteHandle> {
  const modulePath = createRequire(import.meta.url).resolve('dynalite');
  const child = fork('-e', [CHILD_SOURCE, modulePath, JSON.stringify(serverOptions)], {
    // fork() puts its first argument where the script path goes: `node -e <source> <args>`.
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const killNow = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  // On Ctrl-C or a kill the child must go too. When nobody else handles the signal, re-raise it so
  // the process still ends the way it would have without us.
  const onSignal = (signal: NodeJS.Signals): void => {
    killNow();
    removeHooks();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const removeHooks = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killNow);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killNow);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      removeHooks();
      killNow();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  try {
    const port = await waitForPort(child, exited, timeoutMs, () => stderr);
    // Neither the child nor its pipes keep this process alive: a caller that forgets stop() still
    // exits, and the child follows when its IPC channel closes.
    child.unref();
    child.channel?.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForPort(
  child: ChildProcess,
  exited: Promise<void>,
  timeoutMs: number,
  stderr: () => string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dynalite did not start within ${timeoutMs} ms${detail(stderr())}`)),
      timeoutMs,
    );
    child.once('message', (message: unknown) => {
      clearTimeout(timer);
      const port = (message as { port?: unknown } | null)?.port;
      if (typeof port === 'number') resolve(port);
      else reject(new Error(`dynalite sent an unexpected start message: ${JSON.stringify(message)}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`dynalite exited before listening (code ${child.exitCode})${detail(stderr())}`));
    });
  });
}

function detail(stderr: string): string {
  return stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
}
