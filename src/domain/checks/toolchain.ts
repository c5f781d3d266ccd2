/** Checks of this machine's toolchain that need no I/O (pure). */
import { checksOf, type Check } from '../checks.js';

/** AWS SDK for JavaScript v3 releases after the first week of January 2027 need this Node.js. */
export const SDK_NODE_MAJOR = 22;

/**
 * Node.js itself: below 22 it works today (the AWS SDK releases populator pins support it) but is
 * past its end of life, and the SDK's own notice about it is silenced everywhere else: said once,
 * here, with what to do.
 */
export function nodeCheck(version: string): Check {
  const { pass, warn } = checksOf('toolchain');
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= SDK_NODE_MAJOR) return pass('toolchain.node', `Node.js ${version}`);
  return warn(
    'toolchain.node',
    `Node.js ${version} is past its end of life; AWS SDK for JavaScript releases after the first week of January 2027 need Node.js ${SDK_NODE_MAJOR} or later`,
    { hint: `Upgrade to Node.js ${SDK_NODE_MAJOR} or 24 (LTS).` },
  );
}
