import { describe, expect, it } from 'vitest';
import {
  day,
  percent,
  progressBar,
  ProgressReporter,
  ratio,
  table,
  type CliOutput,
} from '../../src/cli/output.ts';

function capture(isTty: boolean): CliOutput & { lines: string[]; raw: string[] } {
  const lines: string[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    isTty,
    out: (t) => lines.push(t),
    err: (t) => lines.push(t),
    write: (t) => raw.push(t),
  };
}

describe('CLI output', () => {
  it('aligns table columns and marks an empty table', () => {
    expect(table(['a', 'long'], [['xyz', '1']])).toBe('a    long\n---  ----\nxyz  1');
    expect(table(['a'], [])).toBe('a\n-\n(none)');
  });

  it('formats figures, with n/a for undefined ones', () => {
    expect(percent(0.1234)).toBe('12.34%');
    expect(percent(null)).toBe('n/a');
    expect(ratio(1.005)).toBe('1.00');
    expect(ratio(Number.NaN)).toBe('n/a');
    expect(day(Date.UTC(2008, 9, 9))).toBe('2008-10-09');
    expect(day(null)).toBe('n/a');
  });

  it('draws a bar clamped to 0–100%', () => {
    expect(progressBar(0.5, 10)).toBe('[#####-----]  50%');
    expect(progressBar(2, 4)).toBe('[####] 100%');
    expect(progressBar(-1, 4)).toBe('[----]   0%');
  });

  it('redraws one line in place on a terminal and ends it with a newline', () => {
    const o = capture(true);
    const r = new ProgressReporter(o, 0);
    r.update(0.25, 'a');
    r.update(0.5, 'b');
    r.finish();
    expect(o.lines).toEqual([]);
    expect(o.raw).toEqual([`\r\x1b[2K${progressBar(0.25)} a`, `\r\x1b[2K${progressBar(0.5)} b`, '\n']);
  });

  it('prints a line per tenth (and per forced update) when not on a terminal', () => {
    const o = capture(false);
    const r = new ProgressReporter(o);
    for (let i = 0; i <= 100; i++) r.update(i / 100, 'day');
    expect(o.lines).toHaveLength(11);
    expect(o.lines[0]).toBe('  0% day');
    expect(o.lines.at(-1)).toBe('100% day');
    r.update(1, 'step two', true);
    expect(o.lines.at(-1)).toBe('100% step two');
    r.finish();
    expect(o.raw).toEqual([]);
  });
});
