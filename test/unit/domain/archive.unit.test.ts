import { describe, expect, it } from 'vitest';
import { parseArchiveLocation } from '../../../src/domain/archive.js';
import { UserError } from '../../../src/domain/errors.js';

describe('parseArchiveLocation', () => {
  it('makes local paths absolute and gives the job a file:// URI', () => {
    expect(parseArchiveLocation('data/archive', '/home/me')).toEqual({
      kind: 'local',
      path: '/home/me/data/archive',
      uri: 'file:///home/me/data/archive/',
    });
  });

  it('accepts file:// URIs', () => {
    expect(parseArchiveLocation('file:///srv/enriched/', '/x')).toMatchObject({
      kind: 'local',
      path: '/srv/enriched',
    });
  });

  it('accepts s3, s3a and s3n URIs as one S3 location', () => {
    for (const scheme of ['s3', 's3a', 's3n']) {
      expect(parseArchiveLocation(`${scheme}://bucket/enriched/archive`, '/x')).toEqual({
        kind: 's3',
        bucket: 'bucket',
        prefix: 'enriched/archive',
        uri: 's3://bucket/enriched/archive/',
      });
    }
  });

  it('refuses other schemes and empty input with a hint', () => {
    expect(() => parseArchiveLocation('gs://bucket/x', '/x')).toThrow(UserError);
    expect(() => parseArchiveLocation('  ', '/x')).toThrow(/empty/);
    try {
      parseArchiveLocation('http://example.com/a', '/x');
    } catch (e) {
      expect((e as UserError).hint).toMatch(/s3:\/\//);
    }
  });
});
