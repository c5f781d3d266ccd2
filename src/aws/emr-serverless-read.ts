/**
 * The EMR Serverless reads validate makes (GetApplication), kept apart from the runner's adapter
 * (`emr-serverless.ts`: job runs) so each stays as narrow as its user. Answers come back as the
 * checks' `ApplicationFacts`.
 */
import { EMRServerlessClient, GetApplicationCommand } from '@aws-sdk/client-emr-serverless';

import type { ApplicationFacts } from '../domain/checks/emr.js';
import { UserError } from '../domain/errors.js';
import { clientConfig, type AwsAccess } from './access.js';
import { connectionCode, errorName, isAccessDenied, isNotImplemented, notImplemented } from './sdk-errors.js';
import { mapStsError } from './sts.js';

export interface EmrServerlessReader {
  /** The application, or null when there is none with that id. */
  getApplication(id: string): Promise<ApplicationFacts | null>;
  destroy(): void;
}

/** Builds the reader. Each call makes its own SDK client: nothing is cached at module level. */
export function createEmrServerlessReader(access: AwsAccess): EmrServerlessReader {
  const sdk = new EMRServerlessClient(clientConfig(access));
  return {
    async getApplication(id) {
      let app;
      try {
        app = (await sdk.send(new GetApplicationCommand({ applicationId: id }))).application;
      } catch (error) {
        // AWS answers 404 ResourceNotFoundException; moto a 400 ValidationException naming the id.
        const name = errorName(error);
        if (
          name === 'ResourceNotFoundException' ||
          (name === 'ValidationException' &&
            /not\s*found|does not exist/i.test(String((error as Error).message)))
        ) {
          return null;
        }
        throw mapEmrError(error, access);
      }
      if (app === undefined) return null;
      return {
        id: app.applicationId ?? id,
        ...(app.name ? { name: app.name } : {}),
        state: app.state ?? 'UNKNOWN',
        ...(app.stateDetails ? { stateDetails: app.stateDetails } : {}),
        type: app.type ?? '',
        releaseLabel: app.releaseLabel ?? '',
        ...(app.architecture ? { architecture: app.architecture } : {}),
        ...(app.maximumCapacity
          ? {
              maximumCapacity: {
                cpu: app.maximumCapacity.cpu,
                memory: app.maximumCapacity.memory,
                ...(app.maximumCapacity.disk ? { disk: app.maximumCapacity.disk } : {}),
              },
            }
          : {}),
        // EMR Serverless starts a stopped application for a job unless auto-start was turned off.
        autoStartEnabled: app.autoStartConfiguration?.enabled ?? true,
        subnetIds: app.networkConfiguration?.subnetIds ?? [],
      };
    },
    destroy() {
      sdk.destroy();
    },
  };
}

/** EMR Serverless errors as `UserError`s; anything unknown unchanged. */
export function mapEmrError(error: unknown, access: AwsAccess): unknown {
  if (isAccessDenied(error)) {
    return new UserError('not allowed to call emr-serverless:GetApplication', {
      code: 'ACCESS_DENIED',
      hint: "Grant the caller emr-serverless:GetApplication on the application (`populator iam-policy` prints the caller's policy).",
      cause: error,
    });
  }
  const code = connectionCode(error);
  if (code !== undefined || errorName(error) === 'TimeoutError') {
    return new UserError(
      `cannot reach EMR Serverless at ${access.endpoint ?? `its endpoint in ${access.region}`} (${code ?? 'timeout'})`,
      {
        code: 'EMR_UNREACHABLE',
        hint: 'Check the network and the region; AWS_ENDPOINT_URL_EMR_SERVERLESS overrides the endpoint.',
        cause: error,
      },
    );
  }
  if (isNotImplemented(error)) return notImplemented('emr-serverless:GetApplication', access.endpoint, error);
  return mapStsError(error, access);
}
