/**
 * The archive as checks, from its inventory: run folders found, which the selection keeps, what
 * is not a run folder, and how many files and bytes the job will read. The listing itself (local
 * folder or S3) is the service's; the rules about names are the job's (hidden names, empty files).
 */
import { checksOf, skipAll, type Check } from '../checks.js';
import { hiddenBelowRun } from '../contract.js';
import { runIdFromFolderName } from '../run-id.js';
import { selectRuns, toJobRunId, type TimeRange } from '../time-range.js';

const { pass, warn, fail } = checksOf('archive');

export const ARCHIVE_CHECK_IDS = [
  'archive.runs',
  'archive.selection',
  'archive.other-entries',
  'archive.objects',
];

/** The top of an archive: its run ids and the entries that are not run folders. */
export interface ArchiveTop {
  uri: string;
  /** Valid run ids, sorted. */
  runIds: string[];
  /** Names at the top that are not `run=<valid id>` folders; folders end with `/`. */
  ignored: string[];
}

/** What the selected runs hold. */
export interface ArchiveObjects {
  /** Files the job reads: not empty, no hidden name below the run. */
  objects: number;
  bytes: number;
  /** Files the job skips: empty, or a hidden name (`_SUCCESS`, `.crc`, `_temporary/`). */
  skipped: number;
}

/** The top of a listing as the job sees it: `run=<valid id>` folders are runs, anything else is ignored. */
export function classifyTop(uri: string, folders: readonly string[], files: readonly string[]): ArchiveTop {
  const runIds: string[] = [];
  const ignored: string[] = [];
  for (const folder of folders) {
    const id = runIdFromFolderName(folder);
    if (id === null) ignored.push(`${folder}/`);
    else runIds.push(id);
  }
  ignored.push(...files);
  return { uri, runIds: [...new Set(runIds)].sort(), ignored: ignored.sort() };
}

/** True when the job reads a file at `relative` (its path below the run folder, `/`-separated) of `size` bytes. */
export function isReadableFile(relative: string, size: number): boolean {
  return size > 0 && !hiddenBelowRun(relative);
}

function list(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

const n = (x: number): string => x.toLocaleString('en-US');

/** Bytes for people: 1.2 GB, 350 MB, 12 kB (decimal units, as S3 consoles show them). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${n(bytes)} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function describeRange(range: TimeRange): string {
  const since = range.since ? `from ${toJobRunId(range.since)}` : '';
  const until = range.until ? `before ${toJobRunId(range.until)}` : '';
  return [since, until].filter((s) => s !== '').join(' and ');
}

/** The runs the selection keeps, oldest first. */
export function selectedRuns(top: ArchiveTop, range: TimeRange): string[] {
  return selectRuns(top.runIds, range);
}

/**
 * The checks of an archive. `range` is undefined when --since/--until are not valid (the runs are
 * still reported); `objects` is undefined when the files were not counted (no run selected). An
 * archive without a single run folder fails, and so does a selection without runs.
 */
export function archiveChecks(
  top: ArchiveTop,
  range: TimeRange | undefined,
  objects: ArchiveObjects | undefined,
): Check[] {
  if (top.runIds.length === 0) {
    return [
      noRuns(top),
      ...skipAll(
        'archive',
        ['archive.selection', 'archive.objects'],
        'skipped: the archive has no run folder',
      ),
    ];
  }
  const checks: Check[] = [runsFound(top)];
  if (top.ignored.length > 0) checks.push(otherEntries(top));
  if (range === undefined) {
    return [
      ...checks,
      ...skipAll(
        'archive',
        ['archive.selection', 'archive.objects'],
        'skipped: --since/--until are not valid',
      ),
    ];
  }
  const selected = selectedRuns(top, range);
  checks.push(selectionCheck(top, range, selected));
  if (objects === undefined) {
    checks.push(...skipAll('archive', ['archive.objects'], 'skipped: no run selected'));
  } else {
    checks.push(objectsCheck(selected, objects));
  }
  return checks;
}

function noRuns(top: ArchiveTop): Check {
  return fail(
    'archive.runs',
    top.ignored.length === 0
      ? `the archive ${top.uri} is empty or does not exist`
      : `the archive ${top.uri} holds no run=YYYY-MM-dd-HH-mm-ss folder (found: ${list(top.ignored)})`,
    {
      source: 'archive',
      code: top.ignored.length === 0 ? 'ARCHIVE_NOT_FOUND' : 'ARCHIVE_NO_RUNS',
      hint:
        top.ignored.length === 0
          ? 'Pass the folder or S3 prefix that holds the run=YYYY-MM-dd-HH-mm-ss folders of enriched events.'
          : 'Pass the folder or prefix directly above the run=... folders (e.g. s3://bucket/enriched/archive/), not a run folder or a parent of the archive.',
    },
  );
}

function runsFound(top: ArchiveTop): Check {
  const first = top.runIds[0] ?? '';
  const last = top.runIds[top.runIds.length - 1] ?? '';
  return pass(
    'archive.runs',
    `${n(top.runIds.length)} run ${top.runIds.length === 1 ? 'folder' : 'folders'} in ${top.uri} (${first} .. ${last})`,
    { source: 'archive' },
  );
}

function selectionCheck(top: ArchiveTop, range: TimeRange, selected: readonly string[]): Check {
  const first = top.runIds[0] ?? '';
  const last = top.runIds[top.runIds.length - 1] ?? '';
  const bounded = range.since !== undefined || range.until !== undefined;
  if (selected.length === 0) {
    return fail(
      'archive.selection',
      `no run ${describeRange(range)}: the archive's ${n(top.runIds.length)} runs go from ${first} to ${last}${top.runIds.length <= 5 ? ` (${top.runIds.join(', ')})` : ''}`,
      {
        source: '--since/--until',
        code: 'NO_RUN_SELECTED',
        hint: `Move --since/--until over runs that exist (--since is inclusive, --until exclusive), e.g. --since ${first.slice(0, 10)}.`,
      },
    );
  }
  if (bounded) {
    return pass(
      'archive.selection',
      `${n(selected.length)} of ${n(top.runIds.length)} runs selected (${selected[0] ?? ''} .. ${selected[selected.length - 1] ?? ''})`,
    );
  }
  return pass('archive.selection', `every run selected (no --since/--until)`);
}

function objectsCheck(selected: readonly string[], objects: ArchiveObjects): Check {
  if (objects.objects === 0) {
    return fail(
      'archive.objects',
      `the ${n(selected.length)} selected ${selected.length === 1 ? 'run holds' : 'runs hold'} no file to read${objects.skipped > 0 ? ` (${n(objects.skipped)} empty or marker files only)` : ''}`,
      {
        source: 'archive',
        code: 'ARCHIVE_NO_FILES',
        hint: 'Check that the enriched files were copied into the run folders; the job reads every non-empty file not named _* or .*.',
      },
    );
  }
  return pass(
    'archive.objects',
    `${n(objects.objects)} ${objects.objects === 1 ? 'file' : 'files'}, ${formatBytes(objects.bytes)} to read in the selected runs${objects.skipped > 0 ? ` (${n(objects.skipped)} empty or marker files skipped)` : ''}`,
  );
}

function otherEntries(top: ArchiveTop): Check {
  return warn('archive.other-entries', `ignored, not run=YYYY-MM-dd-HH-mm-ss folders: ${list(top.ignored)}`, {
    source: 'archive',
    hint: 'Nothing to do if these are not runs; a run folder with a malformed name (run=2017-13-01-...) is never read: rename it.',
  });
}
