/**
 * The application a job run goes to: the one checked, or one `--create-application` creates (the
 * release label the jar needs, auto-start and auto-stop on, x86_64), waited for until it can take
 * a job, and said out loud so the next submit can name it.
 */
import type { EmrServerlessClient } from '../aws/emr-serverless.js';
import { clientTokenFor } from '../domain/emr.js';
import { UserError } from '../domain/errors.js';
import { sleep } from '../runners/follow.js';
import type { CheckedEmr } from './submit-inputs.js';

/** The name of the applications populator creates. */
export const CREATED_APPLICATION_NAME = 'populator';
/** How long a new application may take to leave CREATING. */
const CREATE_TIMEOUT_MS = 5 * 60_000;

export interface EnsuredApplication {
  applicationId: string;
  releaseLabel: string;
  created: boolean;
}

export async function ensureApplication(o: {
  emr: EmrServerlessClient;
  application: CheckedEmr['application'];
  region: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  pollMs?: number;
}): Promise<EnsuredApplication> {
  if (o.application.kind === 'existing') {
    return {
      applicationId: o.application.info.applicationId,
      releaseLabel: o.application.info.releaseLabel,
      created: false,
    };
  }
  const releaseLabel = o.application.releaseLabel;
  // A retried --create-application finds the application the first attempt made.
  const clientToken = clientTokenFor({
    operation: 'CreateApplication',
    name: CREATED_APPLICATION_NAME,
    releaseLabel,
    region: o.region,
  });
  const { applicationId } = await o.emr.createApplication({
    name: CREATED_APPLICATION_NAME,
    releaseLabel,
    clientToken,
    tags: { 'created-by': 'populator' },
  });
  o.log(
    `Created EMR Serverless application ${applicationId} (${releaseLabel}, x86_64, auto-stop after 15 idle minutes). ` +
      `Next time pass --application-id ${applicationId} (or set POPULATOR_APPLICATION_ID=${applicationId}).`,
  );
  const deadline = Date.now() + CREATE_TIMEOUT_MS;
  for (;;) {
    const app = await o.emr.findApplication(applicationId);
    if (app === null) {
      throw new UserError(`The new application ${applicationId} is not there any more.`, {
        code: 'APPLICATION_NOT_FOUND',
        hint: 'It was deleted while it was being created: submit again (with --create-application).',
      });
    }
    if (app.state !== 'CREATING') {
      if (app.state === 'TERMINATED') {
        throw new UserError(
          `The new application ${applicationId} ended TERMINATED: ${app.stateDetails ?? 'no reason given'}.`,
          {
            code: 'APPLICATION_STATE',
            hint: `\`aws emr-serverless get-application --application-id ${applicationId}\` shows it; fix what it names and submit again.`,
          },
        );
      }
      return { applicationId, releaseLabel: app.releaseLabel || releaseLabel, created: true };
    }
    if (Date.now() > deadline || o.signal?.aborted) {
      throw new UserError(`The new application ${applicationId} is still CREATING.`, {
        code: 'APPLICATION_STATE',
        hint: `Submit again with --application-id ${applicationId} once it is CREATED.`,
      });
    }
    await sleep(o.pollMs ?? 2000, o.signal);
  }
}
