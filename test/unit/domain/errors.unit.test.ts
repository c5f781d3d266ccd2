import { describe, expect, it } from 'vitest';

import {
  EXIT_CODES,
  EXIT_CODE_DESCRIPTIONS,
  UserError,
  formatIssue,
  isUserError,
} from '../../../src/domain/errors.js';

describe('UserError', () => {
  it('carries the next step, a code, the issues and the exit code (usage by default)', () => {
    const issue = { source: 'storage.json', path: '/data/awsRegion', message: 'awsRegion is empty' };
    const e = new UserError('The storage config is not valid.', {
      hint: 'Fix it.',
      code: 'INVALID_CONFIG',
      issues: [issue],
    });
    expect(e).toBeInstanceOf(Error);
    expect(isUserError(e)).toBe(true);
    expect(e.name).toBe('UserError');
    expect(e.hint).toBe('Fix it.');
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.issues).toEqual([issue]);
    expect(e.exitCode).toBe(EXIT_CODES.usage);
  });

  it('keeps its cause and an explicit exit code', () => {
    const cause = new Error('socket hang up');
    const e = new UserError('x', { hint: 'y', cause, exitCode: EXIT_CODES.jobFailed });
    expect(e.cause).toBe(cause);
    expect(e.exitCode).toBe(4);
  });

  it('is not confused with a bug', () => {
    expect(isUserError(new Error('boom'))).toBe(false);
    expect(isUserError('text')).toBe(false);
  });
});

describe('formatIssue', () => {
  it('names the file, the JSON path, the problem and the fix', () => {
    expect(
      formatIssue({
        source: 'conf/dynamodb.json',
        path: '/data/purpose',
        message: 'must be one of "EVENTS_MANIFEST", not "DUPLICATE_TRACKING"',
        hint: 'Set it to "EVENTS_MANIFEST".',
      }),
    ).toBe(
      'conf/dynamodb.json: /data/purpose: must be one of "EVENTS_MANIFEST", not "DUPLICATE_TRACKING". Set it to "EVENTS_MANIFEST".',
    );
  });

  it('leaves out the root path', () => {
    expect(formatIssue({ source: '--since', path: '', message: 'bad' })).toBe('--since: bad');
  });
});

describe('EXIT_CODES', () => {
  it('keeps the documented numbers', () => {
    expect(EXIT_CODES).toMatchObject({ ok: 0, failed: 1, usage: 2, verifyBelowThreshold: 3 });
  });

  it('has distinct numbers, each with a description', () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(EXIT_CODE_DESCRIPTIONS).sort()).toEqual(Object.keys(EXIT_CODES).sort());
    for (const description of Object.values(EXIT_CODE_DESCRIPTIONS)) expect(description.trim()).not.toBe('');
  });
});
