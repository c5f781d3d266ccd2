import { describe, expect, it } from 'vitest';
import { nodeCheck } from '../../../../src/domain/checks/toolchain.js';

describe('toolchain.node', () => {
  it('warns once, with what to do, on a Node.js past its end of life; passes 22 and later', () => {
    const old = nodeCheck('v20.20.2');
    expect(old).toMatchObject({ id: 'toolchain.node', status: 'warn' });
    expect(old.message).toContain('January 2027');
    expect(old.hint).toContain('Node.js 22 or 24');
    expect(nodeCheck('v22.12.0').status).toBe('pass');
    expect(nodeCheck('v24.22.3').status).toBe('pass');
  });
});
