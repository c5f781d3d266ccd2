import { DateTime } from 'luxon';

import { RUN_FOLDER_PREFIX, RUN_ID_FORMAT } from './contract.js';

// The shape is checked first so that only exactly `yyyy-MM-dd-HH-mm-ss` gets through; luxon then
// rejects impossible dates (2017-02-30), and the round trip rejects what luxon normalizes instead
// (hour 24 is read as 00 of the next day).
const RUN_ID_SHAPE = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/;

/** The UTC instant a run id (`yyyy-MM-dd-HH-mm-ss`) names, or null when it is not a valid run id. */
export function parseRunId(id: string): DateTime | null {
  if (!RUN_ID_SHAPE.test(id)) return null;
  const dt = DateTime.fromFormat(id, RUN_ID_FORMAT, { zone: 'utc' });
  return dt.isValid && dt.toFormat(RUN_ID_FORMAT) === id ? dt : null;
}

/** True when `id` is a valid run id. */
export function isRunId(id: string): boolean {
  return parseRunId(id) !== null;
}

/** The run id of an instant, in UTC; milliseconds are truncated. */
export function formatRunId(dt: DateTime): string {
  return dt.toUTC().toFormat(RUN_ID_FORMAT);
}

/**
 * The run id in a folder name `run=yyyy-MM-dd-HH-mm-ss` (a trailing `/`, as S3 common prefixes
 * have, is allowed), or null when the name is anything else.
 */
export function runIdFromFolderName(name: string): string | null {
  const bare = name.endsWith('/') ? name.slice(0, -1) : name;
  if (!bare.startsWith(RUN_FOLDER_PREFIX)) return null;
  const id = bare.slice(RUN_FOLDER_PREFIX.length);
  return isRunId(id) ? id : null;
}

/** The folder name of a run id: `run=<id>`. */
export function runFolderName(id: string): string {
  return `${RUN_FOLDER_PREFIX}${id}`;
}
