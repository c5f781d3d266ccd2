/**
 * The validator's vocabulary: a check is one thing that can go wrong before a job starts, with its
 * outcome. Validation returns a list of them (STYLE habit 5) instead of throwing the first problem;
 * `validate` renders the list, `submit` refuses to start when one failed.
 */
import type { ValidationIssue } from './errors.js';

export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'skipped'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** Groups in the order they are run and printed: offline ones first. */
export const CHECK_GROUPS = [
  'inputs',
  'flags',
  'toolchain',
  'credentials',
  'archive',
  'table',
  'staging',
  'emr',
  'role',
] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

/** What each group covers, as the checklist heads it. */
export const CHECK_GROUP_TITLES: Readonly<Record<CheckGroup, string>> = {
  inputs: 'Storage config and resolver',
  flags: 'Flags and environment',
  toolchain: 'Local toolchain',
  credentials: 'AWS credentials',
  archive: 'Enriched archive',
  table: 'Manifest table',
  staging: 'Staging and logs',
  emr: 'EMR Serverless application',
  role: 'Execution role',
};

/**
 * One check's outcome. A check that finds several problems (a config file with three mistakes)
 * yields one entry per problem, all with the same `id` and each with its own `path`.
 */
export interface Check {
  /** Stable identifier for scripts, e.g. `table.key-schema`. */
  id: string;
  group: CheckGroup;
  status: CheckStatus;
  /** What was found: the value on a pass, the problem on a warn or fail, the reason on a skip. */
  message: string;
  /** What to do next (warn, fail), or how to run a skipped check. Self-contained: never "see above". */
  hint?: string;
  /** The file, flag or environment variable the problem is in. */
  source?: string;
  /** JSON Pointer into `source` when it is a JSON file. */
  path?: string;
  /** The stable error code of the underlying problem (`TABLE_NOT_FOUND`, ...), when there is one. */
  code?: string;
}

type CheckFields = Omit<Check, 'id' | 'group' | 'status' | 'message'>;

/** Builds checks of one group without repeating it. */
export function checksOf(group: CheckGroup) {
  const make =
    (status: CheckStatus) =>
    (id: string, message: string, fields: CheckFields = {}): Check =>
      compact({ id, group, status, message, ...fields });
  return { pass: make('pass'), warn: make('warn'), fail: make('fail'), skipped: make('skipped') };
}

/** Leaves out the optional fields that are undefined, so `--json` carries no `"hint": null` noise. */
function compact(check: Check): Check {
  const out = { ...check };
  for (const key of ['hint', 'source', 'path', 'code'] as const) if (out[key] === undefined) delete out[key];
  return out;
}

/** The same check skipped for one reason: used when what a group needs failed earlier. */
export function skipAll(group: CheckGroup, ids: readonly string[], reason: string, hint?: string): Check[] {
  return ids.map((id) => compact({ id, group, status: 'skipped', message: reason, hint }));
}

/** A config issue as a check: the issue's file, JSON Pointer, message and hint are kept. */
export function checkFromIssue(
  id: string,
  group: CheckGroup,
  status: 'fail' | 'warn',
  issue: ValidationIssue,
): Check {
  return compact({
    id,
    group,
    status,
    message: issue.message,
    hint: issue.hint,
    source: issue.source,
    path: issue.path === '' ? undefined : issue.path,
  });
}

/** How many checks ended in each status. */
export type CheckCounts = Record<CheckStatus, number>;

export function countChecks(checks: readonly Check[]): CheckCounts {
  const counts: CheckCounts = { pass: 0, warn: 0, fail: 0, skipped: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

/** True when the checks refuse the inputs: a failure, or with `strict` a warning too. */
export function checksRefuse(checks: readonly Check[], strict: boolean): boolean {
  return checks.some((c) => c.status === 'fail' || (strict && c.status === 'warn'));
}

/** The checks in group order (stable within a group), as they are printed. */
export function sortChecks(checks: readonly Check[]): Check[] {
  const rank = (c: Check) => CHECK_GROUPS.indexOf(c.group);
  return checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map(({ c }) => c);
}

/** A failed or warning check as a `ValidationIssue`, for the `UserError` submit throws. */
export function checkToIssue(check: Check): ValidationIssue {
  const issue: ValidationIssue = {
    source: check.source ?? check.id,
    path: check.path ?? '',
    message: check.message,
  };
  if (check.hint !== undefined) issue.hint = check.hint;
  return issue;
}
