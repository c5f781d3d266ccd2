/**
 * Local folders for the run's report and logs. Node's recursive `mkdir` never returns on some
 * pseudo file systems (`mkdir -p /proc/x` answers ENOENT for a parent that exists, and Node's loop
 * tries the parent again forever): folders are made one level at a time, and the first level that
 * cannot be made is an error that names it.
 */
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';

/** The folders of `dir` that do not exist yet, outermost first. */
function missingLevels(dir: string): string[] {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

/** Creates `dir` and its missing parents; a `UserError` (exit 2) naming the level that cannot be made. */
export function makeFolder(dir: string, flag = '--staging'): void {
  for (const level of missingLevels(dir)) {
    try {
      mkdirSync(level);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'EEXIST') continue;
      throw new UserError(`Cannot create the folder ${level} (${code}).`, {
        code: 'PATH_NOT_WRITABLE',
        hint: `Give ${flag} a folder you may write to (it is created when missing).`,
        cause: e,
      });
    }
  }
}

/**
 * Why `dir` could not be created, found by making (and removing) its first missing level; null
 * when it exists or can be made. Leaves nothing behind.
 */
export function folderCreationProblem(dir: string): string | null {
  const [first] = missingLevels(dir);
  if (first === undefined) return null;
  try {
    mkdirSync(first);
    rmdirSync(first);
    return null;
  } catch (e) {
    return `cannot be created: making ${first} failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
