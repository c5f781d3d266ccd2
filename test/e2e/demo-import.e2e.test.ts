/**
 * The repository's `npm run demo:import` flavour of the demo, through the service: moto's server is
 * the S3 and the DynamoDB, no table is created beforehand, `submit --import --runner local` creates
 * it, and the demo's own checks (the table against the archive, verify) pass on the imported table.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { countersAddUp } from '../../src/domain/job-report.js';
import { runDemo } from '../../src/services/demo.js';
import { cleanEnv } from '../helpers/cli.js';
import { importDemo } from '../support/demo-import.js';

describe('npm run demo:import (the demo with the table created by submit --import, on moto)', () => {
  it('imports the table, which matches the archive, and verify proves it complete', async () => {
    const lines: string[] = [];
    const imports: string[] = [];
    const flavour = importDemo({ importFollowIntervalMs: 200 });
    const result = await runDemo({
      ...flavour,
      events: 600,
      seed: 7,
      etlTime: 'run',
      keep: false,
      master: 'local[2]',
      driverMemory: '1g',
      projectRoot: path.resolve('.'),
      cacheDir: path.join(process.env.HOME ?? '/tmp', '.cache', 'populator'),
      env: cleanEnv({}),
      now: DateTime.utc(),
      log: (l) => lines.push(l),
      onProgress: () => {},
      onImport: (v) => imports.push(v.status),
    });
    expect(result.tableMatchesArchive).toBe(true);
    expect(result.mismatches).toEqual([]);
    // The submit created the table: the demo did not.
    expect(lines.join('\n')).not.toContain('Created table');
    expect(result.submit.import?.status).toBe('COMPLETED');
    expect(result.submit.import?.ttl).toBe('ENABLED');
    expect(result.submit.import?.items).toBe(result.tableItemCount);
    expect(result.submit.import?.usd).toBeGreaterThan(0);
    expect(result.submit.plan.import).not.toBeNull();
    expect(imports.at(-1)).toBe('COMPLETED');
    expect(countersAddUp(result.submit.summary.counters)).toBe(true);
    expect(result.tableItemCount).toBe(result.submit.summary.counters.written);
    expect(result.verify.coverage).toMatchObject({ estimate: 1, verdict: 'proven' });
    expect(result.verify.counts.missing).toBe(0);
    // Everything it started is stopped and its folder removed.
    expect(result.dir).toBeNull();
    const workDir = /Writing a demo archive of \d+ events to (\S+)\/archive/.exec(lines.join('\n'))?.[1];
    expect(workDir && existsSync(workDir)).toBe(false);
  }, 600_000);
});
