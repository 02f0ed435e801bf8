import { ConclaveError } from '../core/errors.ts';
import type { StepContext } from './model.ts';

/** True for a `{ $from: "<path>" }` reference object. */
function isReference(value: unknown): value is { $from: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { $from?: unknown }).$from === 'string'
  );
}

/**
 * Looks a dotted path up in the context: `input.<…>`, `steps.<id>.result.<…>`, `item.<…>`.
 * Throws `VALIDATION_FAILED` naming the path when any part of it is missing.
 */
export function lookupPath(ctx: StepContext, path: string): unknown {
  const parts = path.split('.');
  const head = parts.shift();
  let value: unknown;
  if (head === 'input') value = ctx.input;
  else if (head === 'item' && 'item' in ctx) value = ctx.item;
  else if (head === 'steps') value = ctx.steps;
  else throw missing(path);
  for (const part of parts) {
    if (typeof value !== 'object' || value === null || !(part in value)) throw missing(path);
    value = (value as Record<string, unknown>)[part];
  }
  if (value === undefined) throw missing(path);
  return value;
}

function missing(path: string): ConclaveError {
  return new ConclaveError('VALIDATION_FAILED', `reference '${path}' does not resolve`, {
    retryable: false,
    details: { reference: path },
  });
}

/**
 * Resolves a payload/params/input: a function is called with the context; JSON is copied with every
 * `{ $from }` replaced by the value it names.
 */
export function resolveValue(spec: unknown, ctx: StepContext): unknown {
  if (typeof spec === 'function') return (spec as (c: StepContext) => unknown)(ctx);
  return resolveJson(spec, ctx);
}

function resolveJson(spec: unknown, ctx: StepContext): unknown {
  if (isReference(spec)) return lookupPath(ctx, spec.$from);
  if (Array.isArray(spec)) return spec.map((v) => resolveJson(v, ctx));
  if (typeof spec === 'object' && spec !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) out[k] = resolveJson(v, ctx);
    return out;
  }
  return spec;
}

/** Every `$from` path in a JSON value (for validation). */
export function referencesIn(spec: unknown, out: string[] = []): string[] {
  if (isReference(spec)) out.push(spec.$from);
  else if (Array.isArray(spec)) for (const v of spec) referencesIn(v, out);
  else if (typeof spec === 'object' && spec !== null)
    for (const v of Object.values(spec)) referencesIn(v, out);
  return out;
}
