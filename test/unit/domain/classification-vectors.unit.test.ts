import { describe, expect, it } from 'vitest';
import { classifyLine } from '../../../src/domain/enriched.js';
import {
  loadVectors,
  vectorExpectation,
  vectorLine,
  type ClassificationVector,
} from '../../helpers/classification-vectors.js';

const vectors = loadVectors();

describe('the golden classification vectors (shared with the job: ClassifySpec.scala)', () => {
  it('are many and uniquely named', () => {
    expect(vectors.length).toBeGreaterThan(50);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
  });

  it.each(vectors.map((v): [string, ClassificationVector] => [v.name, v]))('%s', (_name, v) => {
    const line = vectorLine(v);
    expect(line).not.toMatch(/[\r\n]/);
    // toEqual on a multi-megabyte string would print all of it on failure: compare the kind first.
    const actual = classifyLine(line);
    const expected = vectorExpectation(v);
    expect(actual.kind === 'bad' ? `bad:${actual.reason}` : actual.kind).toBe(
      expected.kind === 'bad' ? `bad:${expected.reason}` : expected.kind,
    );
    expect(actual).toEqual(expected);
  });
});
