/**
 * One Service Quotas read: a quota's value for the account, or AWS's default when the account has
 * none applied. A caller without the permission gets `ACCESS_DENIED` (the check is then skipped).
 */
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient as SdkServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';

import { UserError } from '../domain/errors.js';
import { clientConfig, type AwsAccess } from './access.js';
import { connectionCode, errorName, isAccessDenied, isNotImplemented, notImplemented } from './sdk-errors.js';
import { mapStsError } from './sts.js';

export interface QuotaValue {
  value: number;
  /** True for the account's applied value, false for AWS's default. */
  applied: boolean;
}

export interface ServiceQuotasClient {
  getQuota(serviceCode: string, quotaCode: string): Promise<QuotaValue | null>;
  destroy(): void;
}

/** Builds the Service Quotas adapter. Each call makes its own SDK client. */
export function createServiceQuotasClient(access: AwsAccess): ServiceQuotasClient {
  const sdk = new SdkServiceQuotasClient(clientConfig(access));
  const mapped = (error: unknown, permission: string): unknown => {
    if (isAccessDenied(error)) {
      return new UserError(`not allowed to call ${permission}`, {
        code: 'ACCESS_DENIED',
        hint: `Grant the caller ${permission} to check the vCPU quota (\`populator iam-policy\` prints the caller's policy).`,
        cause: error,
      });
    }
    if (isNotImplemented(error)) return notImplemented(permission, access.endpoint, error);
    const code = connectionCode(error);
    if (code !== undefined || errorName(error) === 'TimeoutError') {
      return new UserError(
        `cannot reach Service Quotas at ${access.endpoint ?? `its endpoint in ${access.region}`} (${code ?? 'timeout'})`,
        {
          code: 'QUOTAS_UNREACHABLE',
          hint: 'Check the network; AWS_ENDPOINT_URL_SERVICE_QUOTAS overrides the endpoint.',
          cause: error,
        },
      );
    }
    return mapStsError(error, access);
  };
  return {
    async getQuota(serviceCode, quotaCode) {
      try {
        const out = await sdk.send(
          new GetServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }),
        );
        if (out.Quota?.Value !== undefined) return { value: out.Quota.Value, applied: true };
      } catch (error) {
        // No applied value: the account has the default.
        if (errorName(error) !== 'NoSuchResourceException')
          throw mapped(error, 'servicequotas:GetServiceQuota');
      }
      try {
        const out = await sdk.send(
          new GetAWSDefaultServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }),
        );
        return out.Quota?.Value === undefined ? null : { value: out.Quota.Value, applied: false };
      } catch (error) {
        if (errorName(error) === 'NoSuchResourceException') return null;
        throw mapped(error, 'servicequotas:GetAWSDefaultServiceQuota');
      }
    },
    destroy() {
      sdk.destroy();
    },
  };
}
