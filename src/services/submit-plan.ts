/**
 * The plan step of submit: the archive's inventory (sizes and line samples of what the validator
 * listed) priced for the table and the runner. Pure apart from reading the sampled lines.
 */
import os from 'node:os';
import path from 'node:path';
import { buildPlan, type Plan, type PlanCompute, type PlanJob, type PlanTable } from '../domain/plan.js';
import { describeFamily, SPARK_FAMILY } from '../domain/spark-family.js';
import { DEFAULT_TABLE_WRITE_LIMIT } from '../domain/checks/table.js';
import { masterCores } from '../domain/spark-master.js';
import { inventoryArchive } from './archive-inventory.js';
import type { CheckedSubmit } from './submit-inputs.js';
import { localMasterOf } from './submit-job.js';
import type { SubmitOptions } from './submit-types.js';
import type { ValidatedInputs } from './validate.js';

/** EMR Serverless's default job timeout (minutes): a plan near it is warned about. */
const EMR_DEFAULT_TIMEOUT_MINUTES = 720;

/** What the job would read, write and cost, from what the validator found (nothing is listed again). */
export async function planSubmit(
  c: CheckedSubmit,
  validated: ValidatedInputs,
  o: SubmitOptions,
): Promise<Plan> {
  const inventory = await inventoryArchive({
    archive: c.archive,
    files: validated.archiveFiles ?? [],
    runsInArchive: validated.archiveTop?.runIds.length ?? 0,
    s3: c.clients.s3,
  });
  const plan = buildPlan({
    archive: c.archive.uri,
    runsInArchive: inventory.runsInArchive,
    runs: inventory.runs,
    sample: inventory.sample,
    table: planTable(c),
    // --import prices the puts of the same items at an on-demand table's default limit.
    writeRate: c.import === undefined ? c.rate.rate : DEFAULT_TABLE_WRITE_LIMIT,
    ...(c.import !== undefined ? { import: { billing: c.import.billing } } : {}),
    ttlSeconds: o.ttlSeconds,
    skipExpired: c.skipExpired,
    nowSeconds: Math.floor(o.now.toSeconds()),
    compute: computeOf(c, o),
    // An import run's resume spares no writes: its job runs again whole, or not at all (import only).
    ...(o.resume !== undefined && c.import === undefined
      ? { resume: { from: o.resume.record.runName, keysSettled: o.resume.keysSettled } }
      : {}),
    skipPresent: o.skipPresent === true,
    job: jobOf(c, o),
  });
  if (
    c.emr !== undefined &&
    c.emr.timeoutMinutes === undefined &&
    plan.duration.totalSeconds > 0.8 * EMR_DEFAULT_TIMEOUT_MINUTES * 60
  ) {
    plan.warnings.push(
      `The job may run about ${(plan.duration.totalSeconds / 3600).toFixed(1)} hours, near or beyond EMR Serverless's default 12-hour timeout: give --timeout MINUTES (up to 10080).`,
    );
  }
  return plan;
}

/** The job the plan names: the family, the jar (given, the one populator ships with, or spark/'s build), the release. */
function jobOf(c: CheckedSubmit, o: SubmitOptions): PlanJob {
  const f = SPARK_FAMILY[c.family];
  const j = c.jobJar;
  let jar: string;
  const staged = c.emr?.jar;
  if (staged?.kind === 's3') {
    jar = `${staged.uri} (used as it is)`;
  } else if (j.kind === 'given') {
    jar = j.location;
  } else if (j.kind === 'packaged') {
    jar = `${j.path} (comes with populator ${j.info.version})`;
  } else {
    const mvn = f.mavenProfile === undefined ? 'mvn package' : `mvn -P ${f.mavenProfile} package`;
    jar = `${path.relative(o.cwd, j.path) || j.path} (${mvn} of spark/, built when missing or older than its sources)`;
  }
  return {
    spark: describeFamily(c.family),
    jar,
    ...(c.emr !== undefined ? { releaseLabel: c.emr.releaseLabel } : {}),
  };
}

/** The table as the plan prices it: as described, or as `--import` will create it (empty, TTL on). */
function planTable(c: CheckedSubmit): PlanTable {
  const t = c.table;
  if (t !== undefined) {
    return {
      name: c.storage.table,
      region: c.region,
      billingMode: t.billingMode,
      provisionedWcu: t.provisionedWcu,
      ttlEnabled: t.ttl === 'ENABLED',
      ...(t.itemCount !== undefined ? { itemCount: t.itemCount } : {}),
    };
  }
  const billing = c.import?.billing;
  return {
    name: c.storage.table,
    region: c.region,
    billingMode: billing?.mode === 'provisioned' ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    provisionedWcu: billing?.mode === 'provisioned' ? billing.writeCapacity : undefined,
    ttlEnabled: true,
    itemCount: 0,
  };
}

/** The compute the plan prices: EMR Serverless workers, or the local master's cores. */
function computeOf(c: CheckedSubmit, o: SubmitOptions): PlanCompute {
  if (c.emr === undefined) {
    return { runner: 'local', cores: masterCores(localMasterOf(o), os.availableParallelism()) };
  }
  return {
    runner: 'emr-serverless',
    workers: 1 + c.emr.sizing.executors,
    executorCpu: c.emr.sizing.executors * c.emr.sizing.executor.cpu,
    totalCpu: c.emr.sizing.totalCpu,
    totalMemoryGb: c.emr.sizing.totalMemoryGb,
    billedStorageGb: 0,
  };
}
