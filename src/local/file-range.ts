/** Reads part of a local file: the plan's samples and the pom inside a jar need a few KB, not the file. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readJarBuildInfo } from '../domain/jar-info.js';
import type { JarBuildInfo } from '../domain/spark-family.js';

/** `length` bytes at `offset` of `file` (fewer at its end). */
export function readFileRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The build info of a jar on disk, or null when it is no jar or holds none. */
export async function readLocalJarInfo(file: string): Promise<JarBuildInfo | null> {
  const stat = statSync(file);
  const size = stat.isFile() ? stat.size : 0;
  if (size === 0) return null;
  return readJarBuildInfo((off, len) => Promise.resolve(readFileRange(file, off, len)), size).catch(
    () => null,
  );
}
