import { describe, expect, it } from 'vitest';
import { bar, ProgressPrinter, renderProgressLine } from '../../../src/output/progress.js';

class Sink {
  isTTY = false;
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('progress rendering', () => {
  it('draws a bar proportional to the work done', () => {
    expect(bar(0, 10)).toBe('[..........]');
    expect(bar(0.5, 10)).toBe('[#####.....]');
    expect(bar(2, 10)).toBe('[##########]');
  });

  it('shows keys written against the unique keys to write', () => {
    const line = renderProgressLine(
      { phase: 'writing', uniqueKeys: 200, written: 50, alreadyPresent: 50 },
      812.4,
    );
    expect(line).toContain('100/200 keys');
    expect(line).toContain('(50%)');
    expect(line).toContain('812 keys/s');
  });

  it('prints one line per phase change when stderr is not a terminal', () => {
    const sink = new Sink();
    let t = 0;
    const p = new ProgressPrinter(sink as unknown as NodeJS.WritableStream, () => t);
    p.update({ phase: 'listing' });
    p.update({ phase: 'reading', runsSelected: 2, filesRead: 3 });
    t = 1000;
    p.update({ phase: 'writing', uniqueKeys: 100, written: 10 });
    t = 2000;
    p.update({ phase: 'writing', uniqueKeys: 100, written: 20 });
    const lines = sink.text.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('10/100');
    t = 8000;
    p.update({ phase: 'writing', uniqueKeys: 100, written: 80 });
    expect(sink.text.trim().split('\n').pop()).toMatch(/80\/100 keys \(80%\) \d+ keys\/s/);
  });
});
