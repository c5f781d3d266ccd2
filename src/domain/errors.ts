/**
 * The two kinds of error (Shopify CLI style): a `UserError` is something the user can fix and
 * carries the next step (`hint`); anything else that is thrown is a bug and is reported as one.
 */

/**
 * One problem found in an input. `path` is a JSON Pointer (RFC 6901) into the document named by
 * `source`: `/data/auth/accessKeyId`, `/schema`, or `''` for the document as a whole (a file that
 * cannot be read, a flag value).
 */
export interface ValidationIssue {
  /** The file path (as the user gave it) or the flag (`--since`) the problem is in. */
  source: string;
  /** JSON Pointer into `source`; `''` means the whole input. */
  path: string;
  /** What is wrong, naming the offending value where that helps. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** Options of a `UserError`. */
export interface UserErrorOptions {
  /** What the user should do next. */
  hint: string;
  /** A stable identifier for scripts (`--json`), e.g. `INVALID_TIME_RANGE`. */
  code?: string;
  /** Every problem found, when there were several. */
  issues?: readonly ValidationIssue[];
  /** The underlying error, kept for `--verbose`. */
  cause?: unknown;
  /** The process exit code; default `EXIT_CODES.usage`. */
  exitCode?: ExitCode;
}

/** An error the user can fix: the message says what is wrong, `hint` what to do next. */
export class UserError extends Error {
  readonly hint: string;
  readonly code: string | undefined;
  readonly issues: readonly ValidationIssue[];
  readonly exitCode: ExitCode;

  constructor(message: string, options: UserErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.code = options.code;
    this.issues = options.issues ?? [];
    this.exitCode = options.exitCode ?? EXIT_CODES.usage;
  }
}

/** True for errors the user can fix; everything else is a bug. */
export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** One line for a terminal: `source: path: message (hint)`; the path is left out when it is the root. */
export function formatIssue(issue: ValidationIssue): string {
  const where = issue.path === '' ? issue.source : `${issue.source}: ${issue.path}`;
  return issue.hint === undefined
    ? `${where}: ${issue.message}`
    : `${where}: ${issue.message}. ${issue.hint}`;
}

/**
 * Process exit codes, set through `process.exitCode`. Scripts rely on them: never renumber one,
 * only add. Each has a description in `EXIT_CODE_DESCRIPTIONS` and a row in the README.
 */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  verifyBelowThreshold: 3,
  jobFailed: 4,
  notFinal: 5,
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitCodeName];

/** What each exit code means, as the README lists it. */
export const EXIT_CODE_DESCRIPTIONS: Readonly<Record<ExitCodeName, string>> = {
  ok: 'Success.',
  failed: 'Unexpected failure (a bug or an AWS error); details on stderr, the stack trace with --verbose.',
  usage:
    'Invalid usage or invalid inputs: a flag, an argument, the storage config, the resolver, or a failed `validate` check (nothing was started).',
  verifyBelowThreshold:
    '`verify`: the sample shows manifest coverage below --min-coverage (the 95% upper bound is under it); with --strict, also when it does not prove it.',
  jobFailed:
    'The job started but failed, was stopped or was cancelled; the message gives its reason and where its log is.',
  notFinal:
    'The job is not in a final state yet (submitted, queued or running): `status` without `--watch`, or `--wait` / `--watch` left with Ctrl-C.',
};
