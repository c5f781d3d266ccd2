/**
 * What the selected runs of an archive hold, for the plan: per run the files the job would read
 * and their bytes (from the one listing, `archive-files.ts`), and a sample of the first few hundred
 * KB of a few of them for line sizes. Reads only.
 */
import type { ArchiveLocation } from '../domain/archive.js';
import { isGzipName, mergeSamples, sampleObject, spreadIndices } from '../domain/line-sample.js';
import type { LineSample, RunInventory } from '../domain/plan.js';
import type { S3Client } from '../aws/s3.js';
import type { RunFile } from './archive-files.js';
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

export interface InventoryOptions {
  archive: ArchiveLocation;
  /** The selected runs' files the job reads, as the validator listed them (`listArchive`). */
  files: readonly RunFile[];
  /** Every run folder of the archive, selected or not. */
  runsInArchive: number;
  /** Needed for an S3 archive (the samples are read from it). */
  s3?: S3Client;
  sampleObjects?: number;
  sampleBytes?: number;
}

/** Sizes and samples the selection (listed once, by the validator). */
export async function inventoryArchive(o: InventoryOptions): Promise<ArchiveInventory> {
  const listed = { files: o.files, runsInArchive: o.runsInArchive };
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
    (i) => listed.files[i] as RunFile,
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
