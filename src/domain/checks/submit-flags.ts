/**
 * The checks of the flags only a submit has (`validate` takes the same command line and checks them
 * too): both application flags, --name, --timeout, --release-label, --tag. Pure: known without a
 * request.
 */
import { checksOf, type Check } from '../checks.js';
import { DEFAULT_RELEASE_LABEL } from '../emr.js';
import { describeFamily, familyOfRelease, SPARK_FAMILY, type SparkFamily } from '../spark-family.js';
import type { ValidationIssue } from '../errors.js';
import { RUN_NAME_PATTERN } from '../run-record.js';
import type { SizingInput } from '../emr-sizing.js';

/** The EMR Serverless flags, as given. */
export interface EmrSubmitFlags {
  applicationId?: string;
  createApplication?: boolean;
  /** With --create-application. */
  releaseLabel?: string;
  /** `--spark`: with --release-label, the two must agree. */
  spark?: string;
  executionRoleArn?: string;
  /** The run's name (and the job run's): also what makes a second run of the same inputs a new one. */
  name?: string;
  /** `key=value`. */
  tags?: readonly string[];
  timeoutMinutes?: number;
  sizing?: SizingInput;
}

/** Tag keys and values as EMR Serverless takes them. */
const TAG_KEY = /^[A-Za-z0-9 /_.:=+@-]{1,128}$/;
const TAG_VALUE = /^[A-Za-z0-9 /_.:=+@-]{0,256}$/;
/** From emr-7.11 a batch job may run 7 days at most (0 is refused). */
export const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;
/** The service refuses a shorter execution timeout. */
export const MIN_TIMEOUT_MINUTES = 5;

function issue(source: string, message: string, hint: string): ValidationIssue {
  return { source, path: '', message, hint };
}

/** Parses `k=v` tags, every bad one reported. */
export function parseTags(tags: readonly string[], issues: ValidationIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const eq = t.indexOf('=');
    const key = eq < 0 ? t : t.slice(0, eq);
    const value = eq < 0 ? '' : t.slice(eq + 1);
    if (eq < 0 || !TAG_KEY.test(key) || !TAG_VALUE.test(value)) {
      issues.push(
        issue(
          '--tag',
          `--tag ${JSON.stringify(t)} is not KEY=VALUE with a key of 1-128 and a value of up to 256 letters, digits, spaces or _.:/=+-@`,
          'Write it as --tag team=data (once per tag).',
        ),
      );
      continue;
    }
    out[key] = value;
  }
  if (Object.keys(out).length > 50) issues.push(issue('--tag', 'more than 50 tags', 'Give 50 tags at most.'));
  return out;
}

/**
 * The problems of the flags only `submit` has (not `validate`): both application flags, --name,
 * --timeout, --release-label, --tag. Known without a request; `submit` lists them with the
 * validator's failures, so every problem is reported at once.
 */
export function submitOnlyFlagIssues(f: EmrSubmitFlags): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (f.applicationId !== undefined && f.createApplication === true) {
    issues.push(
      issue(
        '--create-application',
        'both --application-id and --create-application are given',
        'Give one of them.',
      ),
    );
  }
  if (f.name !== undefined && !RUN_NAME_PATTERN.test(f.name)) {
    issues.push(
      issue(
        '--name',
        `--name ${JSON.stringify(f.name)} is not a run name: 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit`,
        "It names the run's folder too: e.g. --name backfill-2021.",
      ),
    );
  }
  if (
    f.timeoutMinutes !== undefined &&
    (f.timeoutMinutes < MIN_TIMEOUT_MINUTES || f.timeoutMinutes > MAX_TIMEOUT_MINUTES)
  ) {
    issues.push(
      issue(
        '--timeout',
        `--timeout ${f.timeoutMinutes} is outside ${MIN_TIMEOUT_MINUTES}-${MAX_TIMEOUT_MINUTES} minutes (7 days)`,
        'Give the minutes the job may run before EMR Serverless cancels it.',
      ),
    );
  }
  if (f.createApplication === true && f.releaseLabel !== undefined) {
    const family = familyOfRelease(f.releaseLabel);
    if (family === undefined) {
      issues.push(
        issue(
          '--release-label',
          `--release-label ${f.releaseLabel} is not a release the job runs on: emr-7.x (Spark 3.5) or emr-spark-8.x (Spark 4.0)`,
          `Leave it out for ${DEFAULT_RELEASE_LABEL} (or ${SPARK_FAMILY['4.0'].defaultReleaseLabel} with --spark 4.0), or give another emr-7.x or emr-spark-8.x label.`,
        ),
      );
    } else if (f.spark !== undefined && f.spark !== family) {
      issues.push(
        issue(
          '--release-label',
          `--release-label ${f.releaseLabel} runs ${describeFamily(family)}, but --spark ${f.spark} was asked for`,
          `Give one of them (--spark ${f.spark} alone makes a ${SPARK_FAMILY[f.spark as SparkFamily]?.defaultReleaseLabel ?? SPARK_FAMILY['3.5'].defaultReleaseLabel} application).`,
        ),
      );
    }
  }
  parseTags(f.tags ?? [], issues);
  return issues;
}

/** The same problems as checks of the flags group, one per flag (a pass when none). */
export function submitFlagChecks(f: EmrSubmitFlags): Check[] {
  const { pass, fail } = checksOf('flags');
  const issues = submitOnlyFlagIssues(f);
  if (issues.length === 0)
    return [pass('flags.submit', 'the run name, tags, timeout and release label are valid')];
  return issues.map((i) =>
    fail('flags.submit', i.message, {
      source: i.source,
      ...(i.hint ? { hint: i.hint } : {}),
      code: 'INVALID_FLAGS',
    }),
  );
}
