/**
 * The oracle's manifest for the defaults a submit runs with (no --ttl-seconds, no --skip-expired):
 * the comparison most end-to-end tests make.
 */
import type { DateTime } from 'luxon';
import { DEFAULT_TTL_SECONDS, type EtlTimeMode } from '../../src/domain/contract.js';
import { expectedManifest, type ExpectedManifest, type RunLines } from '../../src/domain/enriched.js';

/** What the table must hold after a submit at `now` of `runs` with the default ttl and etlTime `etlTime`. */
export function defaultManifest(
  runs: readonly RunLines[],
  now: DateTime,
  etlTime: EtlTimeMode = 'run',
): ExpectedManifest {
  return expectedManifest(runs, {
    etlTime,
    ttlSeconds: DEFAULT_TTL_SECONDS,
    skipExpired: false,
    nowSeconds: Math.floor(now.toSeconds()),
  });
}
