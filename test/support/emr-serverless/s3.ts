/**
 * The emulator's own S3 access (it plays the service, which fetches the entry point and writes the
 * driver logs): two calls behind a narrow interface, against the S3 endpoint it was given.
 * Not in src/aws/: that folder holds the CLI's adapters, and this is the other side of the API.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface EmulatorS3Options {
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
}

export interface EmulatorS3 {
  /** Downloads `s3://bucket/key` to `file`. */
  download(bucket: string, key: string, file: string): Promise<void>;
  put(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void>;
  destroy(): void;
}

export function createEmulatorS3(o: EmulatorS3Options): EmulatorS3 {
  const client = new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: true,
    credentials: o.credentials,
    // Buffers are uploaded whole: no aws-chunked framing for an emulator to mishandle.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  return {
    async download(bucket, key, file) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (r.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
      await pipeline(r.Body as Readable, createWriteStream(file));
    },
    async put(bucket, key, body, contentType) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
      );
    },
    destroy() {
      client.destroy();
    },
  };
}
