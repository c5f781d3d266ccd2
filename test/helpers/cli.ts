/** Runs the CLI (bin/run.js) as a user would, and gives its exit code and output. */
import { execFile } from 'node:child_process';
import path from 'node:path';

export const CLI_BIN = path.resolve('bin/run.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any AWS_ or POPULATOR_ variable of the caller's, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('POPULATOR_')) delete env[k];
  return Object.assign(env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, extra);
}

export function runCli(
  args: readonly string[],
  o: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env: o.env, cwd: o.cwd, timeout: o.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
