/**
 * The npm package as a user installs it, on a machine without Java or Maven: a copy of the project
 * is `npm pack`ed (its prepack copies the fresh spark/target jars into jars/, building nothing), the
 * tarball installed into a temporary prefix, and the installed `populator` run with PATH holding
 * only Node.js and the prefix (no java, no mvn, no JAVA_HOME): `validate` passes without them and
 * `submit --wait` runs the packaged Spark 3.5 jar on EMR Serverless (the emulator, which runs the job
 * with this machine's Java; moto's S3, dynalite) and back-fills the table exactly.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateApplicationCommand, EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/domain/checks.js';
import { compareKeys } from '../../src/domain/enriched.js';
import { jarIsStale, jobJarPath } from '../../src/local/jar.js';
import { readLocalJarInfo } from '../../src/local/file-range.js';
import { packagedJarName } from '../../src/local/packaged-jars.js';
import { findOnPath } from '../../src/local/toolchain.js';
import { sha256File } from '../../src/services/package-jar.js';
import { writeDemoArchive, type DemoArchiveManifest } from '../../src/services/demo-archive.js';
import { startEmrServerlessEmulator, type EmrServerlessEmulator } from '../support/emr-serverless/index.js';
import { startLocalStack, TEST_KEYS, TEST_REGION, type LocalStack } from '../helpers/local-stack.js';
import { defaultManifest } from '../helpers/oracle.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';

const NOW = DateTime.utc();
const BUCKET = 'acme';
const ARCHIVE = `s3://${BUCKET}/enriched/archive/`;
const STAGING = `s3://${BUCKET}/populator/`;
const ROLE = 'arn:aws:iam::123456789012:role/populator-job';
const CALLER_KEYS = { accessKeyId: 'AKIDCLICALLER', secretAccessKey: 'caller-secret-for-the-cli' };
const root = path.resolve('.');

let work: string;
let installed: string;
let populator: string;
let stack: LocalStack;
let s3: S3Emulator;
let emu: EmrServerlessEmulator;
let archive: DemoArchiveManifest;
let applicationId: string;

/** What `npm pack` needs of the project, its jars newer than the copied sources, node_modules linked. */
function copyProject(to: string): void {
  for (const p of [
    'package.json',
    'README.md',
    'bin',
    'dist',
    'schemas',
    'scripts',
    'src',
    'spark/pom.xml',
    'spark/src',
  ])
    cpSync(path.join(root, p), path.join(to, p), { recursive: true, preserveTimestamps: true });
  for (const family of ['3.5', '4.0'] as const) {
    const jar = jobJarPath(path.join(root, 'spark'), family);
    const target = path.join(to, path.relative(root, jar));
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(jar, target);
    // Fresh in the project (checked first), so fresh in the copy: copying gave its folders new times.
    const now = new Date();
    utimesSync(target, now, now);
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(to, 'node_modules'));
}

/** A PATH with Node.js and the installed `populator` only: no java, no mvn. */
function userEnv(): NodeJS.ProcessEnv {
  const nodeBin = path.join(work, 'node-bin');
  if (!existsSync(nodeBin)) {
    mkdirSync(nodeBin);
    symlinkSync(process.execPath, path.join(nodeBin, 'node'));
  }
  const env: NodeJS.ProcessEnv = {
    HOME: path.join(work, 'home'),
    PATH: [nodeBin, path.join(installed, 'bin')].join(path.delimiter),
    XDG_CONFIG_HOME: path.join(work, 'config'),
    XDG_CACHE_HOME: path.join(work, 'cache'),
    AWS_ACCESS_KEY_ID: CALLER_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CALLER_KEYS.secretAccessKey,
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint,
    AWS_ENDPOINT_URL_EMR_SERVERLESS: emu.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return env;
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      populator,
      args,
      { env: userEnv(), cwd: work, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function storageConfig(table: string): string {
  const file = path.join(work, `${table}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/1-0-1',
      data: {
        name: 'manifest',
        // Never used on EMR Serverless (the job writes with its execution role).
        accessKeyId: 'AKIASTORAGECONFIGKEY1',
        secretAccessKey: 'storage-config-secret-never-sent-42',
        awsRegion: TEST_REGION,
        dynamodbTable: table,
        id: '56799a26-980c-4148-8bd9-c021b988c669',
        purpose: 'DUPLICATE_TRACKING',
      },
    }),
  );
  return file;
}

function emrArgs(table: string): string[] {
  return [
    ARCHIVE,
    storageConfig(table),
    stack.resolver,
    '--application-id',
    applicationId,
    '--execution-role-arn',
    ROLE,
    '--staging',
    STAGING,
  ];
}

beforeAll(async () => {
  for (const family of ['3.5', '4.0'] as const) {
    if (jarIsStale(path.join(root, 'spark'), family))
      throw new Error(
        `spark/target's Spark ${family} jar is missing or stale: build both jars first (npm test does).`,
      );
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'populator-package-e2e-'));
  const project = path.join(work, 'project');
  copyProject(project);
  const started = startS3AndStack();
  const npm = promisify(execFile);
  // prepack (pack:jars) runs here: it must copy the fresh jars, not build them.
  const { stdout, stderr } = await npm('npm', ['pack', '--pack-destination', work, '--json'], {
    cwd: project,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(stderr).not.toContain('(built)');
  const [pack] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  expect(pack.files.map((f) => f.path).filter((f) => f.startsWith('jars/'))).toHaveLength(2);
  installed = path.join(work, 'prefix');
  const tarball = path.join(work, pack.filename);
  await npm(
    'npm',
    ['install', '--global', '--prefix', installed, '--no-audit', '--no-fund', '--prefer-offline', tarball],
    { cwd: work },
  );
  populator = path.join(installed, 'bin', 'populator');
  await started;
}, 300_000);

/** The stand-ins and the archive, started while the package is packed and installed. */
async function startS3AndStack(): Promise<void> {
  [stack, s3] = await Promise.all([
    startLocalStack(),
    startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS }),
  ]);
  archive = await writeDemoArchive({
    dir: path.join(work, 'archive'),
    seed: 5,
    events: 200,
    firstRun: NOW.minus({ days: 2 }),
  });
  await s3.createBucket(BUCKET);
  await s3.uploadDir(BUCKET, 'enriched/archive', archive.dir);
  emu = await startEmrServerlessEmulator({
    region: TEST_REGION,
    s3: { endpoint: s3.endpoint, credentials: TEST_KEYS },
    executionRoleCredentials: TEST_KEYS,
    jobEnv: { AWS_ENDPOINT_URL_DYNAMODB: stack.dynalite.endpoint },
    env: process.env,
    projectRoot: root,
    cacheDir: path.join(os.homedir(), '.cache', 'populator'),
    delays: { applicationCreateMs: 100, applicationStartMs: 100, jobSubmittedMs: 100, jobScheduledMs: 100 },
    logUploadIntervalMs: 2000,
  });
  const emr = new EMRServerlessClient({
    region: TEST_REGION,
    endpoint: emu.endpoint,
    credentials: CALLER_KEYS,
  });
  try {
    const app = await emr.send(
      new CreateApplicationCommand({
        name: 'populator',
        releaseLabel: 'emr-7.5.0',
        type: 'SPARK',
        clientToken: 'pkg-e2e',
      }),
    );
    applicationId = app.applicationId as string;
  } finally {
    emr.destroy();
  }
}

afterAll(async () => {
  await emu?.stop();
  await Promise.all([stack?.stop(), s3?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the installed package, without Java or Maven', () => {
  it('ships both jars and no job source, and the user PATH has no java or mvn', async () => {
    const pkg = path.join(installed, 'lib', 'node_modules', 'populator');
    expect(readdirSync(path.join(pkg, 'jars')).sort()).toEqual([
      packagedJarName('0.1.0', '3.5'),
      packagedJarName('0.1.0', '4.0'),
    ]);
    expect(existsSync(path.join(pkg, 'spark', 'src'))).toBe(false);
    // The packaged jars are spark/target's, copied: pack:jars built nothing.
    expect(await sha256File(path.join(pkg, 'jars', packagedJarName('0.1.0', '4.0')))).toBe(
      await sha256File(jobJarPath(path.join(root, 'spark'), '4.0')),
    );
    expect(await readLocalJarInfo(path.join(pkg, 'jars', packagedJarName('0.1.0', '3.5')))).toMatchObject({
      version: '0.1.0',
      scalaBinaryVersion: '2.12',
    });
    const env = userEnv();
    expect(findOnPath('java', env)).toBeUndefined();
    expect(findOnPath('mvn', env)).toBeUndefined();
    expect(env.JAVA_HOME).toBeUndefined();
  });

  it('validate passes: the packaged jar is used, Java and Maven are not needed', async () => {
    await stack.dynamo.createManifestTable('manifest-validate', { billingMode: 'PAY_PER_REQUEST' });
    const r = await run(['validate', ...emrArgs('manifest-validate'), '--json']);
    const doc = JSON.parse(r.stdout) as { checks: Check[] };
    const byId = (id: string): Check | undefined => doc.checks.find((c) => c.id === id);
    expect(
      doc.checks.filter((c) => c.status === 'fail'),
      r.stdout,
    ).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(byId('toolchain.jar')).toMatchObject({ status: 'pass' });
    expect(byId('toolchain.jar')?.message).toContain(path.join('jars', packagedJarName('0.1.0', '3.5')));
    expect(byId('toolchain.java')).toMatchObject({ status: 'skipped' });
    expect(byId('toolchain.java')?.message).toContain('comes with populator');
    expect(byId('toolchain.maven')).toMatchObject({ status: 'skipped' });
    expect(
      doc.checks.filter(
        (c) => c.id.startsWith('toolchain.') && c.status === 'warn' && c.id !== 'toolchain.node',
      ),
    ).toEqual([]);
  }, 120_000);

  it('submit --wait stages the packaged jar and back-fills the table exactly', async () => {
    const table = 'manifest-main';
    await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
    const expected = defaultManifest(archive.runs, NOW);
    const r = await run(['submit', ...emrArgs(table), '--write-rate', '2000', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      status: string;
      plan: { job: { jar: string } };
      emr: { jar: string };
      summary: { counters: unknown };
    };
    expect(doc.status).toBe('SUCCEEDED');
    expect(doc.plan.job.jar).toContain('comes with populator 0.1.0');
    const sha = await sha256File(jobJarPath(path.join(root, 'spark'), '3.5'));
    expect(doc.emr.jar).toBe(`${STAGING}jars/populator-job-0.1.0-${sha.slice(0, 12)}.jar`);
    expect(r.stderr).not.toMatch(/maven|mvn/i);
    expect(doc.summary.counters).toEqual(expected.counters);
    expect((await stack.dynamo.scanItems(table)).sort(compareKeys)).toEqual(expected.items);
  }, 240_000);
});
