/**
 * Run records on disk: one JSON file per submitted run in `<config dir>/runs/` (see
 * `src/domain/run-record.ts`). `status`, `cancel`, `logs`, `verify` and `submit --resume` take the
 * newest when no run is named. Files are written whole (temporary file + rename), so a reader
 * never sees half a record.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../domain/errors.js';
import { parseRunRecord, RUN_NAME_PATTERN, type RunRecord } from '../domain/run-record.js';

/** The folder holding the records, under the user's config folder. */
export function runRecordsDir(configDir: string): string {
  return path.join(configDir, 'runs');
}

function recordFile(dir: string, runName: string): string {
  return path.join(dir, `${runName}.json`);
}

/** Writes (or rewrites) a run's record. */
export function saveRunRecord(dir: string, record: RunRecord): string {
  if (!RUN_NAME_PATTERN.test(record.runName)) throw new Error(`not a run name: ${record.runName}`);
  mkdirSync(dir, { recursive: true });
  const file = recordFile(dir, record.runName);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

/** A record file that could not be read, with why (listed by `runs`, never fatal). */
export interface BrokenRunRecord {
  file: string;
  problem: string;
}

/**
 * Saves a new run's record only if no run of that name is recorded yet (created exclusively: two
 * submits at the same moment cannot both take the name). Its path, or null when the name is taken.
 */
export function reserveRunRecord(dir: string, record: RunRecord): string | null {
  if (!RUN_NAME_PATTERN.test(record.runName)) throw new Error(`not a run name: ${record.runName}`);
  mkdirSync(dir, { recursive: true });
  const file = recordFile(dir, record.runName);
  try {
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw e;
  }
  return file;
}

/** Every record in `dir`, newest first (by `createdAt`, then name), and the files that are not records. */
export function listRunRecords(dir: string): { records: RunRecord[]; broken: BrokenRunRecord[] } {
  if (!existsSync(dir)) return { records: [], broken: [] };
  const records: RunRecord[] = [];
  const broken: BrokenRunRecord[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      broken.push({ file, problem: (e as Error).message });
      continue;
    }
    const parsed = parseRunRecord(text);
    if (parsed.ok) records.push(parsed.record);
    else broken.push({ file, problem: parsed.problem });
  }
  records.sort((a, b) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.runName < b.runName ? 1 : -1,
  );
  return { records, broken };
}

/**
 * The record of run `runName`, or the newest when it is undefined. A user error says what to do
 * when there is none (no run submitted from this machine yet, or a name that is not there).
 */
export function loadRunRecord(dir: string, runName?: string): RunRecord {
  if (runName !== undefined) {
    if (!RUN_NAME_PATTERN.test(runName)) {
      throw new UserError(`${JSON.stringify(runName)} is not a run name.`, {
        code: 'RUN_NOT_FOUND',
        hint: '`populator runs` lists the runs submitted from this machine; pass one of their names with --run.',
      });
    }
    const file = recordFile(dir, runName);
    if (!existsSync(file)) {
      throw new UserError(`No run named ${runName} was submitted from here (${dir}).`, {
        code: 'RUN_NOT_FOUND',
        hint: '`populator runs` lists the runs submitted from this machine; pass one of their names with --run.',
      });
    }
    const parsed = parseRunRecord(readFileSync(file, 'utf8'));
    if (!parsed.ok) {
      throw new UserError(`The run record ${file} cannot be read: ${parsed.problem}.`, {
        code: 'RUN_RECORD_INVALID',
        hint: 'Delete or repair the file; `populator runs` lists the runs that are readable.',
      });
    }
    return parsed.record;
  }
  const newest = listRunRecords(dir).records[0];
  if (newest === undefined) {
    throw new UserError(`No run was submitted from here yet (no records in ${dir}).`, {
      code: 'NO_RUNS',
      hint: 'Submit one with `populator submit`, or name the run: --run NAME (and, for EMR Serverless, the job run id).',
    });
  }
  return newest;
}
