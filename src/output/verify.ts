/** Pure renderers for `verify`: its progress line and its result. */
import type { VerifyProgress, VerifyResult } from '../services/verify.js';
import { bar } from './progress.js';

const n = (x: number): string => x.toLocaleString('en-US');
const pct = (x: number, digits = 3): string => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(digits)}%`);
const mb = (bytes: number): string =>
  bytes < 1024 * 1024 ? `${n(bytes)} bytes` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** One progress line. */
export function renderVerifyProgress(p: VerifyProgress): string {
  switch (p.phase) {
    case 'listing':
      return `listing ${bar(p.runsListed / Math.max(1, p.runs))} ${p.runsListed}/${p.runs} run folders`;
    case 'sampling':
      return `sampling ${bar(p.effective / p.target)} ${n(Math.floor(p.effective))}/${n(p.target)} events (${n(p.drawn)} lines drawn, ${n(p.attempts)} attempts)`;
    case 'lookup':
      return `looking up ${bar(p.done / Math.max(1, p.total))} ${n(p.done)}/${n(p.total)} keys`;
  }
}

/** The verdict in one sentence. */
export function renderVerdict(r: VerifyResult): string {
  const c = r.coverage;
  const threshold = pct(c.minCoverage, 1);
  switch (c.verdict) {
    case 'proven':
      return `PROVEN: coverage is at least ${threshold} (95% lower bound ${pct(c.lower)})`;
    case 'belowThreshold':
      return `BELOW THRESHOLD: coverage is under ${threshold} (95% upper bound ${pct(c.upper)})`;
    case 'notProven': {
      const more =
        c.samplesToProve === null
          ? `it cannot be proven at the observed coverage of ${pct(c.estimate)}`
          : `at this coverage, a sample of ${n(c.samplesToProve)} would prove it (--sample ${c.samplesToProve})`;
      return `NOT PROVEN: the sample does not refute coverage >= ${threshold} (95% upper bound ${pct(c.upper)}) but does not prove it either (lower bound ${pct(c.lower)}); ${more}`;
    }
  }
}

type Row = [string, string];

/** Human-readable result. */
export function renderVerifyResult(r: VerifyResult): string {
  const rows: Row[] = [...selectionRows(r), ...samplingRows(r), ...countRows(r), ...verdictRows(r)];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (r.missingKeys.length > 0) {
    lines.push(
      `first missing keys${r.reportFile ? ` (all of them in ${r.reportFile})` : ' (--report FILE lists all)'}:`,
    );
    for (const m of r.missingKeys)
      lines.push(`  ${m.eventId}  ${m.fingerprint}  (run ${m.runId}, ${m.file})`);
  }
  return lines.join('\n');
}

/** What was checked: the archive, the table, the run, the selection, etlTime and ttl. */
function selectionRows(r: VerifyResult): Row[] {
  const etlTime =
    r.etlTime === 'event'
      ? "event (each line's own etl_tstamp)"
      : r.etlTimeCheck === 'exact'
        ? "run (each run's etlTime from the job's report)"
        : "run, checked in event terms only (not after the line's etl_tstamp): no job report with each run's etlTime";
  return [
    ['archive', r.archive],
    ['table', `${r.table} (${r.region})`],
    [
      'run',
      r.run === null
        ? 'none known (no recorded run of this archive and table)'
        : `${r.run.name}${r.run.summary ? '' : ' (its report could not be read)'}`,
    ],
    [
      'selection',
      `${n(r.selection.runs)} run(s)${r.selection.since || r.selection.until ? ` (${r.selection.since ?? '...'} .. ${r.selection.until ?? '...'})` : ''}, ${n(r.selection.files)} file(s), ${mb(r.selection.bytes)}, ${n(r.selection.gzipFiles)} gzip`,
    ],
    ...(r.selection.skippedFiles.length > 0
      ? ([
          ['not sampled', `${n(r.selection.skippedFiles.length)} file(s) with a codec verify does not read`],
        ] as Row[])
      : []),
    ['etlTime', etlTime],
    [
      'ttl',
      `${n(r.ttl.seconds)} s; TTL on ttl ${r.ttl.deletes ? 'enabled (items past their ttl may be gone: not counted)' : 'not enabled'}; expired items ${r.ttl.skippedAtWrite ? 'skipped' : 'written'} by the job`,
    ],
  ];
}

/** How the sample was drawn and looked up. */
function samplingRows(r: VerifyResult): Row[] {
  const s = r.sampling;
  return [
    [
      'sample',
      `seed ${r.seed}: ${n(s.linesDrawn)} lines drawn in ${n(s.attempts)} attempts${s.stoppedShort ? ` (STOPPED SHORT of ${n(s.target)} events)` : ''}`,
    ],
    [
      'reads',
      `${n(s.readRequests)} requests, ${mb(s.bytesRead)}${s.gzipFilesRead > 0 ? `; ${n(s.gzipFilesRead)} gzip file(s) decompressed` : ''}`,
    ],
    ...(s.maxObjectBytes !== null
      ? ([
          [
            'gzip byte cap',
            `${mb(s.maxObjectBytes)} per file: ${n(s.capped.length)} file(s) read in part; ${pct(s.cappedShareOfBytes, 1)} of the selection's bytes lie past the cap and cannot be drawn (each capped file's head stands in for the whole file)`,
          ],
        ] as Row[])
      : []),
    ...(s.unreadableFiles.length > 0
      ? ([
          [
            'unreadable files',
            `${n(s.unreadableFiles.length)} (their complete lines before the failure were sampled)`,
          ],
        ] as Row[])
      : []),
    [
      'lookups',
      `${n(r.lookups.keys)} keys in ${n(r.lookups.requests)} BatchGetItem calls (${r.lookups.consistent ? 'strongly' : 'eventually'} consistent)${r.lookups.consumedReadUnits > 0 ? `, ${n(r.lookups.consumedReadUnits)} RCU` : ''}${r.lookups.throttledRetries > 0 ? `, ${n(r.lookups.throttledRetries)} throttled retries` : ''}`,
    ],
  ];
}

/** What became of the sampled lines. */
function countRows(r: VerifyResult): Row[] {
  const c = r.counts;
  const reasons = Object.entries(c.badByReason)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(', ');
  return [
    ['sampled lines', n(c.sampled)],
    ['  bad', n(c.bad) + (reasons ? ` (${reasons})` : '')],
    ['  without fingerprint', n(c.noFingerprint)],
    [
      '  expired',
      `${n(c.expiredAtWrite + c.expiredSinceWritten)} (ttl past when the job ran: ${n(c.expiredAtWrite)}, since: ${n(c.expiredSinceWritten)}; still in the table: ${n(c.expiredStillPresent)})`,
    ],
    ['  expected', n(c.expected)],
    ['    found, etlTime as expected', n(c.foundExpectedEtlTime)],
    [
      '    found, earlier etlTime',
      `${n(c.foundEarlierEtlTime)} (the key occurs earlier in the selection: the job keeps the earliest)`,
    ],
    [
      '    found, another etlTime',
      `${n(c.foundOtherEtlTime)} (written first by the shredder or another batch: not missing)`,
    ],
    ['    missing', n(c.missing)],
  ];
}

/** The coverage, the verdict and the job's own counters. */
function verdictRows(r: VerifyResult): Row[] {
  const cov = r.coverage;
  return [
    [
      'coverage',
      `${pct(cov.estimate)} (95% Wilson interval ${pct(cov.lower)} .. ${pct(cov.upper)}, n = ${n(Math.floor(cov.effectiveSampleSize))}${cov.weighted ? ' effective' : ''})`,
    ],
    ['verdict', renderVerdict(r)],
    ...(r.jobCounters
      ? ([
          [
            'job report',
            `${n(r.jobCounters.linesRead)} lines: ${n(r.jobCounters.bad)} bad, ${n(r.jobCounters.noFingerprint)} without fingerprint, ${n(r.jobCounters.expired)} expired, ${n(r.jobCounters.duplicatesInSelection)} duplicates, ${n(r.jobCounters.written)} written, ${n(r.jobCounters.alreadyPresent)} already present, ${n(r.jobCounters.conflicting)} conflicting`,
          ],
        ] as Row[])
      : []),
  ];
}
