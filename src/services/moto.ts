/**
 * moto's server (PyPI `moto[server]`) as the offline S3 stand-in of `populator demo --runner
 * emr-serverless`: a child process on 127.0.0.1 and a free port, stopped by `stop()` (and when
 * this process exits). There is no S3 emulator on npm that the job's S3A and the SDK both get on
 * with; moto is what the tests use too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../domain/errors.js';
import { listenOnLoopback } from './loopback.js';

/** What `pip install` to run when moto is missing. */
export const MOTO_INSTALL = "python3 -m pip install 'moto[server]==5.2.5'";

export interface MotoHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  const port = await listenOnLoopback(srv);
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Starts moto's server and waits until it answers; a `UserError` with the install command when it cannot. */
export async function startMoto(opts: {
  python?: string;
  timeoutMs?: number;
  env: NodeJS.ProcessEnv;
}): Promise<MotoHandle> {
  const python = opts.python ?? opts.env.PYTHON ?? 'python3';
  // A port picked free can be taken before moto binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    let output = '';
    let failed: string | undefined;
    const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...opts.env, PYTHONUNBUFFERED: '1' },
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-10_000)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-10_000)));
    child.on('error', (e) => (failed = String(e)));
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', kill);
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (failed !== undefined || child.exitCode !== null) {
        process.removeListener('exit', kill);
        if (attempt < 2 && /address already in use/i.test(output)) break;
        throw new UserError(
          `moto's S3 server could not be started with ${python} (${failed ?? output.trim().split('\n').pop() ?? 'it exited'}).`,
          {
            code: 'MOTO_MISSING',
            hint: `The EMR Serverless demo uses moto's server as its offline S3. Install it with: ${MOTO_INSTALL}`,
          },
        );
      }
      try {
        const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return {
          endpoint,
          stop: async () => {
            process.removeListener('exit', kill);
            if (child.exitCode !== null || child.signalCode !== null) return;
            await new Promise<void>((resolve) => {
              const timer = setTimeout(kill, 5000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill('SIGTERM');
            });
          },
        };
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        kill();
        process.removeListener('exit', kill);
        throw new UserError(`moto's S3 server did not answer on ${endpoint}.`, {
          code: 'MOTO_MISSING',
          hint: `Check that ${MOTO_INSTALL} worked; its output was:\n${output}`,
        });
      }
      await sleep(200);
    }
  }
}
