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
    ['  written', n(c.written)],
    ['  already present', n(c.alreadyPresent)],
    ['  conflicting etlTime', n(c.conflicting)],
    ['counters add up', countersAddUp(c) ? 'yes' : 'NO (please report this)'],
    ['write rate budget', `${n(s.writeRate)} WCU/s over ${s.writerTasks} writer task(s)`],
    ['throttled retries', n(s.throttledRetries)],
    ['duration', `${s.durationSeconds.toFixed(1)} s`],
    ...extra,
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
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
    '(items already written are counted as already present, never changed).',
  ];
}

function reasons(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${n(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
