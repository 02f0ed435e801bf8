import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/telemetry/index.ts';

/** A JSON logger at `level` whose output is kept: each write as written, and each line parsed. */
export function captureLogs(level = 'info'): {
  logger: Logger;
  raw: string[];
  lines: Record<string, unknown>[];
} {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      raw.push(text);
      for (const l of text.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), raw, lines };
}
