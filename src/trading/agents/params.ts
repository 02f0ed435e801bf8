/**
 * Parameter parsing shared by the trading agents: zod schemas with defaults, failures reported as a
 * ValidationError that names the parameter (`params.fastPeriod: ...`).
 */
import type { z } from 'zod';
import { parseWith } from '../../coordination/index.ts';

/**
 * Parses `input` with `schema` under `root` (for error paths); `undefined` means all defaults.
 * @throws ValidationError naming the first bad field, e.g. `params.fastPeriod: Too small ... (got 0)`.
 */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown, root = 'params'): z.output<S> {
  return parseWith(schema, input ?? {}, root);
}
