import { describe, expect, it } from 'vitest';
import { closestCommand } from '../../src/cli/suggest.js';

const commands = ['submit', 'status', 'validate', 'verify', 'cancel', 'logs', 'runs', 'iam-policy', 'demo'];

describe('closestCommand', () => {
  it('finds the command a typo meant', () => {
    expect(closestCommand('sumbit', commands)).toBe('submit');
    expect(closestCommand('verfy', commands)).toBe('verify');
    expect(closestCommand('Stauts', commands)).toBe('status');
    expect(closestCommand('iam-polcy', commands)).toBe('iam-policy');
  });

  it('suggests nothing for a word that is no typo of any', () => {
    expect(closestCommand('xyzzy', commands)).toBeUndefined();
    expect(closestCommand('ab', commands)).toBeUndefined();
    expect(closestCommand('x', [])).toBeUndefined();
  });
});
