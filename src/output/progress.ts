/** Pure renderers for the job's progress (one line, redrawn on a terminal). */
import { keysDone, type JobProgress } from '../domain/job-report.js';

/** A fixed-width bar: `[#########...........]`. */
export function bar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * One line for the current progress; `rate` is keys per second measured by the caller between
 * two updates (undefined before there are two).
 */
export function renderProgressLine(p: JobProgress, rate?: number): string {
  switch (p.phase) {
    case 'listing':
      return 'listing run folders...';
    case 'reading':
      return `reading ${p.runsSelected ?? '?'} run(s)${p.filesRead ? `: ${p.filesRead} file(s) read` : ''}...`;
    case 'writing':
    case 'done': {
      const done = keysDone(p);
      const total = p.uniqueKeys ?? undefined;
      const pct = total ? (100 * done) / total : 0;
      const parts = [
        `writing ${bar(total ? done / total : 0)} ${done}/${total ?? '?'} keys`,
        total ? `(${pct.toFixed(0)}%)` : '',
        rate !== undefined ? `${Math.round(rate)} keys/s` : '',
        p.throttledRetries ? `${p.throttledRetries} throttled retries` : '',
      ];
      return parts.filter((s) => s !== '').join(' ');
    }
    case 'failed':
      return `failed: ${p.message ?? 'see the log'}`;
    default:
      return p.phase;
  }
}

/** `uploading the job jar [#####.....] 6.0/12.1 MB`. */
export function renderTransferLine(label: string, sent: number, total: number): string {
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
  return `${label} ${bar(total > 0 ? sent / total : 1)} ${mb(sent)}/${mb(total)} MB`;
}

/** Follows progress updates and draws them on a stream: redraws in place on a TTY, one line per change elsewhere. */
export class ProgressPrinter {
  private lastKeys?: { t: number; keys: number };
  private rate?: number;
  private lastLine = '';
  private lastPrinted = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly clock: () => number = Date.now,
  ) {}

  update(p: JobProgress): void {
    const now = this.clock();
    const keys = keysDone(p);
    if (p.phase === 'writing') {
      if (this.lastKeys && now > this.lastKeys.t && keys >= this.lastKeys.keys) {
        const instant = ((keys - this.lastKeys.keys) * 1000) / (now - this.lastKeys.t);
        this.rate = this.rate === undefined ? instant : 0.5 * this.rate + 0.5 * instant;
      }
      this.lastKeys = { t: now, keys };
    }
    this.show(renderProgressLine(p, this.rate));
  }

  /** Bytes of an upload so far, as a bar. */
  transfer(label: string, sent: number, total: number): void {
    this.show(renderTransferLine(label, sent, total));
  }

  /** Draws one progress line (any command's): redrawn in place on a TTY, throttled elsewhere. */
  show(line: string): void {
    const now = this.clock();
    if (line === this.lastLine) return;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
    } else if (line.split(' ')[0] !== this.lastLine.split(' ')[0] || now - this.lastPrinted >= 5000) {
      // Not a terminal (CI, a log file): a line per phase change and at most one every 5 s.
      this.out.write(`${line}\n`);
      this.lastPrinted = now;
    }
    this.lastLine = line;
  }

  /** Ends the redrawn line so later output starts on a fresh one. */
  finish(): void {
    if (this.out.isTTY && this.lastLine) this.out.write('\n');
    this.lastLine = '';
  }
}
