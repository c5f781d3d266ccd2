/** Where the installed package and the user's cache live (commands pass these to services). */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/cli/paths.js -> two levels up. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The per-user cache (the resolved Spark classpath): $XDG_CACHE_HOME/populator or ~/.cache/populator. */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'populator');
}

/**
 * The per-user config folder (run records): $XDG_CONFIG_HOME/populator or ~/.config/populator, on
 * macOS too (the XDG layout CLI users expect, rather than ~/Library/Preferences).
 */
export function configDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'populator');
}
