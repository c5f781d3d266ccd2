/**
 * The IAM calls validate makes on the execution role: GetRole (does it exist, whom does it trust)
 * and SimulatePrincipalPolicy (may it do what the job does). A caller without the permission gets
 * a `UserError` with code `ACCESS_DENIED`, which the checks report as skipped, not failed.
 */
import {
  GetRoleCommand,
  IAMClient,
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
} from '@aws-sdk/client-iam';

import { UserError } from '../domain/errors.js';
import type { SimulatedRequest } from '../domain/iam-policy.js';
import { clientConfig, type AwsAccess } from './access.js';
import { connectionCode, errorName, isAccessDenied, isNotImplemented, notImplemented } from './sdk-errors.js';
import { mapStsError } from './sts.js';

export interface RoleDescription {
  arn: string;
  /** The trust policy (AssumeRolePolicyDocument), decoded and parsed; null when unreadable. */
  trustPolicy: unknown;
}

export interface IamClient {
  /** The role, or null when there is no role of that name. */
  getRole(name: string): Promise<RoleDescription | null>;
  /** IAM's decision (`allowed`, `implicitDeny`, `explicitDeny`) for each request, in order. */
  simulate(roleArn: string, requests: readonly SimulatedRequest[]): Promise<string[]>;
  destroy(): void;
}

/** Builds the IAM adapter. Each call makes its own SDK client: nothing is cached at module level. */
export function createIamClient(access: AwsAccess): IamClient {
  const sdk = new IAMClient(clientConfig(access));
  return {
    async getRole(name) {
      try {
        const out = await sdk.send(new GetRoleCommand({ RoleName: name }));
        return {
          arn: out.Role?.Arn ?? '',
          trustPolicy: parsePolicyDocument(out.Role?.AssumeRolePolicyDocument),
        };
      } catch (error) {
        if (errorName(error) === 'NoSuchEntity' || errorName(error) === 'NoSuchEntityException') return null;
        throw mapIamError(error, 'iam:GetRole', access);
      }
    },

    async simulate(roleArn, requests) {
      // One call per resource and context: the API simulates every action against every resource given.
      const groups = new Map<string, number[]>();
      requests.forEach((r, i) => {
        const key = JSON.stringify([r.resource, r.context ?? {}]);
        groups.set(key, [...(groups.get(key) ?? []), i]);
      });
      const decisions: string[] = new Array<string>(requests.length).fill('implicitDeny');
      for (const indexes of groups.values()) {
        const first = requests[indexes[0] ?? 0] as SimulatedRequest;
        const actions = indexes.map((i) => (requests[i] as SimulatedRequest).action);
        const context: ContextEntry[] = Object.entries(first.context ?? {}).map(([key, value]) => ({
          ContextKeyName: key,
          ContextKeyValues: [value],
          ContextKeyType: 'string',
        }));
        let marker: string | undefined;
        do {
          let out;
          try {
            out = await sdk.send(
              new SimulatePrincipalPolicyCommand({
                PolicySourceArn: roleArn,
                ActionNames: actions,
                ResourceArns: [first.resource],
                ...(context.length > 0 ? { ContextEntries: context } : {}),
                Marker: marker,
              }),
            );
          } catch (error) {
            throw mapIamError(error, 'iam:SimulatePrincipalPolicy', access);
          }
          for (const result of out.EvaluationResults ?? []) {
            for (const i of indexes) {
              if (
                (requests[i] as SimulatedRequest).action.toLowerCase() ===
                result.EvalActionName?.toLowerCase()
              ) {
                decisions[i] = result.EvalDecision ?? 'implicitDeny';
              }
            }
          }
          marker = out.IsTruncated === true ? out.Marker : undefined;
        } while (marker !== undefined);
      }
      return decisions;
    },

    destroy() {
      sdk.destroy();
    },
  };
}

/** IAM returns policy documents URL-encoded. */
export function parsePolicyDocument(text: string | undefined): unknown {
  if (text === undefined) return null;
  for (const candidate of [text, safeDecode(text)]) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the decoded form
    }
  }
  return null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** IAM errors as `UserError`s: `ACCESS_DENIED` names the permission; anything unknown unchanged. */
export function mapIamError(error: unknown, permission: string, access: AwsAccess): unknown {
  if (isAccessDenied(error)) {
    return new UserError(`not allowed to call ${permission}`, {
      code: 'ACCESS_DENIED',
      hint: `Grant the caller ${permission} on the execution role to run this check (\`populator iam-policy\` prints the caller's policy).`,
      cause: error,
    });
  }
  if (isNotImplemented(error)) return notImplemented(permission, access.endpoint, error);
  const code = connectionCode(error);
  if (code !== undefined || errorName(error) === 'TimeoutError') {
    return new UserError(
      `cannot reach IAM at ${access.endpoint ?? 'iam.amazonaws.com'} (${code ?? 'timeout'})`,
      {
        code: 'IAM_UNREACHABLE',
        hint: 'Check the network; AWS_ENDPOINT_URL_IAM overrides the endpoint.',
        cause: error,
      },
    );
  }
  return mapStsError(error, access);
}
