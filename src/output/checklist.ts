/** Pure renderer for the validator's checks: a checklist grouped as the checks run, each failure with its fix. */
import {
  CHECK_GROUPS,
  CHECK_GROUP_TITLES,
  type Check,
  type CheckCounts,
  type CheckStatus,
} from '../domain/checks.js';

const LABEL: Record<CheckStatus, string> = { pass: 'ok', warn: 'warn', fail: 'FAIL', skipped: 'skip' };
// Green, yellow, bold red, dim.
const COLOUR: Record<CheckStatus, string> = { pass: '32', warn: '33', fail: '1;31', skipped: '2' };

export interface ChecklistOptions {
  /** ANSI colours (only on a terminal). */
  colour: boolean;
  /** Whether warnings refuse the inputs (`--strict`). */
  strict: boolean;
}

function paint(text: string, status: CheckStatus, on: boolean): string {
  return on ? `\u001b[${COLOUR[status]}m${text}\u001b[0m` : text;
}

/** The checklist, then one line with the counts and the verdict. */
export function renderChecklist(checks: readonly Check[], counts: CheckCounts, o: ChecklistOptions): string {
  const lines: string[] = [];
  const idWidth = Math.min(28, Math.max(...checks.map((c) => c.id.length), 0));
  for (const group of CHECK_GROUPS) {
    const inGroup = checks.filter((c) => c.group === group);
    if (inGroup.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(CHECK_GROUP_TITLES[group]);
    for (const c of inGroup) {
      const label = paint(LABEL[c.status].padEnd(4), c.status, o.colour);
      // A config problem names its file (and JSON Pointer); other checks name their subject in the message.
      const file =
        c.group === 'inputs' && c.source !== undefined && !c.message.includes(c.source) ? c.source : '';
      const where = [file, c.path ?? ''].filter((x) => x !== '').join(' ');
      const prefix = where === '' ? '' : `${where}: `;
      lines.push(`  ${label}  ${c.id.padEnd(idWidth)}  ${prefix}${c.message}`);
      if (c.hint !== undefined && (c.status === 'fail' || c.status === 'warn')) {
        lines.push(`        ${' '.repeat(idWidth)}  fix: ${c.hint}`);
      }
    }
  }
  lines.push('', verdict(counts, o.strict));
  return lines.join('\n');
}

/** `2 failed, 1 warning, 14 passed, 3 skipped: ...` */
export function verdict(counts: CheckCounts, strict: boolean): string {
  const parts = [
    counts.fail > 0 ? `${counts.fail} failed` : undefined,
    counts.warn > 0 ? `${counts.warn} ${counts.warn === 1 ? 'warning' : 'warnings'}` : undefined,
    `${counts.pass} passed`,
    counts.skipped > 0 ? `${counts.skipped} skipped` : undefined,
  ].filter((p): p is string => p !== undefined);
  const refused = counts.fail > 0 || (strict && counts.warn > 0);
  const outcome = refused
    ? counts.fail > 0
      ? 'submit would refuse these inputs; nothing was started'
      : 'refused: --strict counts warnings as failures'
    : 'ready to submit';
  return `${parts.join(', ')}: ${outcome}`;
}
