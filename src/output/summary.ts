/** Pure renderer for a finished back-fill: what was read, what was written, and where the details are. */
import { countersAddUp, type JobSummary } from '../domain/job-report.js';

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

function reasons(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${n(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
