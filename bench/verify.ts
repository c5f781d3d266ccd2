/**
 * verify (DESIGN 5): requests and bytes read per sampled event, and wall time, for a 10,000-event
 * sample over a generated archive stored plain and stored gzip, with the read settings side by side
 * in one run, on disk and (with --s3) on moto's S3 server. The table (dynalite) holds exactly what a
 * back-fill writes, filled from the oracle; lookups are BatchGetItem of 100 keys.
 * Run: `npm run bench:verify [-- --lines N --sample N --s3 --readme]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { DEFAULT_TTL_SECONDS } from '../src/domain/contract.js';
import { generateDemoArchive } from '../src/domain/demo-archive.js';
import { expectedManifest } from '../src/domain/enriched.js';
import { createRandom } from '../src/domain/random.js';
import { verifyManifest, type VerifyOptions, type VerifyResult } from '../src/services/verify.js';
import { startLocalStack, TEST_KEYS, TEST_REGION } from '../test/helpers/local-stack.js';
import { manifestWriter } from '../test/helpers/manifest-fill.js';
import { startS3Emulator, type S3Emulator } from '../test/helpers/s3-emulator.js';
import { log, updateReadme } from './common.js';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000' },
    sample: { type: 'string', default: '10000' },
    files: { type: 'string', default: '8' },
    s3: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
  },
});
const lineCount = Number(args.lines);
const sample = Number(args.sample);
const filesPerRun = Number(args.files);
const now = DateTime.utc().startOf('second');

const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-verify-bench-'));
const stack = await startLocalStack();
let s3: S3Emulator | undefined;
try {
  log(`generating ${lineCount} lines (plain and gzip copies)...`);
  const generated = generateDemoArchive(createRandom(7), {
    events: lineCount,
    runs: 4,
    firstRun: now.minus({ days: 3 }).startOf('hour'),
  });
  const sizes = { plain: 0, gzip: 0 };
  for (const kind of ['plain', 'gzip'] as const) {
    for (const run of generated.runs) {
      const folder = path.join(dir, kind, run.folder);
      mkdirSync(folder, { recursive: true });
      const per = Math.ceil(run.lines.length / filesPerRun);
      for (let i = 0; i < filesPerRun; i++) {
        const text = run.lines
          .slice(i * per, (i + 1) * per)
          .map((l) => `${l}\n`)
          .join('');
        const body = kind === 'gzip' ? gzipSync(Buffer.from(text)) : Buffer.from(text);
        sizes[kind] += body.length;
        writeFileSync(
          path.join(folder, `part-${String(i).padStart(5, '0')}${kind === 'gzip' ? '.gz' : ''}`),
          body,
        );
      }
    }
  }
  const oracle = expectedManifest(generated.runs, {
    etlTime: 'run',
    ttlSeconds: DEFAULT_TTL_SECONDS,
    skipExpired: false,
    nowSeconds: Math.floor(now.toSeconds()),
  });
  const table = 'verify-bench';
  await stack.dynamo.createManifestTable(table, { billingMode: 'PAY_PER_REQUEST' });
  log(`filling ${table} with ${oracle.items.length} items...`);
  const writer = manifestWriter(stack.dynalite.endpoint, TEST_REGION, TEST_KEYS);
  const chunk = Math.ceil(oracle.items.length / 4);
  await Promise.all(
    [0, 1, 2, 3].map((i) => writer.put(table, oracle.items.slice(i * chunk, (i + 1) * chunk))),
  );
  writer.destroy();

  const archives: { name: string; uri: string; bytes: number }[] = [
    { name: 'plain, disk', uri: path.join(dir, 'plain'), bytes: sizes.plain },
    { name: 'gzip, disk', uri: path.join(dir, 'gzip'), bytes: sizes.gzip },
  ];
  if (args.s3) {
    s3 = await startS3Emulator({ region: TEST_REGION, credentials: TEST_KEYS });
    process.env.AWS_ACCESS_KEY_ID = TEST_KEYS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_KEYS.secretAccessKey;
    await s3.createBucket('bench');
    log('uploading to moto...');
    await s3.uploadDir('bench', 'plain', path.join(dir, 'plain'));
    await s3.uploadDir('bench', 'gzip', path.join(dir, 'gzip'));
    archives.push(
      { name: 'plain, S3 (moto)', uri: 's3://bench/plain/', bytes: sizes.plain },
      { name: 'gzip, S3 (moto)', uri: 's3://bench/gzip/', bytes: sizes.gzip },
    );
  }

  const variants: { name: string; gzip: boolean; options: Partial<VerifyOptions> }[] = [
    { name: 'probes merged when < 16 KiB apart (default)', gzip: false, options: {} },
    // What every archive much larger than the sample sees: no two probes close enough to merge.
    { name: 'one read per probe (no merging)', gzip: false, options: { mergeGap: Number.NEGATIVE_INFINITY } },
    {
      name: 'one read per probe + 4 KiB read-ahead',
      gzip: false,
      options: { mergeGap: Number.NEGATIVE_INFINITY, readahead: 4096 },
    },
    { name: 'whole files (default)', gzip: true, options: {} },
    {
      name: 'first 256 KiB of each file (--max-object-bytes)',
      gzip: true,
      options: { maxObjectBytes: 256 << 10 },
    },
  ];

  const rows: string[] = [];
  for (const a of archives) {
    for (const v of variants.filter((x) => x.gzip === a.name.startsWith('gzip'))) {
      log(`${a.name}: ${v.name}...`);
      const t0 = process.hrtime.bigint();
      const r: VerifyResult = await verifyManifest({
        archive: a.uri,
        storageConfigPath: stack.storageConfig(table),
        sample,
        seed: 1,
        consistentRead: false,
        dynamodbEndpoint: stack.dynalite.endpoint,
        s3Endpoint: s3?.endpoint,
        cwd: dir,
        env: {},
        now,
        log: () => {},
        ...v.options,
      });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const events = r.counts.sampled;
      const s = r.sampling;
      if (r.counts.missing > 0) throw new Error(`${r.counts.missing} missing: the table should be complete`);
      rows.push(
        `| ${a.name} | ${v.name} | ${events.toLocaleString('en-US')} | ${(s.attempts / events).toFixed(2)} | ` +
          `${(s.readRequests / events).toFixed(3)} | ${(s.bytesRead / events / 1024).toFixed(2)} | ` +
          `${(s.bytesRead / a.bytes).toFixed(2)} | ${(r.lookups.requests / r.lookups.keys).toFixed(3)} | ` +
          `${(100 * s.cappedShareOfBytes).toFixed(0)}% | ${r.coverage.verdict} | ${seconds.toFixed(1)} s |`,
      );
    }
  }
  const out = [
    `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1)} at the end; ` +
      `${lineCount.toLocaleString('en-US')} lines in ${generated.runs.length * filesPerRun} files: ${(sizes.plain / 1e6).toFixed(0)} MB plain, ${(sizes.gzip / 1e6).toFixed(1)} MB gzip; ` +
      `--sample ${sample}, seed 1; dynalite as a child process holding the ${oracle.items.length.toLocaleString('en-US')} items.`,
    '',
    '| archive | reads | sampled lines | attempts / line | read requests / line | KiB read / line | bytes read / archive size | BatchGetItem / key | bytes past the cap | verdict | wall time |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...rows,
  ].join('\n');
  console.log(out);
  if (args.readme) updateReadme('verify', out);
} finally {
  await s3?.stop();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
