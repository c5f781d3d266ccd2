/** Pure renderer for a finished back-fill: what was read, what was written, and where the details are. */
import { countersAddUp, type JobSummary, type UnreadableFile } from '../domain/job-report.js';

const n = (x: number): string => x.toLocaleString('en-US');

/** Human-readable summary of a job's report; `extra` rows (e.g. the table's item count) go at the end. */
export function renderSummary(s: JobSummary, extra: [string, string][] = []): string {
  const c = s.counters;
  const rows: [string, string][] = [
    ['archive', s.archive],
    ['table', `${s.table} (${s.region})`],
    [
      'runs',
      `${s.runsSelected.length} selected${s.runsExcluded ? `, ${s.runsExcluded} outside --since/--until` : ''}` +
        (s.runsSelected.length
          ? ` (${s.runsSelected[0]} .. ${s.runsSelected[s.runsSelected.length - 1]})`
          : ''),
    ],
    ...(s.ignoredPaths.length > 0
      ? ([['ignored (not run=...)', s.ignoredPaths.join(', ')]] as [string, string][])
      : []),
    ['files read', `${n(s.filesRead)} (${n(s.bytesRead)} bytes)`],
    ['unreadable files', unreadable(s.unreadableFiles)],
    ['etlTime', s.etlTimeMode],
    ['lines read', n(c.linesRead)],
    ['  bad (kept aside)', n(c.bad) + reasons(s.badByReason)],
    ['  without fingerprint', n(c.noFingerprint)],
    ['  expired (skipped)', n(c.expired)],
    ['  duplicates in archive', n(c.duplicatesInSelection)],
    [s.import ? '  written (import files)' : '  written', n(c.written)],
    ['  already present', alreadyPresent(c.alreadyPresent, s.ttlSeconds, s.skipPresent?.skippedPresent ?? 0)],
    ['  conflicting etlTime', conflicting(c.conflicting)],
    ['counters add up', countersAddUp(c) ? 'yes' : 'NO (please report this)'],
    ...writeRows(s),
    ...(s.longestWaitSeconds !== undefined
      ? ([['longest wait (one item)', `${s.longestWaitSeconds.toFixed(1)} s`]] as [string, string][])
      : []),
    ['duration', `${s.durationSeconds.toFixed(1)} s`],
    ...resumeRows(s),
    ...(s.skipPresent
      ? ([
          [
            'skip present',
            `${n(s.skipPresent.lookedUp)} keys looked up in ${n(s.skipPresent.requests)} request(s): ${n(s.skipPresent.putsSaved)} found, not written ` +
              `(${n(s.skipPresent.skippedPresent)} with this etlTime, ${n(s.skipPresent.skippedConflicting)} with another; counted above, left as they were)`,
          ],
        ] as [string, string][])
      : []),
    ...extra,
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** A resumed run: what it took over, and the puts that spared. */
function resumeRows(s: JobSummary): [string, string][] {
  const r = s.resume;
  if (r === undefined || r === null) return [];
  const rec = r.recorded;
  // thisRun counts the keys this run's --skip-present lookup found as their puts would have been;
  // they were not sent.
  const foundPresent = s.skipPresent?.skippedPresent ?? 0;
  const foundConflicting = s.skipPresent?.skippedConflicting ?? 0;
  const present = r.thisRun.alreadyPresent - foundPresent;
  const conflicting = r.thisRun.conflicting - foundConflicting;
  const found = foundPresent + foundConflicting;
  return [
    ['resumed from', r.resumedFrom],
    [
      '  writes saved',
      `${n(r.writesSaved)} (recorded as done there: ${n(rec.written)} written, ${n(rec.alreadyPresent)} already present, ` +
        `${n(rec.conflicting)} conflicting, ${n(rec.expired)} expired; ${n(r.partitionsAlreadyDone)} write partition(s) finished)`,
    ],
    [
      '  sent by this run',
      `${n(r.thisRun.written + present + conflicting)} put(s) (${n(r.thisRun.written)} written, ${n(present)} already present, ${n(conflicting)} conflicting)` +
        (found > 0 ? `; ${n(found)} key(s) found by --skip-present, not put` : ''),
    ],
  ];
}

// A put with the same etlTime passes its condition and replaces the item: same key and etlTime,
// the ttl of this run's --ttl-seconds.
function alreadyPresent(count: number, ttlSeconds: number, found: number): string {
  if (count === 0) return '0';
  if (found === 0) return `${n(count)} (same etlTime: rewritten with ttl = etlTime + ${n(ttlSeconds)})`;
  const rewritten = count - found;
  return (
    `${n(count)} (same etlTime: ${n(found)} found by --skip-present and left as they were` +
    (rewritten > 0 ? `, ${n(rewritten)} rewritten with ttl = etlTime + ${n(ttlSeconds)})` : ')')
  );
}

function conflicting(count: number): string {
  return count === 0
    ? '0'
    : `${n(count)} (already in the manifest with another etlTime: a cross-batch duplicate already recorded, ` +
        'or an item the live shredder wrote; left as it is)';
}

const SHOWN_FILES = 3;

function unreadable(files: readonly UnreadableFile[]): string {
  if (files.length === 0) return '0';
  const shown = files.slice(0, SHOWN_FILES).map((f) => f.path);
  const more = files.length > SHOWN_FILES ? `, and ${files.length - SHOWN_FILES} more` : '';
  return `${n(files.length)} (${shown.join(', ')}${more}; see below)`;
}

/**
 * The warning for files the job could not read to its end, one line each, for stderr; none when
 * every file was read. The job still succeeded: this says what was kept and how to finish.
 */
export function renderUnreadableWarning(files: readonly UnreadableFile[]): string[] {
  if (files.length === 0) return [];
  return [
    `Warning: ${files.length} file(s) of the archive could not be read to the end:`,
    ...files.map(
      (f) => `  ${f.path}: ${f.error} (${n(f.linesRead)} line(s) read before the failure, kept and written)`,
    ),
    'The rest of the archive was read and written; the lines before each failure were kept.',
    'Check or replace these files, then run again with --since/--until covering their runs: a re-run is safe',
    "(items already written are counted as already present: rewritten with the same etlTime and this run's ttl).",
  ];
}

function reasons(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${n(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** How the items were written: puts at the budget, or (`--import`) files for DynamoDB's import. */
function writeRows(s: JobSummary): [string, string][] {
  if (s.import) {
    return [
      [
        'import files',
        `${n(s.import.items)} items in ${n(s.import.objects)} object(s) under ${s.import.folder}: ${n(s.import.bytes)} bytes (${n(s.import.compressedBytes)} gzip); no write capacity used`,
      ],
    ];
  }
  return [
    [
      'write rate budget',
      `${n(s.writeRate)} WCU/s over ` +
        (s.writerExecutors !== undefined ? `${n(s.writerExecutors)} executor(s), ` : '') +
        `${s.writerTasks} writer task(s)` +
        (s.writePartitions !== undefined ? ` (${n(s.writePartitions)} write partitions)` : ''),
    ],
    ['throttled retries', n(s.throttledRetries)],
  ];
}
