import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/domain/errors.js';
import { folderCreationProblem, makeFolder } from '../../../src/local/folders.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'populator-folders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local folders', () => {
  it('makes every missing level, and a folder that exists is fine', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    expect(folderCreationProblem(deep)).toBeNull();
    expect(existsSync(path.join(dir, 'a'))).toBe(false); // the probe left nothing
    makeFolder(deep);
    expect(existsSync(deep)).toBe(true);
    makeFolder(deep);
    expect(folderCreationProblem(deep)).toBeNull();
  });

  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))(
    'fails at once, naming the level, where no folder can be made (/proc: Node’s recursive mkdir never returns there)',
    () => {
      const target = path.join('/proc', `populator-${process.pid}`, 'runs');
      expect(folderCreationProblem(target)).toMatch(
        /cannot be created: making \/proc\/populator-\d+ failed \(ENOENT\)/,
      );
      let error: unknown;
      try {
        makeFolder(target);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).code).toBe('PATH_NOT_WRITABLE');
      expect((error as UserError).hint).toContain('--staging');
    },
  );
});
