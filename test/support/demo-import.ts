/**
 * The import leg of the repository's demo (`npm run demo:import`): moto's server, started once, is
 * both stand-ins: its S3 holds the archive and the staging folder, its DynamoDB the table that
 * `submit --import --runner local` creates (ImportTable from the job's files, followed to its end,
 * TTL switched on). No table is created beforehand. Test infrastructure: no part of the npm package.
 */
import {
  DEMO_KEYS,
  DEMO_REGION,
  type DemoDynamo,
  type DemoSubmit,
  type StartDemoDynamo,
} from '../../src/services/demo.js';
import { submit, type SubmitResult } from '../../src/services/submit.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';

const DEMO_BUCKET = 'populator-demo';

/** The two halves of the import demo, sharing one moto server: pass both to `runDemo`. */
export interface ImportDemo {
  startDynamo: StartDemoDynamo;
  submitJob: DemoSubmit;
}

/** A new import demo (one moto server per demo run). */
export function importDemo(o: { importFollowIntervalMs?: number } = {}): ImportDemo {
  let moto: S3Emulator | undefined;
  const startDynamo: StartDemoDynamo = async (demo): Promise<DemoDynamo> => {
    demo.log("Starting moto's server on 127.0.0.1 (the offline S3 and DynamoDB; no table is created)");
    const started = await startS3Emulator({ region: DEMO_REGION, credentials: DEMO_KEYS });
    moto = started;
    return { endpoint: started.endpoint, createTable: false, stop: () => started.stop() };
  };
  const submitJob: DemoSubmit = async (common, x): Promise<SubmitResult> => {
    if (moto === undefined) throw new Error('the import demo submits only after its startDynamo');
    await moto.createBucket(DEMO_BUCKET);
    await moto.uploadDir(DEMO_BUCKET, 'enriched', x.archiveDir);
    x.o.log(`Uploaded the archive to s3://${DEMO_BUCKET}/enriched/ on ${moto.endpoint}`);
    const r = await submit({
      ...common,
      archive: `s3://${DEMO_BUCKET}/enriched/`,
      // ImportTable reads S3 only: the local job writes the import files there through S3A.
      staging: `s3://${DEMO_BUCKET}/populator/`,
      runner: 'local',
      import: {},
      credentials: DEMO_KEYS,
      s3Endpoint: moto.endpoint,
      dynamodbEndpoint: moto.endpoint,
      // The local job's S3A reads and writes with the environment's keys.
      env: {
        ...x.o.env,
        AWS_ACCESS_KEY_ID: DEMO_KEYS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DEMO_KEYS.secretAccessKey,
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        AWS_ENDPOINT_URL: '',
      },
      importFollowIntervalMs: o.importFollowIntervalMs ?? 1000,
    });
    if (r.status !== 'SUCCEEDED') throw new Error(`the demo's submit --import ended ${r.status}`);
    return r;
  };
  return { startDynamo, submitJob };
}
