/** Where the CLI writes: stdout (with whether it is a terminal) and stderr. */
export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stdout is a terminal: progress bars redraw in place instead of printing lines. */
  isTty: boolean;
  /** Writes without a newline (progress bars). */
  write: (text: string) => void;
}

/** The process's own stdout and stderr. */
export function processOutput(): CliOutput {
  return {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
    isTty: process.stdout.isTTY,
    write: (text) => void process.stdout.write(text),
  };
}

/** Left-aligned columns under a header, two spaces apart; empty rows print `(none)`. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const body = rows.length === 0 ? ['(none)'] : rows.map(line);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body].join('\n');
}

/** A fraction as a percentage with two decimals; `n/a` when undefined. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? 'n/a'
    : `${(value * 100).toFixed(2)}%`;
}

/** A ratio with two decimals; `n/a` when undefined. */
export function ratio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(2);
}

/** Epoch milliseconds as a date (`2008-10-09`); `n/a` when unknown. */
export function day(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms)
    ? 'n/a'
    : new Date(ms).toISOString().slice(0, 10);
}

/** A text progress bar: `[#########-----------]  45%`. */
export function progressBar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/**
 * Shows progress: redrawn in place on a terminal (at most every `minIntervalMs`), or otherwise one
 * plain line per tenth of the way (and per forced update, e.g. a new workflow step), so logs stay short.
 */
export class ProgressReporter {
  readonly #output: CliOutput;
  readonly #minIntervalMs: number;
  #lastDrawMs = 0;
  #lastLine = '';
  #lastTenth = -1;
  #drawn = false;

  constructor(output: CliOutput, minIntervalMs = 100) {
    this.#output = output;
    this.#minIntervalMs = minIntervalMs;
  }

  /** Reports `fraction` (0–1) done with a short label. */
  update(fraction: number, label: string, force = false): void {
    if (this.#output.isTty) {
      const now = Date.now();
      if (!force && now - this.#lastDrawMs < this.#minIntervalMs) return;
      this.#lastDrawMs = now;
      this.#output.write(`\r\x1b[2K${progressBar(fraction)} ${label}`);
      this.#drawn = true;
      return;
    }
    const tenth = Math.floor(Math.min(1, Math.max(0, fraction)) * 10);
    const line = `${String(Math.round(fraction * 100)).padStart(3)}% ${label}`;
    if (line === this.#lastLine || (tenth === this.#lastTenth && !force)) return;
    this.#lastTenth = tenth;
    this.#lastLine = line;
    this.#output.out(line);
  }

  /** Ends a terminal bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.#drawn) this.#output.write('\n');
    this.#drawn = false;
  }
}
