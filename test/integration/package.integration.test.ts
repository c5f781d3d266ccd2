/**
 * What `npm pack` ships: the CLI and its job sources, never the test infrastructure (the EMR
 * Serverless emulator, the moto launcher, test helpers). Runs on the built dist/ (`npm test` builds it).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the npm package', () => {
  it('holds the commands and no emulator or other test infrastructure', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: path.resolve('.'),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).toContain('dist/commands/submit.js');
    expect(files).toContain('dist/commands/demo.js');
    expect(files).toContain('bin/run.js');
    expect(files.filter((f) => /emulator|moto|^test\/|fault-proxy/i.test(f))).toEqual([]);
  }, 60_000);
});
