/**
 * The plan's view of an archive: the files the job would read and a line-size sample, from a
 * generated archive on disk and the same archive on moto's S3, giving the same figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../src/aws/s3.js';
import { parseArchiveLocation } from '../../../src/domain/archive.js';
import { buildPlan } from '../../../src/domain/plan.js';
import type { S3Client } from '../../../src/aws/s3.js';
import type { ArchiveLocation } from '../../../src/domain/archive.js';
import type { TimeRange } from '../../../src/domain/time-range.js';
import { listArchive } from '../../../src/services/archive-files.js';
import { inventoryArchive } from '../../../src/services/archive-inventory.js';

/** The one listing (as validate makes it), then the plan's inventory of it. */
async function inventoryOf(archive: ArchiveLocation, range: TimeRange, s3?: S3Client) {
  const listed = await listArchive(archive, range, s3);
  return inventoryArchive({ archive, files: listed.files, runsInArchive: listed.top.runIds.length, s3 });
}
import { writeDemoArchive, type DemoArchiveManifest } from '../../../src/services/demo-archive.js';
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDINVENTORY', secretAccessKey: 'inventory-secret' };
const FIRST = DateTime.fromISO('2026-11-01T00:00:00Z', { zone: 'utc' });
let dir: string;
let archive: DemoArchiveManifest;
let s3: S3Emulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'populator-inventory-'));
  archive = await writeDemoArchive({
    dir: path.join(dir, 'archive'),
    seed: 5,
    events: 3000,
    firstRun: FIRST,
  });
  s3 = await startS3Emulator({ region: REGION, credentials: CREDENTIALS });
  await s3.createBucket('inv');
  await s3.uploadDir('inv', 'enriched', archive.dir);
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectedFiles(runIds: readonly string[]) {
  return archive.files.filter(
    (f) => f.role === 'data' && runIds.some((r) => f.relativePath.startsWith(`run=${r}/`)),
  );
}

describe('inventoryArchive', () => {
  it('lists exactly the files the job reads (no markers, no empty files, no other folders) and samples them', async () => {
    const inv = await inventoryOf(parseArchiveLocation(archive.dir, '/'), {});
    const runIds = archive.runs.map((r) => r.runId);
    const files = expectedFiles(runIds);
    expect(inv.runsInArchive).toBe(archive.runs.length);
    expect(inv.runs.map((r) => r.runId)).toEqual([...runIds].sort());
    expect(inv.runs.reduce((a, r) => a + r.objects, 0)).toBe(files.length);
    expect(inv.runs.reduce((a, r) => a + r.bytes, 0)).toBe(files.reduce((a, f) => a + f.bytes, 0));
    expect(inv.sample?.objects).toBeGreaterThan(0);
    // The estimate from the sampled line sizes lands near the real line count.
    const plan = buildPlan({
      archive: archive.dir,
      runsInArchive: inv.runsInArchive,
      runs: inv.runs,
      sample: inv.sample,
      table: {
        name: 't',
        region: REGION,
        billingMode: 'PAY_PER_REQUEST',
        provisionedWcu: undefined,
        ttlEnabled: false,
      },
      writeRate: 1000,
      ttlSeconds: 15552000,
      skipExpired: false,
      nowSeconds: FIRST.plus({ days: 3 }).toSeconds(),
      compute: { runner: 'local', cores: 2 },
    });
    expect(plan.events.estimated / archive.lineCount).toBeGreaterThan(0.7);
    expect(plan.events.estimated / archive.lineCount).toBeLessThan(1.3);
  });

  it('gives the same figures for the same archive on S3, and lists only the selected runs', async () => {
    const location = parseArchiveLocation('s3://inv/enriched/', '/');
    const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: CREDENTIALS });
    try {
      const local = await inventoryOf(parseArchiveLocation(archive.dir, '/'), {});
      const remote = await inventoryOf(location, {}, client);
      expect(remote.runs).toEqual(local.runs);
      expect(remote.sample?.plain.lines).toBe(local.sample?.plain.lines);
      const sorted = archive.runs.map((r) => r.runId).sort();
      const since = DateTime.fromFormat(sorted[1] ?? '', 'yyyy-MM-dd-HH-mm-ss', { zone: 'utc' });
      const until = DateTime.fromFormat(sorted[3] ?? '', 'yyyy-MM-dd-HH-mm-ss', { zone: 'utc' });
      const some = await inventoryOf(location, { since, until }, client);
      expect(some.runs.map((r) => r.runId)).toEqual(sorted.slice(1, 3));
    } finally {
      client.destroy();
    }
  });
});
