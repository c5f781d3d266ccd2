/**
 * The golden classification vectors (test/fixtures/classification/vectors.json): shared by the
 * TypeScript oracle's test and the job's ClassifySpec, so the two classifiers cannot drift. The
 * file's `description` says how a vector's line is built.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REFERENCE_ENRICHED_LINE } from '../../src/domain/demo-archive.js';
import type { ClassifiedLine } from '../../src/domain/enriched.js';

/** A string, or a string repeated (keeps multi-megabyte lines out of the file). */
export type VectorValue = string | { repeat: string; times: number };

export interface ClassificationVector {
  name: string;
  line?: VectorValue;
  recipe?: { fields?: Record<string, VectorValue>; fieldCount?: number };
  expected:
    | { kind: 'bad'; reason: string }
    | { kind: 'noFingerprint'; eventId: string; etlTime: number }
    | { kind: 'valid'; eventId: string; fingerprint: VectorValue; etlTime: number };
}

export const VECTORS_FILE = path.resolve('test/fixtures/classification/vectors.json');

export function loadVectors(): ClassificationVector[] {
  return (JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as { vectors: ClassificationVector[] }).vectors;
}

export function vectorValue(v: VectorValue): string {
  return typeof v === 'string' ? v : v.repeat.repeat(v.times);
}

/** The line a vector describes. */
export function vectorLine(v: ClassificationVector): string {
  if (v.line !== undefined) return vectorValue(v.line);
  const fields = REFERENCE_ENRICHED_LINE.split('\t');
  for (const [i, value] of Object.entries(v.recipe?.fields ?? {})) fields[Number(i)] = vectorValue(value);
  const n = v.recipe?.fieldCount;
  if (n !== undefined) {
    while (fields.length < n) fields.push('');
    fields.length = n;
  }
  return fields.join('\t');
}

/** What `classifyLine` must return for the vector. */
export function vectorExpectation(v: ClassificationVector): ClassifiedLine {
  const e = v.expected;
  if (e.kind === 'valid') return { ...e, fingerprint: vectorValue(e.fingerprint) };
  return e as ClassifiedLine;
}
