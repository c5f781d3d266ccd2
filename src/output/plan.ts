/** Pure renderers for the plan and for a look at a run: figures a person reads before and while spending. */
import { EMR_PRICES } from '../domain/emr.js';
import { keysDone } from '../domain/job-report.js';
import type { Plan } from '../domain/plan.js';
import type { RunSnapshot } from '../runners/runner.js';
import { bytes, duration, table, usd } from './format.js';
import { importPlanRows } from './import.js';

export { bytes, duration, usd } from './format.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The sampled line sizes of the kinds of file the selection holds. */
function perLine(p: Plan): string {
  const parts: string[] = [];
  if (p.objects > p.compressedObjects) parts.push(`${n(p.events.bytesPerLine.plain)} bytes per plain line`);
  if (p.compressedObjects > 0) parts.push(`${n(p.events.bytesPerLine.compressed)} bytes per gzip line`);
  return parts.join(', ');
}

/** The plan, as `submit` prints it before anything is written. */
export function renderPlan(p: Plan): string {
  const d = p.dynamodb;
  const rows: [string, string][] = [
    ...(p.job !== null
      ? ([
          [
            'job',
            `${p.job.spark}${p.job.releaseLabel === undefined ? '' : ` on ${p.job.releaseLabel}`}: ${p.job.jar}`,
          ],
        ] as [string, string][])
      : []),
    ['archive', p.archive],
    [
      'runs',
      `${n(p.runs.selected)} selected${p.runs.excluded ? `, ${n(p.runs.excluded)} outside --since/--until` : ''}` +
        (p.runs.first ? ` (${p.runs.first} .. ${p.runs.last})` : ''),
    ],
    ['objects', `${n(p.objects)} (${n(p.compressedObjects)} gzip), ${bytes(p.bytes)}`],
    [
      'events (estimate)',
      `${n(p.events.estimated)} ` +
        (p.events.basis === 'sample'
          ? `(from ${n(p.events.sampledLines)} lines sampled in ${p.events.sampledObjects} objects: ${perLine(p)})`
          : '(assumed line sizes: nothing could be sampled)'),
    ],
    ...(p.expired.runs > 0
      ? ([
          [
            p.expired.skipped ? 'expired (skipped)' : 'expired (written!)',
            `about ${n(p.expired.events)} events in ${p.expired.runs} runs (${p.expired.first} .. ${p.expired.last}) have a ttl already past`,
          ],
        ] as [string, string][])
      : []),
    [
      'manifest writes',
      `at most ${n(p.writes)}${p.events.writableShare < 1 ? ` (${(100 * p.events.writableShare).toFixed(1)}% of the sampled lines are writable)` : ''}`,
    ],
    ...(p.resume
      ? ([
          [
            'resumes',
            p.resume.keysSettled === null
              ? `run ${p.resume.from}: the keys its records show done are not sent again (it left no progress to estimate them from; the figures below are for every write)`
              : `run ${p.resume.from}: about ${n(p.resume.writesSaved)} writes its records show done are not sent again (its last progress: ${n(p.resume.keysSettled)} keys done; the figures below are for the rest)`,
          ],
        ] as [string, string][])
      : []),
    ...(p.import !== null ? importPlanRows(p.import) : writeRows(p)),
    ...(p.skipPresent
      ? ([
          [
            '--skip-present',
            `looking up ${n(p.skipPresent.keys)} keys first costs about ${usd(p.skipPresent.usd)} (${n(p.skipPresent.readUnits)} read units, eventually consistent, at ${d.billingMode === 'PROVISIONED' ? '$0.00013 per RCU-hour' : '$0.125 per million'}); ` +
              `each key found is not written: it pays off when more than ${(100 * p.skipPresent.breakEvenShare).toFixed(0)}% of them are already in the table, and saves up to ${usd(p.skipPresent.savedIfAllPresentUsd)} when all are (the costs above are for writing every key)`,
          ],
        ] as [string, string][])
      : []),
    ...(p.emr
      ? ([
          [
            'EMR Serverless cost',
            `about ${usd(p.emr.usd)}: ${p.emr.workers} workers, ${p.emr.vCpu} vCPU and ${p.emr.memoryGb} GB for ${duration(p.emr.hours * 3600)} ` +
              `(${p.emr.vCpuHours.toFixed(2)} vCPU-h at $${EMR_PRICES.vCpuHour}, ${p.emr.memoryGbHours.toFixed(2)} GB-h at $${EMR_PRICES.memoryGbHour}; ${p.emr.prices} prices)`,
          ],
        ] as [string, string][])
      : []),
  ];
  return table(rows);
}

/** The puts: the table, the write rate, how long and what they cost. */
function writeRows(p: Plan): [string, string][] {
  const d = p.dynamodb;
  return [
    [
      'table',
      `${d.table} (${d.region}), ${d.billingMode === 'PROVISIONED' ? `provisioned ${n(d.provisionedWcu ?? 0)} WCU` : 'on-demand'}`,
    ],
    ['write rate', `${n(d.writeRate)} WCU/s`],
    [
      'write duration',
      `${duration(p.duration.writeSeconds)} (the whole job about ${duration(p.duration.totalSeconds)})`,
    ],
    [
      'DynamoDB cost',
      `${usd(d.onDemandUsd)} on-demand ($0.625 per million writes); ${usd(d.provisionedUsd)} on provisioned capacity (${n(d.wcuHours)} WCU-hours at $0.00065)` +
        (d.billingMode === 'PAY_PER_REQUEST' && d.onDemandUsd > 2 * d.provisionedUsd + 1
          ? '; switching the table to provisioned for the run is cheaper (the billing mode can change once per 24 h)'
          : ''),
    ],
  ];
}

/** A look at a run, as `status` prints it. */
export function renderRunStatus(
  s: RunSnapshot,
  run: {
    runName: string;
    runner: string;
    region: string;
    table: string;
    output: string;
    plan: { objects: number; writes: number } | null;
    resumedFrom?: string | null;
  },
): string {
  const rows: [string, string][] = [
    [
      'run',
      `${run.runName} (${run.runner}${s.jobRunId ? `, job run ${s.jobRunId} on application ${s.applicationId}` : ''})`,
    ],
    ...(run.resumedFrom ? ([['resumes', run.resumedFrom]] as [string, string][]) : []),
    ['state', s.state + (s.final ? '' : ' (not final yet)')],
    ...(s.stateDetails ? ([['details', s.stateDetails]] as [string, string][]) : []),
    ['created', s.createdAt ?? '-'],
    ...(s.queuedSeconds !== null ? ([['queued', duration(s.queuedSeconds)]] as [string, string][]) : []),
    ['started', s.startedAt ?? '-'],
    ['ended', s.endedAt ?? '-'],
  ];
  const p = s.progress;
  if (p !== null && s.summary === null) {
    const keys = keysDone(p);
    rows.push(['phase', p.phase]);
    rows.push([
      'files read',
      `${n(p.filesRead ?? 0)}${run.plan ? ` of ${n(run.plan.objects)} planned` : ''}`,
    ]);
    rows.push([
      'keys done',
      `${n(keys)} of ${p.uniqueKeys === null || p.uniqueKeys === undefined ? (run.plan ? `about ${n(run.plan.writes)} (plan)` : '?') : n(p.uniqueKeys)}` +
        ` (written ${n(p.written ?? 0)}, already present ${n(p.alreadyPresent ?? 0)}, conflicting ${n(p.conflicting ?? 0)}, expired ${n(p.expired ?? 0)})`,
    ]);
    rows.push(['throttled retries', n(p.throttledRetries ?? 0)]);
    if (p.updatedAt) rows.push(['progress at', p.updatedAt]);
  }
  if (s.billed !== null) {
    rows.push([
      'billed',
      `${s.billed.vCpuHours.toFixed(3)} vCPU-h, ${s.billed.memoryGbHours.toFixed(3)} GB-h, ${s.billed.storageGbHours.toFixed(3)} storage GB-h: ${usd(s.billed.usd)} (${EMR_PRICES.region} ${EMR_PRICES.architecture} prices)`,
    ]);
  }
  rows.push(['report', run.output]);
  if (s.logs.stderr !== null) {
    rows.push([
      'driver log',
      s.logs.stdout === s.logs.stderr ? s.logs.stderr : `${s.logs.stderr} (stdout: ${s.logs.stdout ?? '-'})`,
    ]);
  }
  if (s.dashboardUrl !== null) rows.push(['dashboard', s.dashboardUrl]);
  return table(rows);
}
