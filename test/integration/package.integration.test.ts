/**
 * What `npm pack` ships: the CLI, the prebuilt job jars (jars/, which `prepack` fills: here they are
 * put there first by `npm run pack:jars`, which reuses fresh spark/target jars) and the pom (a local
 * run resolves its Spark classpath from it), never the job's sources or the test infrastructure
 * (the EMR Serverless emulator, the moto launcher, test helpers). Runs on the built dist/ (`npm test`
 * builds it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the npm package', () => {
  it('holds the commands, both job jars and the pom, and no job source or test infrastructure', () => {
    const root = path.resolve('.');
    execFileSync('npm', ['run', '--silent', 'pack:jars'], { cwd: root, stdio: 'ignore' });
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(files).toContain('dist/commands/submit.js');
    expect(files).toContain('dist/commands/demo.js');
    expect(files).toContain('bin/run.js');
    expect(files).toContain('spark/pom.xml');
    expect(files.filter((f) => f.startsWith('jars/')).sort()).toEqual([
      `jars/populator-job-${version}-spark-3.5.jar`,
      `jars/populator-job-${version}-spark-4.0.jar`,
    ]);
    expect(files.filter((f) => f.startsWith('spark/') && f !== 'spark/pom.xml')).toEqual([]);
    expect(files.filter((f) => /emulator|moto|^test\/|fault-proxy/i.test(f))).toEqual([]);
  }, 900_000);

  it('git-ignores jars/ and fills it before every pack', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepack).toBe('node --import tsx scripts/pack-jars.ts');
    expect(readFileSync('.gitignore', 'utf8').split('\n')).toContain('jars/');
  });
});
