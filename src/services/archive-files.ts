/**
 * The one lister of an archive, local or on S3, for what runs before the job (validate's checks,
 * and through them submit's plan): the top level (run folders, and what is ignored), the runs the
 * range selects, and every file of those runs the job reads (its rules: recursive, no empty files,
 * no hidden names), with the count of those it skips. Reads only.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '../aws/s3.js';
import type { ArchiveLocation } from '../domain/archive.js';
import { classifyTop, isReadableFile, selectedRuns, type ArchiveTop } from '../domain/checks/archive.js';
import { RUN_FOLDER_PREFIX } from '../domain/contract.js';
import type { TimeRange } from '../domain/time-range.js';

/** A file of a selected run that the job reads. */
export interface RunFile {
  runId: string;
  /** The S3 key or the local path. */
  ref: string;
  size: number;
}

export interface ArchiveSelection {
  top: ArchiveTop;
  /** The run ids the range selects, oldest first. */
  selected: string[];
  /** Their files the job reads, in key (path) order. */
  files: RunFile[];
  /** Their files the job skips: empty, or a hidden name. */
  skipped: number;
}

/** Lists the archive's top level, selects runs by `range` (none when null), lists the selected runs' files. */
export async function listArchive(
  archive: ArchiveLocation,
  range: TimeRange | null,
  s3?: S3Client,
  log?: (line: string) => void,
): Promise<ArchiveSelection> {
  const top = await listTop(archive, s3);
  const selected = range === null ? [] : selectedRuns(top, range);
  return { top, selected, ...(await listRunFiles(archive, selected, s3, log)) };
}

/** The archive's top level as the job sees it: its runs, and what it ignores. */
export async function listTop(archive: ArchiveLocation, s3?: S3Client): Promise<ArchiveTop> {
  if (archive.kind === 'local') {
    const entries = readdirSync(archive.path, { withFileTypes: true });
    return classifyTop(
      archive.uri,
      entries.filter((e) => e.isDirectory()).map((e) => e.name),
      entries.filter((e) => !e.isDirectory()).map((e) => e.name),
    );
  }
  const listing = await requireS3(s3).listTopLevel(archive.bucket, archive.prefix);
  return classifyTop(archive.uri, listing.folders, listing.files);
}

/** The files the job reads of the runs `runIds` (in key order), and how many of theirs it skips. */
export async function listRunFiles(
  archive: ArchiveLocation,
  runIds: readonly string[],
  s3?: S3Client,
  log?: (line: string) => void,
): Promise<{ files: RunFile[]; skipped: number }> {
  return archive.kind === 'local'
    ? listLocalRuns(archive.path, runIds)
    : listS3Runs(archive, runIds, requireS3(s3), log);
}

function requireS3(s3: S3Client | undefined): S3Client {
  if (s3 === undefined) throw new Error('an S3 archive needs an S3 client');
  return s3;
}

function listLocalRuns(root: string, runIds: readonly string[]): { files: RunFile[]; skipped: number } {
  const files: RunFile[] = [];
  let skipped = 0;
  for (const runId of runIds) {
    const runDir = path.join(root, `${RUN_FOLDER_PREFIX}${runId}`);
    const found = readdirSync(runDir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    for (const file of found) {
      const size = statSync(file).size;
      if (isReadableFile(path.relative(runDir, file).split(path.sep).join('/'), size))
        files.push({ runId, ref: file, size });
      else skipped++;
    }
  }
  return { files, skipped };
}

async function listS3Runs(
  archive: Extract<ArchiveLocation, { kind: 's3' }>,
  runIds: readonly string[],
  s3: S3Client,
  log?: (line: string) => void,
): Promise<{ files: RunFile[]; skipped: number }> {
  const files: RunFile[] = [];
  let skipped = 0;
  const first = runIds[0];
  const last = runIds[runIds.length - 1];
  if (first === undefined || last === undefined) return { files, skipped };
  // Run folders sort by time, so the selection is one contiguous range of keys: list only it.
  // '0' is the character right after '/': every key of the last run sorts before `.../run=<last>0`.
  const base = archive.prefix === '' ? '' : `${archive.prefix}/`;
  const wanted = new Set(runIds);
  let listed = 0;
  for await (const o of s3.listObjects(archive.bucket, archive.prefix, {
    startAfter: `${base}${RUN_FOLDER_PREFIX}${first}`,
    before: `${base}${RUN_FOLDER_PREFIX}${last}0`,
  })) {
    if (++listed % 100_000 === 0)
      log?.(`Listing the archive: ${listed.toLocaleString('en-US')} objects so far...`);
    const rest = o.key.slice(base.length);
    const slash = rest.indexOf('/');
    const runId = slash < 0 ? '' : rest.slice(RUN_FOLDER_PREFIX.length, slash);
    if (slash < 0 || !rest.startsWith(RUN_FOLDER_PREFIX) || !wanted.has(runId)) continue;
    if (isReadableFile(rest.slice(slash + 1), o.size)) files.push({ runId, ref: o.key, size: o.size });
    else skipped++;
  }
  return { files, skipped };
}
