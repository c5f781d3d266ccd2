/**
 * The inputs that used to reach Spark (or end as "a bug in populator"), through bin/run.js: each
 * exits 2 with what was wrong and the fix, and neither Java nor Maven is ever started. Java and
 * Maven here are stand-ins that leave a mark when run; the JDK's release file tells the version.
 * Durations are printed, not asserted: the machine is shared.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoArchive } from '../../src/services/demo-archive.js';
import { startLocalStack, type LocalStack } from '../helpers/local-stack.js';

const bin = path.resolve('bin/run.js');
let stack: LocalStack;
let archive: string;
let storage: string;
let fakeJdk: string;
let fakeBin: string;
let marks: string;
let notDynamo: Server;
let notDynamoUrl: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('POPULATOR_')) delete env[k];
  // As in a user's shell: Vitest's NODE_ENV=test turns on oclif's development warnings.
  delete env.NODE_ENV;
  Object.assign(env, {
    JAVA_HOME: fakeJdk,
    PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ''}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    XDG_CACHE_HOME: path.join(stack.dir, 'cache'),
  });
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, cwd: stack.dir }, (err, stdout, stderr) =>
      resolve({
        code: err ? ((err as { code?: number }).code ?? 1) : 0,
        stdout,
        stderr,
        ms: Date.now() - started,
      }),
    );
  });
}

const toolMark = (tool: string) => path.join(marks, `${tool}-started`);

beforeAll(async () => {
  stack = await startLocalStack();
  archive = (
    await writeDemoArchive({
      dir: path.join(stack.dir, 'archive'),
      seed: 9,
      events: 100,
      firstRun: DateTime.utc().minus({ days: 2 }),
    })
  ).dir;
  await stack.dynamo.createManifestTable('manifest-probes', { billingMode: 'PAY_PER_REQUEST' });
  storage = stack.storageConfig('manifest-probes');
  marks = path.join(stack.dir, 'marks');
  mkdirSync(marks);
  fakeJdk = path.join(stack.dir, 'jdk');
  mkdirSync(path.join(fakeJdk, 'bin'), { recursive: true });
  writeFileSync(path.join(fakeJdk, 'release'), 'JAVA_VERSION="17.0.15"\n');
  writeFileSync(
    path.join(fakeJdk, 'bin', 'java'),
    `#!/bin/sh\necho "$@" >> '${toolMark('java')}'\nexit 1\n`,
    { mode: 0o755 },
  );
  fakeBin = path.join(stack.dir, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(path.join(fakeBin, 'mvn'), `#!/bin/sh\necho "$@" >> '${toolMark('mvn')}'\nexit 1\n`, {
    mode: 0o755,
  });
  notDynamo = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<html>a web server</html>');
  });
  await new Promise<void>((resolve) => notDynamo.listen(0, '127.0.0.1', resolve));
  const a = notDynamo.address();
  notDynamoUrl = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (notDynamo ? notDynamo.close(() => resolve()) : resolve()));
  await stack?.stop();
});

const noRuns = () => {
  const dir = path.join(stack.dir, 'no-runs');
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  return dir;
};
const stagingFile = () => {
  const file = path.join(stack.dir, 'staging-file');
  writeFileSync(file, 'not a folder');
  return file;
};

const PROBES: { name: string; args: () => string[]; says: RegExp[] }[] = [
  {
    name: 'an endpoint without a scheme',
    args: () => ['--dynamodb-endpoint', '127.0.0.1:8000'],
    says: [/127\.0\.0\.1:8000" has no http:\/\/ or https:\/\/ scheme/, /http\(s\):\/\/host\[:port\]/],
  },
  {
    name: 'an endpoint that is not DynamoDB',
    args: () => ['--dynamodb-endpoint', notDynamoUrl],
    says: [/does not answer like DynamoDB \(HTTP 404/, /dynalite/],
  },
  {
    name: "--region 'not a region'",
    args: () => ['--region', 'not a region'],
    says: [/--region "not a region" is not an AWS region name/, /us-east-1/],
  },
  {
    name: '--staging that is a file',
    args: () => ['--staging', stagingFile()],
    says: [/is a file, not a folder/, /Give a folder/],
  },
  {
    name: '--driver-memory lots',
    args: () => ['--driver-memory', 'lots'],
    says: [/--driver-memory "lots" is not a memory size the JVM takes/, /--driver-memory 2g/],
  },
  {
    name: 'a local archive without run folders',
    args: () => ['--archive-override', noRuns()],
    says: [
      /holds no run=YYYY-MM-dd-HH-mm-ss folder \(found: tmp\/\)/,
      /directly above the run=\.\.\. folders/,
    ],
  },
  {
    name: 'a selection matching no run',
    args: () => ['--since', '2030-01-01'],
    says: [/no run from 2030-01-01-00-00-00: the archive's \d+ runs go from/, /Move --since\/--until/],
  },
];

function commandLine(command: 'submit' | 'validate', probe: (typeof PROBES)[number]): string[] {
  const extra = probe.args();
  const i = extra.indexOf('--archive-override');
  const archiveArg = i >= 0 ? (extra[i + 1] as string) : archive;
  const flags = i >= 0 ? extra.filter((_, j) => j !== i && j !== i + 1) : extra;
  const withEndpoint = flags.includes('--dynamodb-endpoint')
    ? flags
    : [...flags, '--dynamodb-endpoint', stack.dynalite.endpoint];
  return [command, archiveArg, storage, stack.resolver, '--runner', 'local', ...withEndpoint];
}

describe.each(['submit', 'validate'] as const)('%s refuses, before Java, Maven or Spark', (command) => {
  it.each(PROBES.map((p) => [p.name, p] as const))('%s', async (_name, probe) => {
    const r = await run(commandLine(command, probe));
    const out = command === 'submit' ? r.stderr : r.stdout;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    for (const re of probe.says) expect(out).toMatch(re);
    expect(out).not.toMatch(/bug in populator|listed above/);
    expect(existsSync(toolMark('java')), 'java was started').toBe(false);
    expect(existsSync(toolMark('mvn')), 'mvn was started').toBe(false);
    process.stderr.write(`${command} / ${probe.name}: exit ${r.code} in ${r.ms} ms\n`);
  });
});

describe('usage errors', () => {
  it('print one line and the usage line, not the whole help', async () => {
    for (const args of [
      ['validate'],
      ['submit', 'a', 'b'],
      ['validate', 'a', 'b', 'c', '--runner', 'yarn'],
      ['iam-policy', 'a', 'b', '--nope'],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(2);
      expect(lines[0]).toMatch(/^Error: /);
      expect(lines[1]).toMatch(new RegExp(`^Usage: populator ${args[0] ?? ''} [A-Z]`));
      expect(r.stdout).toBe('');
    }
  });

  it('validate --json prints one entry per check and exits 2 on a failure', async () => {
    const r = await run([...commandLine('validate', PROBES[2] as (typeof PROBES)[number]), '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as {
      status: string;
      checks: { id: string; status: string; hint?: string }[];
    };
    expect(doc.status).toBe('failed');
    expect(doc.checks.find((c) => c.id === 'flags.region')).toMatchObject({ status: 'fail' });
    expect(doc.checks.every((c) => c.hint === undefined || !/above/.test(c.hint))).toBe(true);
  });

  it('names the environment variable a bad value came from', async () => {
    const env = { ...process.env };
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'validate', archive, storage, stack.resolver, '--runner', 'local', '--offline'],
        { env: { ...env, POPULATOR_REGION: 'mars-north-9x', POPULATOR_DRIVER_MEMORY: 'lots' } },
        (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('set by the environment variable POPULATOR_REGION');
    expect(r.stdout).toContain('set by the environment variable POPULATOR_DRIVER_MEMORY');
  });
});
