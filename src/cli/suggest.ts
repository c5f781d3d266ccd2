/** The command a mistyped one most likely meant (pure). */
import levenshtein from 'fast-levenshtein';

/**
 * The visible command closest to `typed` by edit distance, when it is close enough to be a typo
 * (at most 3 edits, and fewer than the typed word's length); undefined otherwise.
 */
export function closestCommand(typed: string, commands: readonly string[]): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const id of commands) {
    const distance = levenshtein.get(typed.toLowerCase(), id.toLowerCase());
    if (best === undefined || distance < best.distance) best = { id, distance };
  }
  return best !== undefined && best.distance <= 3 && best.distance < typed.length ? best.id : undefined;
}
