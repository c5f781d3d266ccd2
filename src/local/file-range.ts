/** Reads part of a local file: the plan's samples and the pom inside a jar need a few KB, not the file. */
import { closeSync, openSync, readSync } from 'node:fs';

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
