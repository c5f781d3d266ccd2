/**
 * The S3 adapter's object operations against moto's S3 server on 127.0.0.1: recursive listing
 * started and stopped by key, HEAD, ranged and whole reads, and a multipart upload with progress.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, type S3Client } from '../../../src/aws/s3.js';
import { startS3Emulator, type S3Emulator } from '../../helpers/s3-emulator.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDS3OBJECTS', secretAccessKey: 's3-objects-secret' };
const BUCKET = 'objects-bucket';

let s3: S3Emulator;
let client: S3Client;
let dir: string;

beforeAll(async () => {
  s3 = await startS3Emulator({ region: REGION, credentials: CREDENTIALS });
  await s3.createBucket(BUCKET);
  // More than one page (1,000 keys) in total, so continuation is exercised.
  for (let r = 0; r < 3; r++) {
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      puts.push(
        s3.putObject(BUCKET, `a/run=2020-01-0${r + 1}-00-00-00/part-${String(i).padStart(4, '0')}`, 'xy'),
      );
    }
    await Promise.all(puts);
  }
  await s3.putObject(BUCKET, 'a/other.txt', 'hello world');
  client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: CREDENTIALS });
  dir = mkdtempSync(path.join(os.tmpdir(), 'populator-s3-objects-'));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function keys(prefix: string, opts?: Parameters<S3Client['listObjects']>[2]): Promise<string[]> {
  const out: string[] = [];
  for await (const o of client.listObjects(BUCKET, prefix, opts)) out.push(o.key);
  return out;
}

describe('listObjects', () => {
  it('lists every object under a prefix, in key order, across pages', async () => {
    const all = await keys('a');
    expect(all).toHaveLength(1201);
    expect([...all].sort()).toEqual(all);
  });

  it('starts after a key and stops before one: a --since/--until selection', async () => {
    const sel = await keys('a', {
      startAfter: 'a/run=2020-01-02-00-00-00',
      before: 'a/run=2020-01-03-00-00-00',
    });
    expect(sel).toHaveLength(400);
    expect(sel.every((k) => k.startsWith('a/run=2020-01-02-00-00-00/'))).toBe(true);
  });
});

describe('object reads', () => {
  it('HEAD gives the size, or null when the object is not there', async () => {
    expect(await client.headObject(BUCKET, 'a/other.txt')).toEqual({ size: 11 });
    expect(await client.headObject(BUCKET, 'a/missing')).toBeNull();
  });

  it('reads a range, an empty range past the end, and whole objects', async () => {
    expect(Buffer.from(await client.getObjectRange(BUCKET, 'a/other.txt', 6, 106)).toString()).toBe('world');
    expect((await client.getObjectRange(BUCKET, 'a/other.txt', 50, 60)).length).toBe(0);
    expect(Buffer.from((await client.getObject(BUCKET, 'a/other.txt')) ?? []).toString()).toBe('hello world');
    expect(await client.getObject(BUCKET, 'a/missing')).toBeNull();
  });
});

describe('uploadFile', () => {
  it('uploads a file of several parts intact, reporting progress up to its size', async () => {
    const file = path.join(dir, 'big.jar');
    const body = randomBytes(17 * 1024 * 1024 + 123);
    writeFileSync(file, body);
    const progress: number[] = [];
    await client.uploadFile(BUCKET, 'jars/big.jar', file, (sent) => progress.push(sent));
    expect(progress[progress.length - 1]).toBe(body.length);
    const back = await client.getObject(BUCKET, 'jars/big.jar');
    expect(back === null ? null : Buffer.compare(Buffer.from(back), body)).toBe(0);
  }, 60_000);

  it('uploads a small file in one request', async () => {
    const file = path.join(dir, 'small.jar');
    writeFileSync(file, 'tiny');
    await client.uploadFile(BUCKET, 'jars/small.jar', file);
    expect(Buffer.from((await client.getObject(BUCKET, 'jars/small.jar')) ?? []).toString()).toBe('tiny');
  });
});
