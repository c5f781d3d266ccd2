/**
 * The S3 adapter against moto's S3 server on 127.0.0.1: listing the top of a prefix and the
 * objects in a key range, a marker write and read, and each failure a user can fix turning into a
 * UserError with a hint. (The archive checks built on it are in the validator's tests.)
 */
import { createServer } from 'node:net';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, mapS3Error } from '../../../src/aws/s3.js';
import { UserError } from '../../../src/domain/errors.js';
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDS3TEST', secretAccessKey: 's3-test-secret' };
const BUCKET = 'archive-bucket';

let s3: S3Emulator;

const serviceError = (name: string, status: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

beforeAll(async () => {
  s3 = await startS3Emulator({ region: REGION, credentials: CREDENTIALS });
  await s3.createBucket(BUCKET);
  for (const key of [
    'enriched/archive/run=2017-01-26-00-01-25/part-00000.gz',
    'enriched/archive/run=2017-01-26-00-01-25/_SUCCESS',
    'enriched/archive/run=2017-01-27-10-00-00/sub/part-00001',
    'enriched/archive/run=2017-13-01-00-00-00/part-00000',
    'enriched/archive/notes/readme.txt',
    'enriched/archive/manifest.json',
    'enriched/archive-old/run=2016-01-01-00-00-00/part-00000',
    'other/readme.txt',
  ]) {
    await s3.putObject(BUCKET, key, 'x');
  }
}, 60_000);

afterAll(async () => {
  await s3?.stop();
});

describe('createS3Client().listTopLevel', () => {
  it('lists the folders and files directly under a prefix, with or without its trailing slash', async () => {
    const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: CREDENTIALS });
    try {
      const expected = {
        folders: ['notes', 'run=2017-01-26-00-01-25', 'run=2017-01-27-10-00-00', 'run=2017-13-01-00-00-00'],
        files: ['manifest.json'],
      };
      const a = await client.listTopLevel(BUCKET, 'enriched/archive');
      expect({ folders: [...a.folders].sort(), files: a.files }).toEqual(expected);
      const b = await client.listTopLevel(BUCKET, 'enriched/archive/');
      expect({ folders: [...b.folders].sort(), files: b.files }).toEqual(expected);
      const root = await client.listTopLevel(BUCKET, '');
      expect([...root.folders].sort()).toEqual(['enriched', 'other']);
    } finally {
      client.destroy();
    }
  });

  it('maps a missing bucket to S3_BUCKET_NOT_FOUND', async () => {
    const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: CREDENTIALS });
    try {
      const e = await rejection(client.listTopLevel('no-such-bucket', 'x/'));
      expect(e.code).toBe('S3_BUCKET_NOT_FOUND');
      expect(e.message).toContain('no-such-bucket');
      expect(e.hint).toMatch(/bucket name/);
    } finally {
      client.destroy();
    }
  });

  it('maps an endpoint nobody listens on to S3_UNREACHABLE, naming the endpoint', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 1));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const client = createS3Client({ region: REGION, endpoint, credentials: CREDENTIALS });
    try {
      const e = await rejection(client.listTopLevel(BUCKET, 'enriched/archive/'));
      expect(e.code).toBe('S3_UNREACHABLE');
      expect(e.message).toContain(endpoint);
      expect(e.hint).toMatch(/--s3-endpoint/);
    } finally {
      client.destroy();
    }
  });
});

describe('mapS3Error', () => {
  const ctx = { operation: 'ListObjectsV2', bucket: 'b', prefix: 'p/', region: REGION, endpoint: undefined };

  it('maps AccessDenied (and a bare 403) to S3_ACCESS_DENIED with the permission to grant', () => {
    for (const e of [serviceError('AccessDenied', 403), serviceError('Forbidden', 403)]) {
      const mapped = mapS3Error(e, ctx);
      expect(mapped).toBeInstanceOf(UserError);
      expect((mapped as UserError).code).toBe('S3_ACCESS_DENIED');
      expect((mapped as UserError).hint).toContain('s3:ListBucket on arn:aws:s3:::b');
    }
  });

  it('maps bad keys to AWS_CREDENTIALS and a bucket in another region to S3_WRONG_REGION', () => {
    expect((mapS3Error(serviceError('InvalidAccessKeyId', 403), ctx) as UserError).code).toBe(
      'AWS_CREDENTIALS',
    );
    expect((mapS3Error(serviceError('PermanentRedirect', 301), ctx) as UserError).code).toBe(
      'S3_WRONG_REGION',
    );
    // moto checks names only on CreateBucket (listing "b" is NoSuchBucket there); S3 answers this.
    expect((mapS3Error(serviceError('InvalidBucketName', 400), ctx) as UserError).code).toBe(
      'S3_BUCKET_INVALID',
    );
  });

  it('leaves errors nobody can fix from the CLI as they are', () => {
    const e = serviceError('InternalError', 500);
    expect(mapS3Error(e, ctx)).toBe(e);
  });
});

describe('createS3Client().listObjects, putObject, headObject', () => {
  it('lists every object under a prefix in key order, within a key range', async () => {
    const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: CREDENTIALS });
    try {
      const all: string[] = [];
      for await (const o of client.listObjects(BUCKET, 'enriched/archive')) all.push(o.key);
      expect(all).toEqual([
        'enriched/archive/manifest.json',
        'enriched/archive/notes/readme.txt',
        'enriched/archive/run=2017-01-26-00-01-25/_SUCCESS',
        'enriched/archive/run=2017-01-26-00-01-25/part-00000.gz',
        'enriched/archive/run=2017-01-27-10-00-00/sub/part-00001',
        'enriched/archive/run=2017-13-01-00-00-00/part-00000',
      ]);
      const ranged: { key: string; size: number }[] = [];
      for await (const o of client.listObjects(BUCKET, 'enriched/archive/', {
        startAfter: 'enriched/archive/run=2017-01-27-10-00-00',
        before: 'enriched/archive/run=2017-01-27-10-00-000',
      }))
        ranged.push(o);
      expect(ranged).toEqual([{ key: 'enriched/archive/run=2017-01-27-10-00-00/sub/part-00001', size: 1 }]);
    } finally {
      client.destroy();
    }
  });

  it('writes a small object and reads its size back; a missing one is null', async () => {
    const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: CREDENTIALS });
    try {
      await client.putObject(BUCKET, 'staging/.marker', 'hello');
      expect(await client.headObject(BUCKET, 'staging/.marker')).toEqual({ size: 5 });
      expect(await client.headObject(BUCKET, 'staging/none')).toBeNull();
      const e = await rejection(client.putObject('no-such-bucket', 'k', 'x'));
      expect(e.code).toBe('S3_BUCKET_NOT_FOUND');
    } finally {
      client.destroy();
    }
  });

  it('names the permission a refused write or read needs', () => {
    const ctx = {
      operation: 'PutObject',
      bucket: 'b',
      prefix: 'staging/.marker',
      region: REGION,
      endpoint: undefined,
    };
    const put = mapS3Error(serviceError('AccessDenied', 403), ctx) as UserError;
    expect(put.code).toBe('S3_ACCESS_DENIED');
    expect(put.hint).toContain('s3:PutObject on arn:aws:s3:::b/staging/.marker');
    const head = mapS3Error(serviceError('Forbidden', 403), { ...ctx, operation: 'HeadObject' }) as UserError;
    expect(head.hint).toContain('s3:GetObject');
  });
});
