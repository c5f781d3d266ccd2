/** What every populator command shares: --json, --verbose, error rendering and exit codes. */
import { stripVTControlCharacters } from 'node:util';
import { Command, Flags } from '@oclif/core';
import { EXIT_CODES, formatIssue, isUserError } from '../domain/errors.js';
import type { JobProgress } from '../domain/job-report.js';
import { ProgressPrinter } from '../output/progress.js';

/** What a command hands a job-running service: where to log, where progress goes, how to stop. */
export interface JobIo {
  log: (line: string) => void;
  onProgress: (p: JobProgress) => void;
  /** An upload's bytes so far (the job jar). */
  onUpload: (sent: number, total: number) => void;
  /** Draws any other progress line (verify's sampling, lookups) on the same bar. */
  progressLine: (line: string) => void;
  signal: AbortSignal;
}

/** Shape of the JSON document printed on stdout when a command fails under --json. */
export interface JsonError {
  status: 'error';
  error: { kind: 'user' | 'internal'; code?: string; message: string; hint?: string; issues?: unknown[] };
}

export abstract class BaseCommand extends Command {
  static enableJsonFlag = true;

  static baseFlags = {
    verbose: Flags.boolean({
      description: 'Show stack traces and the full output of failed child processes.',
      env: 'POPULATOR_VERBOSE',
      default: false,
      helpGroup: 'GLOBAL',
    }),
  };

  /**
   * The flags (`--region`) whose value came from their environment variable rather than the
   * command line, with that variable: messages about such a value name the variable.
   */
  protected flagsFromEnv(
    definitions: Readonly<Record<string, { env?: string }>>,
    values: Readonly<Record<string, unknown>>,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, definition] of Object.entries(definitions)) {
      const env = values[name] === undefined ? undefined : this.envTwinInForce(name, definition.env);
      if (env !== undefined) out[`--${name}`] = env;
    }
    return out;
  }

  /** The flag's environment variable, when it is set and the flag is not on the command line. */
  private envTwinInForce(flag: string, env: string | undefined): string | undefined {
    const onCommandLine = this.argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
    return env !== undefined && !onCommandLine && process.env[env] !== undefined ? env : undefined;
  }

  /**
   * A parse error about a flag whose value came from its environment twin names the variable:
   * `--write-rate: Expected an integer ... (set by the environment variable POPULATOR_WRITE_RATE)`.
   */
  private withEnvTwins(line: string): string {
    const ctor = this.constructor as typeof Command;
    const definitions: Record<string, { env?: string }> = { ...ctor.baseFlags, ...ctor.flags };
    return line
      .split('; ')
      .map((part) => {
        const flag = /--([\w-]+)/.exec(part)?.[1];
        const env = flag === undefined ? undefined : this.envTwinInForce(flag, definitions[flag]?.env);
        return env === undefined ? part : `${part} (set by the environment variable ${env})`;
      })
      .join('; ');
  }

  /** A usage error of the command's own (one line and the usage line, exit 2), as oclif's parse errors are. */
  protected usageError(message: string): never {
    this.error(message, { exit: EXIT_CODES.usage });
  }

  /** The command's one-line usage: `populator validate ARCHIVE STORAGE-CONFIG RESOLVER [FLAGS]`. */
  protected usageLine(): string {
    const ctor = this.constructor as typeof Command;
    const args = Object.keys(ctor.args ?? {}).map((a) => a.toUpperCase());
    const id = this.id ?? ctor.id ?? '';
    return `Usage: ${this.config.bin} ${[id, ...args].filter((x) => x !== '').join(' ')} [FLAGS]   (${this.config.bin} ${id} --help lists them)`;
  }

  /** Progress and warnings: always stderr, so stdout holds only results (and only JSON with --json). */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  /**
   * Runs a job-running service with a progress bar on stderr and Ctrl-C handling: the first Ctrl-C
   * stops the job (and Maven, dynalite) and lets the service clean up; a second one exits at once.
   */
  protected async followJob<T>(
    run: (io: JobIo) => Promise<T>,
    interruptNote = 'Stopping (press Ctrl-C again to quit at once)...',
  ): Promise<T> {
    const printer = new ProgressPrinter(process.stderr);
    const abort = new AbortController();
    const onSigint = (): void => {
      if (abort.signal.aborted) process.exit(130);
      printer.finish();
      this.note(`\n${interruptNote}`);
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      return await run({
        log: (line) => {
          printer.finish();
          this.note(line);
        },
        onProgress: (p) => printer.update(p),
        onUpload: (sent, total) => printer.transfer('uploading the job jar', sent, total),
        progressLine: (line) => printer.show(line),
        signal: abort.signal,
      });
    } finally {
      printer.finish();
      process.removeListener('SIGINT', onSigint);
    }
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // oclif's own parse errors (unknown flag, missing argument) are usage errors.
    if (err.oclif?.exit !== undefined && !isUserError(err)) {
      if (this.jsonEnabled()) {
        this.logJson({
          status: 'error',
          error: { kind: 'user', code: 'USAGE', message: this.withEnvTwins(usageErrorLine(err)) },
        } satisfies JsonError);
        process.exitCode = err.oclif.exit === 0 ? 0 : EXIT_CODES.usage;
        return;
      }
      if (err.oclif.exit === 0) return super.catch(err);
      // One line saying what was wrong and the usage line: the whole help would bury the error.
      process.stderr.write(`Error: ${this.withEnvTwins(usageErrorLine(err))}\n${this.usageLine()}\n`);
      process.exitCode = EXIT_CODES.usage;
      return;
    }
    // The flag's environment twin counts too (errors can come before the flags are parsed).
    const verbose =
      process.argv.includes('--verbose') ||
      isTrue(process.env.POPULATOR_VERBOSE) ||
      Boolean(process.env.DEBUG);
    if (isUserError(err)) {
      process.exitCode = err.exitCode;
      if (this.jsonEnabled()) {
        this.logJson({
          status: 'error',
          error: {
            kind: 'user',
            code: err.code,
            message: err.message,
            hint: err.hint,
            issues: [...err.issues],
          },
        } satisfies JsonError);
      } else {
        process.stderr.write(`Error: ${err.message}\n`);
        // A lone issue that is the message itself adds nothing: its hint is printed below.
        const [only] = err.issues;
        const redundant = err.issues.length === 1 && only !== undefined && err.message.includes(only.message);
        if (!redundant) for (const issue of err.issues) process.stderr.write(`  - ${formatIssue(issue)}\n`);
        process.stderr.write(`${err.hint}\n`);
        if (verbose && err.cause)
          process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
      }
      return;
    }
    process.exitCode = EXIT_CODES.failed;
    if (this.jsonEnabled()) {
      this.logJson({
        status: 'error',
        error: { kind: 'internal', message: err.message },
      } satisfies JsonError);
    } else {
      process.stderr.write(`Internal error: ${err.message}\n`);
      process.stderr.write(
        verbose
          ? `${err.stack ?? ''}\n`
          : 'This is a bug in populator. Run again with --verbose for the stack trace, and report it.\n',
      );
    }
    return;
  }
}

/** An environment variable set to a true value, as oclif reads boolean flags' twins. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|y)$/i.test(value.trim());
}

/** An oclif parse error in one line: which arguments are missing, which flag value is wrong. */
export function usageErrorLine(err: Error & { args?: { name?: string }[] }): string {
  if (err.constructor.name === 'RequiredArgsError' && Array.isArray(err.args)) {
    const names = err.args.map((a) => a.name).filter((n): n is string => n !== undefined);
    return `missing ${names.length === 1 ? 'argument' : 'arguments'} ${names.join(', ')}`;
  }
  // oclif's messages span lines (a title, a tab-indented reason, "See more help"), in colour on a TTY.
  return stripVTControlCharacters(err.message)
    .replace(/\n?See more help with --help\s*$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .replace(/Parsing (--[\w-]+)\s*\n\s*/g, '$1: ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}
