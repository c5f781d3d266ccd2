import { describe, expect, it } from 'vitest';
describe('x', () => { it('fails on purpose', () => { expect(1).toBe(2); }); });
