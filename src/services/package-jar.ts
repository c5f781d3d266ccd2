/**
 * Packaging for EMR Serverless: the job jar goes to
 * `<staging>/jars/populator-job-<version>-<sha256 prefix>.jar`, uploaded only when that exact jar
 * is not there yet (HEAD first), multipart with progress. A `--jar s3://...` is used as it is.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { S3Client } from '../aws/s3.js';
import type { JarBuildInfo } from '../domain/emr.js';
import { joinS3Uri, parseS3Uri } from '../domain/s3-uri.js';
import type { SparkFamily } from '../domain/spark-family.js';
import { jobJarFile } from '../local/jar.js';
import type { JarSource } from './submit-inputs.js';

/** Hex digits of the jar's SHA-256 in its staged name. */
export const JAR_HASH_PREFIX = 12;

export interface StagedJar {
  /** `s3://.../populator-job-<version>-<sha>.jar` */
  uri: string;
  /** The jar's SHA-256, or null for a `--jar s3://` used as it is. */
  sha256: string | null;
  size: number;
  /** False when that exact jar was there already. */
  uploaded: boolean;
}

export interface StageJarOptions {
  jar: JarSource;
  info: JarBuildInfo;
  /** Which jar to build (`jar.kind` build). */
  family: SparkFamily;
  /** `s3://.../` staging root. */
  staging: string;
  s3: S3Client;
  /** Where Java and Maven are looked for when spark/'s jar must be built first. */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  onUpload?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** SHA-256 of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** The staged name of a jar. */
export function stagedJarName(version: string, sha256: string): string {
  return `populator-job-${version}-${sha256.slice(0, JAR_HASH_PREFIX)}.jar`;
}

/**
 * Makes sure the jar is in the staging folder (a local one, or the one populator ships with, as it
 * is; spark/'s built first when stale: only that needs Java and Maven); returns where.
 */
export async function stageJar(o: StageJarOptions): Promise<StagedJar> {
  if (o.jar.kind === 's3') return { uri: o.jar.uri, sha256: null, size: o.jar.size, uploaded: false };
  const file =
    o.jar.kind === 'local' ? o.jar.path : await jobJarFile(o.jar.jar, o.family, o.env, o.log, o.signal);
  const sha256 = await sha256File(file);
  const size = statSync(file).size;
  const uri = joinS3Uri(o.staging, 'jars', stagedJarName(o.info.version, sha256));
  const loc = parseS3Uri(uri);
  if (loc === null) throw new Error(`not an S3 URI: ${uri}`);
  const there = await o.s3.headObject(loc.bucket, loc.key);
  if (there !== null && there.size === size) {
    o.log(`The job jar is already staged: ${uri}`);
    return { uri, sha256, size, uploaded: false };
  }
  o.log(`Uploading the job jar (${(size / 1024 / 1024).toFixed(1)} MB) to ${uri}`);
  await o.s3.uploadFile(loc.bucket, loc.key, file, o.onUpload);
  return { uri, sha256, size, uploaded: true };
}
