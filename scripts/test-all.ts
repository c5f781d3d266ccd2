/**
 * `npm test`: every suite, then one totals line `N passed, N failed` over all of them.
 * Order: the Scala suite first through `mvn package` (ScalaTest, then the shaded jar the end-to-end
 * tests run), then the same suite on the Spark 4.0 / Scala 2.13 build (`-P spark-4.0`, its own
 * target/spark-4.0/ folder and jar), then Vitest (unit, integration, end-to-end). Exits non-zero
 * when anything failed. `--only ts|scala|scala-3.5|scala-4.0` runs one side (`scala`: both Scala
 * builds); extra arguments go to Vitest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Totals {
  suite: string;
  passed: number;
  failed: number;
  skipped: number;
}

const failures: string[] = [];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argv = process.argv.slice(2);
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? argv[onlyIdx + 1] : undefined;
const vitestArgs = onlyIdx >= 0 ? argv.filter((_, i) => i !== onlyIdx && i !== onlyIdx + 1) : argv;

/** One Scala build's suite: `profile` undefined is the default build (Spark 3.5 / Scala 2.12). */
function scala(suite: string, profile?: string): Totals {
  const profileArgs = profile === undefined ? [] : ['-P', profile];
  const r = spawnSync('mvn', ['-B', ...profileArgs, '-f', path.join(root, 'spark', 'pom.xml'), 'package'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(r.stdout ?? '');
  // ScalaTest's closing line: "Tests: succeeded 12, failed 0, canceled 0, ignored 0, pending 0"
  const m = [
    ...(r.stdout ?? '').matchAll(/Tests: succeeded (\d+), failed (\d+), canceled (\d+), ignored (\d+)/g),
  ].pop();
  const passed = m ? Number(m[1]) : 0;
  // The names of failed tests, repeated next to the totals so the end of a long log says what failed.
  for (const line of (r.stdout ?? '').split('\n'))
    if (/\*\*\* (FAILED|CANCELED|ABORTED) \*\*\*/.test(line)) failures.push(`${suite}: ${line.trim()}`);
  const failedTests = m ? Number(m[2]) + Number(m[3]) : 0;
  // A build that failed outside the tests (compilation, shading) counts as one failure.
  const failed = failedTests > 0 ? failedTests : r.status === 0 && m ? 0 : 1;
  return { suite, passed, failed, skipped: m ? Number(m[4]) : 0 };
}

function vitest(): Totals {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-vitest-'));
  const report = path.join(dir, 'report.json');
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...vitestArgs,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  let totals: Totals = { suite: 'ts', passed: 0, failed: 1, skipped: 0 };
  if (existsSync(report)) {
    const j = JSON.parse(readFileSync(report, 'utf8')) as {
      testResults?: {
        name: string;
        status: string;
        message?: string;
        assertionResults?: { fullName: string; status: string }[];
      }[];
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      numFailedTestSuites: number;
    };
    for (const file of j.testResults ?? []) {
      const rel = path.relative(root, file.name);
      const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of failedTests) failures.push(`ts: ${rel} > ${a.fullName}`);
      if (file.status === 'failed' && failedTests.length === 0)
        failures.push(`ts: ${rel}: ${(file.message ?? 'failed to run').split('\n')[0]}`);
    }
    // A suite that failed to load has no failed test but is a failure all the same.
    const failed =
      j.numFailedTests + (j.numFailedTests === 0 && j.numFailedTestSuites > 0 ? j.numFailedTestSuites : 0);
    totals = {
      suite: 'ts',
      passed: j.numPassedTests,
      failed: failed || (r.status === 0 ? 0 : 1),
      skipped: j.numPendingTests + j.numTodoTests,
    };
  }
  rmSync(dir, { recursive: true, force: true });
  return totals;
}

const results: Totals[] = [];
const runs = (name: string): boolean =>
  only === undefined || only === name || (only === 'scala' && name.startsWith('scala-'));
if (runs('scala-3.5')) results.push(scala('scala-3.5', undefined));
if (runs('scala-4.0')) results.push(scala('scala-4.0', 'spark-4.0'));
if (only === undefined || only === 'ts') results.push(vitest());
if (failures.length > 0) process.stdout.write(`\nfailed:\n${failures.map((f) => `  ${f}\n`).join('')}\n`);
for (const t of results)
  process.stdout.write(`${t.suite}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped\n`);
const passed = results.reduce((a, t) => a + t.passed, 0);
const failed = results.reduce((a, t) => a + t.failed, 0);
const skipped = results.reduce((a, t) => a + t.skipped, 0);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 ? 1 : 0;
