import { describe, expect, it } from 'vitest';
import { countChecks, type Check } from '../../../src/domain/checks.js';
import { renderChecklist, verdict } from '../../../src/output/checklist.js';

const checks: Check[] = [
  {
    id: 'inputs.storage-config',
    group: 'inputs',
    status: 'fail',
    message: 'required property "id" is missing',
    hint: 'Add "id".',
    source: '/x/dynamodb.json',
    path: '/data/id',
  },
  { id: 'table.ttl', group: 'table', status: 'warn', message: 'TTL is disabled', hint: 'Enable it.' },
  {
    id: 'table.exists',
    group: 'table',
    status: 'pass',
    message: 'manifest in us-east-1',
    hint: 'never shown',
  },
  {
    id: 'emr.quota',
    group: 'emr',
    status: 'skipped',
    message: 'skipped: not allowed to call servicequotas:GetServiceQuota',
  },
];

describe('renderChecklist', () => {
  it('groups the checks under their titles, names the file and pointer, and gives each problem its fix', () => {
    const text = renderChecklist(checks, countChecks(checks), { colour: false, strict: false });
    expect(text).toContain(
      'Storage config and resolver\n  FAIL  inputs.storage-config  /x/dynamodb.json /data/id: required property "id" is missing',
    );
    expect(text).toContain('fix: Add "id".');
    expect(text).toContain('fix: Enable it.');
    expect(text).not.toContain('never shown');
    expect(text).not.toContain('\u001b[');
    expect(text.split('\n').at(-1)).toBe(
      '1 failed, 1 warning, 1 passed, 1 skipped: submit would refuse these inputs; nothing was started',
    );
  });
  it('colours only when asked (a terminal)', () => {
    expect(renderChecklist(checks, countChecks(checks), { colour: true, strict: false })).toContain(
      '\u001b[1;31mFAIL\u001b[0m',
    );
  });
  it('says when --strict refuses warnings', () => {
    expect(verdict({ pass: 3, warn: 1, fail: 0, skipped: 0 }, true)).toBe(
      '1 warning, 3 passed: refused: --strict counts warnings as failures',
    );
    expect(verdict({ pass: 3, warn: 1, fail: 0, skipped: 0 }, false)).toBe(
      '1 warning, 3 passed: ready to submit',
    );
  });
});
