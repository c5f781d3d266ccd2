/** What every populator command shares: --json, --verbose, error rendering and exit codes. */
import { Command, Flags, type Interfaces } from '@oclif/core';
import { EXIT_CODES, formatIssue, isUserError } from '../domain/errors.js';
import type { JobProgress } from '../domain/job-report.js';
import { ProgressPrinter } from '../output/progress.js';

/** What a command hands a job-running service: where to log, where progress goes, how to stop. */
export interface JobIo {
  log: (line: string) => void;
  onProgress: (p: JobProgress) => void;
  signal: AbortSignal;
}

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

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

  /** Progress and warnings: always stderr, so stdout holds only results (and only JSON with --json). */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  /**
   * Runs a job-running service with a progress bar on stderr and Ctrl-C handling: the first Ctrl-C
   * stops the job (and Maven, dynalite) and lets the service clean up; a second one exits at once.
   */
  protected async followJob<T>(run: (io: JobIo) => Promise<T>): Promise<T> {
    const printer = new ProgressPrinter(process.stderr);
    const abort = new AbortController();
    const onSigint = (): void => {
      if (abort.signal.aborted) process.exit(130);
      printer.finish();
      this.note('\nStopping (press Ctrl-C again to quit at once)...');
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
          error: { kind: 'user', code: 'USAGE', message: err.message },
        } satisfies JsonError);
        process.exitCode = err.oclif.exit === 0 ? 0 : EXIT_CODES.usage;
        return;
      }
      return super.catch(err);
    }
    const verbose = process.argv.includes('--verbose') || Boolean(process.env.DEBUG);
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
