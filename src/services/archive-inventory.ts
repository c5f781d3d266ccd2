/**
 * What the selected runs of an archive hold, for the plan: every file the job would read (the
 * job's rules: recursive, no empty files, no names starting with `_` or `.`), with sizes, and a
 * sample of the first few hundred KB of a few of them. Reads only.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ArchiveLocation } from '../domain/archive.js';
import { hiddenBelowRun, RUN_FOLDER_PREFIX } from '../domain/contract.js';
import { isGzipName, mergeSamples, sampleObject, spreadIndices } from '../domain/line-sample.js';
import type { LineSample, RunInventory } from '../domain/plan.js';
import { runIdFromFolderName, parseRunId } from '../domain/run-id.js';
import { isInRange, toJobRunId, type TimeRange } from '../domain/time-range.js';
import type { S3Client } from '../aws/s3.js';
import { readFileRange } from '../local/file-range.js';

/** Objects sampled for line sizes, and how much of each. */
export const SAMPLE_OBJECTS = 6;
export const SAMPLE_BYTES = 256 * 1024;

export interface ArchiveInventory {
  /** Every run folder of the archive, selected or not. */
  runsInArchive: number;
  /** The selected runs that hold at least one file to read, oldest first. */
  runs: RunInventory[];
  sample: LineSample | null;
}

interface FileEntry {
  runId: string;
  /** The S3 key or the local path. */
  ref: string;
  size: number;
}

export interface InventoryOptions {
  archive: ArchiveLocation;
  range: TimeRange;
  /** The archive's run ids (the submit checks listed the top of an S3 archive already). */
  runIds?: readonly string[];
  /** Needed for an S3 archive. */
  s3?: S3Client;
  log?: (line: string) => void;
  sampleObjects?: number;
  sampleBytes?: number;
}

/** Lists and samples the selection. */
export async function inventoryArchive(o: InventoryOptions): Promise<ArchiveInventory> {
  const listed = o.archive.kind === 's3' ? await listS3(o) : listLocal(o.archive.path, o.range);
  const byRun = new Map<string, RunInventory>();
  for (const f of listed.files) {
    const r = byRun.get(f.runId) ?? {
      runId: f.runId,
      objects: 0,
      bytes: 0,
      compressedObjects: 0,
      compressedBytes: 0,
    };
    r.objects++;
    r.bytes += f.size;
    if (isGzipName(f.ref)) {
      r.compressedObjects++;
      r.compressedBytes += f.size;
    }
    byRun.set(f.runId, r);
  }
  const runs = [...byRun.values()].sort((a, b) => (a.runId < b.runId ? -1 : 1));
  const picked = spreadIndices(listed.files.length, o.sampleObjects ?? SAMPLE_OBJECTS).map(
    (i) => listed.files[i] as FileEntry,
  );
  const limit = o.sampleBytes ?? SAMPLE_BYTES;
  const samples = await Promise.all(
    picked.map(async (f) => {
      const length = Math.min(limit, f.size);
      const bytes =
        o.archive.kind === 's3' && o.s3 !== undefined
          ? await o.s3.getObjectRange(o.archive.bucket, f.ref, 0, length)
          : readFileRange(f.ref, 0, length);
      return sampleObject({ bytes, compressed: isGzipName(f.ref), whole: length >= f.size });
    }),
  );
  return { runsInArchive: listed.runsInArchive, runs, sample: mergeSamples(samples) };
}

function listLocal(root: string, range: TimeRange): { runsInArchive: number; files: FileEntry[] } {
  const files: FileEntry[] = [];
  let runsInArchive = 0;
  for (const e of readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const runId = e.isDirectory() ? runIdFromFolderName(e.name) : null;
    if (runId === null) continue;
    runsInArchive++;
    const t = parseRunId(runId);
    if (t === null || !isInRange(t, range)) continue;
    const runDir = path.join(root, e.name);
    const walk = (dir: string, below: string[]): void => {
      for (const c of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const segments = [...below, c.name];
        if (hiddenBelowRun(segments.join('/'))) continue;
        const p = path.join(dir, c.name);
        if (c.isDirectory()) walk(p, segments);
        else if (c.isFile()) {
          const size = statSync(p).size;
          if (size > 0) files.push({ runId, ref: p, size });
        }
      }
    };
    walk(runDir, []);
  }
  return { runsInArchive, files };
}

async function listS3(o: InventoryOptions): Promise<{ runsInArchive: number; files: FileEntry[] }> {
  const a = o.archive;
  if (a.kind !== 's3' || o.s3 === undefined) throw new Error('an S3 archive needs an S3 client');
  const base = a.prefix === '' ? '' : `${a.prefix}/`;
  const runs = `${base}${RUN_FOLDER_PREFIX}`;
  // Keys sort like run ids: list only from --since to --until. `run<` sorts just before every
  // `run=...` key and `run>` just after, so other folders of the prefix are not listed either.
  const startAfter = o.range.since ? `${runs}${toJobRunId(o.range.since)}` : `${runs.slice(0, -1)}<`;
  const before = o.range.until ? `${runs}${toJobRunId(o.range.until)}` : `${runs.slice(0, -1)}>`;
  const files: FileEntry[] = [];
  const seenRuns = new Set<string>();
  let listed = 0;
  for await (const obj of o.s3.listObjects(a.bucket, a.prefix, { startAfter, before })) {
    if (++listed % 100_000 === 0)
      o.log?.(`Listing the archive: ${listed.toLocaleString('en-US')} objects so far...`);
    const segments = obj.key.slice(base.length).split('/');
    const runId = runIdFromFolderName(segments[0] ?? '');
    if (runId === null || segments.length < 2) continue;
    const t = parseRunId(runId);
    if (t === null || !isInRange(t, o.range)) continue;
    seenRuns.add(runId);
    if (obj.size > 0 && !hiddenBelowRun(segments.slice(1).join('/')))
      files.push({ runId, ref: obj.key, size: obj.size });
  }
  return { runsInArchive: o.runIds?.length ?? seenRuns.size, files };
}
