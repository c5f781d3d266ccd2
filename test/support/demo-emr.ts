/**
 * The EMR Serverless leg of the repository's demo (`npm run demo:emr`): moto's S3 server (the
 * archive, the staging folder, the logs), the EMR Serverless emulator running the job on local
 * Spark executor JVMs with the demo keys as its execution role, and `submit` as a user runs it:
 * --create-application, --wait. Test infrastructure: no part of the npm package.
 */
import { DEMO_KEYS, DEMO_REGION, type DemoSubmit } from '../../src/services/demo.js';
import { submit, type SubmitResult } from '../../src/services/submit.js';
import { startS3Emulator } from '../helpers/s3-emulator.js';
import { startEmrServerlessEmulator } from './emr-serverless/index.js';

const DEMO_BUCKET = 'populator-demo';
/** The emulator's account (moto's): the role must be in it. */
const DEMO_ROLE = 'arn:aws:iam::123456789012:role/populator-demo';

/** Uploads the demo archive to moto's S3 and submits it to the EMR Serverless emulator. */
export const submitOnEmulators: DemoSubmit = async (common, x): Promise<SubmitResult> => {
  const o = x.o;
  o.log("Starting moto's S3 server on 127.0.0.1 (the offline S3)");
  const moto = await startS3Emulator({ region: DEMO_REGION, credentials: DEMO_KEYS });
  let emulator: Awaited<ReturnType<typeof startEmrServerlessEmulator>> | undefined;
  try {
    await moto.createBucket(DEMO_BUCKET);
    await moto.uploadDir(DEMO_BUCKET, 'enriched', x.archiveDir);
    o.log(`Uploaded the archive to s3://${DEMO_BUCKET}/enriched/ on ${moto.endpoint}`);
    o.log('Starting the EMR Serverless emulator on 127.0.0.1');
    emulator = await startEmrServerlessEmulator({
      region: DEMO_REGION,
      s3: { endpoint: moto.endpoint, credentials: DEMO_KEYS },
      executionRoleCredentials: DEMO_KEYS,
      jobEnv: { AWS_ENDPOINT_URL_DYNAMODB: x.dynamoEndpoint },
      env: o.env,
      projectRoot: o.projectRoot,
      cacheDir: o.cacheDir,
      delays: {
        applicationCreateMs: 500,
        applicationStartMs: 1000,
        jobSubmittedMs: 500,
        jobScheduledMs: 1000,
      },
      logUploadIntervalMs: 5000,
    });
    const env: NodeJS.ProcessEnv = {
      ...o.env,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_EMR_SERVERLESS: emulator.endpoint,
      AWS_ENDPOINT_URL: '',
    };
    const r = await submit({
      ...common,
      archive: `s3://${DEMO_BUCKET}/enriched/`,
      staging: `s3://${DEMO_BUCKET}/populator/`,
      runner: 'emr-serverless',
      emr: { createApplication: true, executionRoleArn: DEMO_ROLE, tags: ['demo=true'] },
      credentials: DEMO_KEYS,
      s3Endpoint: moto.endpoint,
      env,
      wait: true,
      onUpload: o.onUpload,
      followIntervalMs: 2000,
    });
    if (r.status !== 'SUCCEEDED') throw new Error(`the demo's job run ended ${r.status}`);
    return r;
  } finally {
    await emulator?.stop();
    await moto.stop();
  }
};
