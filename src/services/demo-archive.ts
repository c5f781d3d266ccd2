/**
 * Writes a generated demo archive (src/domain/demo-archive.ts) to a local folder, gzip-compressing
 * the `.gz` and `.gzip` files, and says what it wrote.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import type { DateTime } from 'luxon';

import {
  generateDemoArchive,
  type DemoFileRole,
  type DemoLineKind,
  type DemoRun,
} from '../domain/demo-archive.js';
import { createRandom } from '../domain/random.js';

/** Options of `writeDemoArchive`. */
export interface WriteDemoArchiveOptions {
  /** The folder to write into (created if missing; existing files with the same names are replaced). */
  dir: string;
  /** Seed of the generator: the same seed and options give the same archive, byte for byte. */
  seed: number;
  /** Lines in the run folders, in total. Default 5000. */
  events?: number;
  /** Run folders. Default 6. */
  runs?: number;
  /** The first run's instant; default 2025-12-31T18:00:00Z. */
  firstRun?: DateTime;
}

/** A file as written. */
export interface WrittenDemoFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the archive root, `/`-separated. */
  relativePath: string;
  compression: 'none' | 'gzip';
  role: DemoFileRole;
  lineCount: number;
  /** Size on disk. */
  bytes: number;
}

/** What `writeDemoArchive` wrote: enough to apply the oracle (`expectedManifest(manifest.runs, ...)`). */
export interface DemoArchiveManifest {
  /** Absolute path of the archive root. */
  dir: string;
  seed: number;
  runs: DemoRun[];
  files: WrittenDemoFile[];
  ignoredFolders: string[];
  kindCounts: Record<DemoLineKind, number>;
  /** Lines in run folders (what the job reads). */
  lineCount: number;
  bytes: number;
}

/** Generates the demo archive for `seed` and writes it under `dir`. */
export async function writeDemoArchive(opts: WriteDemoArchiveOptions): Promise<DemoArchiveManifest> {
  const archive = generateDemoArchive(createRandom(opts.seed), {
    events: opts.events,
    runs: opts.runs,
    firstRun: opts.firstRun,
  });
  const root = path.resolve(opts.dir);
  const folders = new Set(archive.files.map((f) => path.join(root, path.dirname(f.path))));
  await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
  const files = await Promise.all(
    archive.files.map(async (f): Promise<WrittenDemoFile> => {
      const raw = Buffer.from(f.text, 'utf8');
      // Level 1: the demo's point is the format, not the ratio, and it keeps writing well under a second.
      const content = f.compression === 'gzip' ? gzipSync(raw, { level: 1 }) : raw;
      const filePath = path.join(root, ...f.path.split('/'));
      await writeFile(filePath, content);
      return {
        path: filePath,
        relativePath: f.path,
        compression: f.compression,
        role: f.role,
        lineCount: f.lineCount,
        bytes: content.length,
      };
    }),
  );
  return {
    dir: root,
    seed: opts.seed,
    runs: archive.runs,
    files,
    ignoredFolders: archive.ignoredFolders,
    kindCounts: archive.kindCounts,
    lineCount: archive.runs.reduce((n, r) => n + r.lines.length, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
  };
}
