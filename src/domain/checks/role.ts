/**
 * The execution role as checks: its trust policy lets EMR Serverless assume it for this
 * application, and a policy simulation says it may do what the job does. The trust policy is
 * evaluated here (Allow/Deny, actions, the service principal and the usual confused-deputy
 * conditions); the simulation is IAM's, its answers are turned into checks.
 */
import { checksOf, type Check } from '../checks.js';
import { EMR_SERVERLESS_PRINCIPAL, type SimulatedRequest } from '../iam-policy.js';

const { pass, warn, fail } = checksOf('role');

export const ROLE_CHECK_IDS = ['role.exists', 'role.trust', 'role.permissions'];

type Json = unknown;

function asArray(value: Json): Json[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** IAM's wildcard match (`*` any run, `?` one character), case-sensitive unless told otherwise. */
export function iamLike(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

function actionMatches(action: Json): boolean {
  return asArray(action).some((a) => typeof a === 'string' && iamLike(a, 'sts:AssumeRole', true));
}

function principalMatches(principal: Json): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as Record<string, Json>;
  if (asArray(p.AWS).includes('*')) return true;
  return asArray(p.Service).some((s) => s === EMR_SERVERLESS_PRINCIPAL || s === '*');
}

/** Context EMR Serverless sends when it assumes the role for a job. */
export interface AssumeContext {
  sourceAccount: string;
  sourceArn: string;
}

type ConditionResult = 'match' | 'no-match' | 'unknown';

/** Evaluates the condition operators a trust policy uses on aws:SourceAccount / aws:SourceArn; anything else is `unknown`. */
function conditionMatches(
  condition: Json,
  ctx: AssumeContext,
): { result: ConditionResult; unknownKeys: string[] } {
  if (condition === undefined) return { result: 'match', unknownKeys: [] };
  if (typeof condition !== 'object' || condition === null) return { result: 'unknown', unknownKeys: ['?'] };
  const values: Record<string, string> = {
    'aws:sourceaccount': ctx.sourceAccount,
    'aws:sourcearn': ctx.sourceArn,
  };
  const unknownKeys: string[] = [];
  let result: ConditionResult = 'match';
  for (const [operator, keys] of Object.entries(condition as Record<string, Json>)) {
    if (typeof keys !== 'object' || keys === null) return { result: 'unknown', unknownKeys: [operator] };
    for (const [key, expected] of Object.entries(keys as Record<string, Json>)) {
      const actual = values[key.toLowerCase()];
      const op = operator.replace(/IfExists$/, '');
      const patterns = asArray(expected).map(String);
      if (actual === undefined || !['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'].includes(op)) {
        unknownKeys.push(`${operator} ${key}`);
        continue;
      }
      const like = op === 'StringLike' || op === 'ArnLike';
      if (!patterns.some((pt) => (like ? iamLike(pt, actual) : pt === actual))) result = 'no-match';
    }
  }
  return { result: result === 'match' && unknownKeys.length > 0 ? 'unknown' : result, unknownKeys };
}

/** Whether the trust policy lets EMR Serverless assume the role for this application. */
export function evaluateTrustPolicy(
  document: Json,
  ctx: AssumeContext,
): { admits: boolean; deniedBy?: string; unknownConditions: string[] } {
  const statements = asArray((document as { Statement?: Json } | null)?.Statement);
  let admits = false;
  const unknownConditions: string[] = [];
  for (const [i, raw] of statements.entries()) {
    if (typeof raw !== 'object' || raw === null) continue;
    const s = raw as Record<string, Json>;
    if (!actionMatches(s.Action) || !principalMatches(s.Principal)) continue;
    const cond = conditionMatches(s.Condition, ctx);
    const sid = typeof s.Sid === 'string' ? s.Sid : `statement ${i + 1}`;
    if (s.Effect === 'Deny' && cond.result !== 'no-match')
      return { admits: false, deniedBy: sid, unknownConditions };
    if (s.Effect === 'Allow' && cond.result !== 'no-match') {
      admits = true;
      unknownConditions.push(...cond.unknownKeys);
    }
  }
  return { admits, unknownConditions };
}

/** The trust check, from the role's trust policy document. */
export function trustCheck(roleArn: string, document: Json, ctx: AssumeContext): Check {
  const r = evaluateTrustPolicy(document, ctx);
  if (r.deniedBy !== undefined) {
    return fail(
      'role.trust',
      `the trust policy of ${roleArn} denies ${EMR_SERVERLESS_PRINCIPAL} (${r.deniedBy})`,
      {
        code: 'ROLE_TRUST',
        hint: 'Remove the Deny for EMR Serverless from the trust policy; `populator iam-policy` prints one that works.',
      },
    );
  }
  if (!r.admits) {
    return fail(
      'role.trust',
      `the trust policy of ${roleArn} does not let ${EMR_SERVERLESS_PRINCIPAL} assume it for application ${ctx.sourceArn.split('/').pop() ?? ''}`,
      {
        code: 'ROLE_TRUST',
        hint: `Allow sts:AssumeRole to the service principal ${EMR_SERVERLESS_PRINCIPAL} (aws iam update-assume-role-policy; \`populator iam-policy\` prints the document).`,
      },
    );
  }
  if (r.unknownConditions.length > 0) {
    return warn(
      'role.trust',
      `the trust policy admits ${EMR_SERVERLESS_PRINCIPAL} under conditions populator cannot evaluate (${r.unknownConditions.join(', ')})`,
      { hint: 'Check that those conditions hold for EMR Serverless job runs of this application.' },
    );
  }
  return pass('role.trust', `the trust policy lets ${EMR_SERVERLESS_PRINCIPAL} assume ${roleArn}`);
}

/** One simulated request's decision (`allowed`, `explicitDeny`, `implicitDeny`). */
export interface SimulationDecision {
  request: SimulatedRequest;
  decision: string;
}

/** The permissions check, from the simulation of every request the job makes. */
export function permissionsCheck(roleArn: string, decisions: readonly SimulationDecision[]): Check {
  const denied = decisions.filter((d) => d.decision !== 'allowed');
  if (denied.length === 0) {
    return pass(
      'role.permissions',
      `the policy simulation allows everything the job does (${[...new Set(decisions.map((d) => d.request.action))].join(', ')})`,
    );
  }
  const list = denied
    .map(
      (d) =>
        `${d.request.action} on ${d.request.resource} to ${d.request.purpose}${d.decision === 'explicitDeny' ? ' (explicitly denied)' : ''}`,
    )
    .join('; ');
  return fail('role.permissions', `${roleArn} may not ${list}`, {
    code: 'ROLE_PERMISSIONS',
    hint: 'Attach the permissions policy `populator iam-policy` prints (aws iam put-role-policy), then validate again.',
  });
}
