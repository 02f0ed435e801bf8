/**
 * Parses OHLCV CSV text into bars, reporting every row that does not parse with its line number.
 */
import { barSchema } from './bar.ts';
import type { Bar } from './bar.ts';

/** One CSV row that could not become a bar. */
export interface CsvRowError {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  readonly message: string;
  /** The raw text of the line. */
  readonly text: string;
}

/** What {@link parseBarsCsv} found: the bars of the rows that parsed and every row that did not. */
export interface CsvBarsResult {
  readonly bars: Bar[];
  readonly errors: CsvRowError[];
  /** Set when the header itself is unusable (a required column is missing); then no rows are read. */
  readonly headerError: string | undefined;
}

const TIME_COLUMNS = ['date', 'timestamp', 'datetime', 'time'];
const VALUE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INTEGER = /^\d+$/;
/** Integer timestamps with up to this many digits are epoch seconds, longer ones epoch milliseconds. */
const MAX_SECONDS_DIGITS = 10;

/**
 * Splits one CSV line into fields.
 * @remarks A hand-written splitter: the only CSV library installed (`d3-dsv`) arrives indirectly
 * through `vega-datasets` without type declarations. It handles double-quoted fields with embedded
 * commas and doubled quotes, which is all OHLCV files use.
 */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((f) => f.trim());
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

/**
 * Reads a time cell: an ISO date (00:00 UTC), an ISO date-time, or an integer epoch (10 digits or
 * fewer: seconds; more: milliseconds). Returns undefined when unreadable.
 */
export function parseTimeCell(text: string): number | undefined {
  if (INTEGER.test(text)) {
    const n = Number(text);
    return text.length <= MAX_SECONDS_DIGITS ? n * 1000 : n;
  }
  const ms = Date.parse(ISO_DATE.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Parses CSV text whose header names a time column (`date`, `timestamp`, `datetime` or `time`) and
 * `open`, `high`, `low`, `close`, `volume`, in any case and order. Other columns (`adjclose`, …)
 * are ignored. Blank lines are skipped; every other row either becomes a bar or an error.
 */
export function parseBarsCsv(text: string): CsvBarsResult {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const timeIndex = header.findIndex((h) => TIME_COLUMNS.includes(h));
  const missing: string[] = VALUE_COLUMNS.filter((c) => !header.includes(c));
  if (timeIndex < 0) missing.unshift('date');
  if (missing.length > 0) {
    const headerError = `header ${JSON.stringify(lines[0] ?? '')} lacks column(s) ${missing.join(', ')}; need a date/timestamp column and open, high, low, close, volume`;
    return { bars: [], errors: [], headerError };
  }
  const indexOf = Object.fromEntries(VALUE_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<
    (typeof VALUE_COLUMNS)[number],
    number
  >;
  const bars: Bar[] = [];
  const errors: CsvRowError[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    const cells = splitCsvLine(raw);
    const row = toRow(cells, timeIndex, indexOf);
    if (typeof row === 'string') {
      errors.push({ line: i + 1, message: row, text: raw });
      continue;
    }
    const parsed = barSchema.safeParse(row);
    if (parsed.success) bars.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      errors.push({
        line: i + 1,
        message: `${issue?.path.join('.') ?? 'row'} ${issue?.message ?? 'is invalid'}`,
        text: raw,
      });
    }
  }
  return { bars, errors, headerError: undefined };
}

/** The row's values, or a message saying which cell could not be read. */
function toRow(
  cells: readonly string[],
  timeIndex: number,
  indexOf: Readonly<Record<(typeof VALUE_COLUMNS)[number], number>>,
): Record<string, number> | string {
  const timeText = cells[timeIndex] ?? '';
  const timestamp = parseTimeCell(timeText);
  if (timestamp === undefined)
    return `time ${JSON.stringify(timeText)} is not an ISO date, date-time or epoch`;
  const row: Record<string, number> = { timestamp };
  for (const column of VALUE_COLUMNS) {
    const cell = cells[indexOf[column]] ?? '';
    const value = cell === '' ? Number.NaN : Number(cell);
    if (!Number.isFinite(value)) return `${column} ${JSON.stringify(cell)} is not a number`;
    row[column] = value;
  }
  return row;
}
