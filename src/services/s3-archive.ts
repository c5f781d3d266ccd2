/** The top of an S3 archive, listed before anything runs: its run ids, and what is not a run folder. */
import type { S3Client } from '../aws/s3.js';
import type { ArchiveLocation } from '../domain/archive.js';
import { UserError } from '../domain/errors.js';
import { runIdFromFolderName } from '../domain/run-id.js';

/** What the top of an S3 archive holds: its run ids (sorted) and what is not a run folder. */
export interface S3ArchiveListing {
  runIds: string[];
  ignored: string[];
}

/**
 * Lists the top of an S3 archive: a missing bucket, an empty or missing prefix, or a prefix without
 * any run=YYYY-MM-dd-HH-mm-ss folder is a `UserError` here, not a failed job.
 */
export async function listS3ArchiveRuns(
  archive: Extract<ArchiveLocation, { kind: 's3' }>,
  s3: S3Client,
): Promise<S3ArchiveListing> {
  const listing = await s3.listTopLevel(archive.bucket, archive.prefix);
  if (listing.folders.length === 0 && listing.files.length === 0) {
    throw new UserError(`The archive ${archive.uri} is empty or does not exist.`, {
      code: 'ARCHIVE_NOT_FOUND',
      hint: `Pass the S3 prefix that holds the run=YYYY-MM-dd-HH-mm-ss folders of enriched events (\`aws s3 ls ${archive.uri}\` shows what is there).`,
    });
  }
  const runIds: string[] = [];
  const ignored: string[] = [];
  for (const folder of listing.folders) {
    const id = runIdFromFolderName(folder);
    if (id === null) ignored.push(`${folder}/`);
    else runIds.push(id);
  }
  for (const f of listing.files) ignored.push(f);
  if (runIds.length === 0) {
    const shown = ignored.slice(0, 5).join(', ');
    throw new UserError(
      `The archive ${archive.uri} holds no run=YYYY-MM-dd-HH-mm-ss folder (found: ${shown}${ignored.length > 5 ? ', ...' : ''}).`,
      {
        code: 'ARCHIVE_NO_RUNS',
        hint: 'Pass the prefix directly above the run=... folders (e.g. s3://bucket/enriched/archive/), not a run folder or a parent of the archive.',
      },
    );
  }
  return { runIds: runIds.sort(), ignored };
}
