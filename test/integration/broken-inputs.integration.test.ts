/**
 * The corpus of broken inputs (test/fixtures/broken/cases.json): each pair of a storage config and
 * a resolver produces exactly the checks listed for it, with its JSON Pointer and message, and a
 * hint that says what to do (never "see above").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/domain/checks.js';
import { renderChecklist } from '../../src/output/checklist.js';
import { validateInputs } from '../../src/services/validate.js';

interface Case {
  storage: string;
  resolver: string;
  expect: { status: 'fail' | 'warn'; id: string; path?: string; message: string }[];
}

const dir = path.resolve('test/fixtures/broken');
const cases = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Case[];

describe('the broken-input corpus', () => {
  it('holds at least 25 pairs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [`${c.storage} + ${c.resolver}`, c] as const))('%s', async (_name, c) => {
    const report = await validateInputs({
      archive: dir,
      storageConfigPath: path.join(dir, c.storage),
      resolverPath: path.join(dir, c.resolver),
      runner: 'local',
      sizing: {},
      offline: true,
      projectRoot: path.resolve('.'),
      cacheDir: path.join(process.env.HOME ?? '/tmp', '.cache', 'populator'),
      cwd: dir,
      env: process.env,
    });
    // The archive (a folder without runs) and the toolchain are not what this corpus is about.
    const found = report.checks.filter(
      (ch: Check) =>
        (ch.status === 'fail' || ch.status === 'warn') && (ch.group === 'inputs' || ch.group === 'flags'),
    );
    expect(found.map((f) => [f.status, f.id, f.path ?? null])).toEqual(
      c.expect.map((e) => [e.status, e.id, e.path ?? null]),
    );
    c.expect.forEach((e, i) => {
      const check = found[i] as Check;
      expect(check.message).toContain(e.message);
      expect(check.hint, `hint of ${check.id}`).toBeTruthy();
      expect(check.hint).not.toMatch(/above|below/i);
    });
    if (c.expect.some((e) => e.status === 'fail')) expect(report.inputs).toBeUndefined();
    const text = renderChecklist(report.checks, report.counts, { colour: false, strict: false });
    for (const e of c.expect) expect(text).toContain(e.message);
  });
});
