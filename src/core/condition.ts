import { ValidationError } from './errors.ts';
import { deepFreeze } from './immutable.ts';
import {
  VALUE_RULES,
  conditionSchema,
  parsePath,
  type CompiledCondition,
  type Condition,
  type ConditionOp,
  type Segment,
} from './condition-schema.ts';

export {
  CONDITION_OPS,
  conditionSchema,
  type CompiledCondition,
  type Condition,
  type ConditionOp,
  type LeafCondition,
} from './condition-schema.ts';

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** Follows own properties only: numeric segments index arrays, names look up plain keys. */
function resolve(root: unknown, segments: readonly Segment[]): unknown {
  let current = root;
  try {
    for (const segment of segments) {
      if (typeof current !== 'object' || current === null) return undefined;
      const isIndex = typeof segment === 'number';
      if (isIndex !== Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<Segment, unknown>)[segment];
    }
  } catch {
    return undefined; // a throwing getter or proxy in the context reads as missing
  }
  return current;
}

function compare(a: unknown, b: unknown): number | undefined {
  if (!(
    (typeof a === 'number' && typeof b === 'number') ||
    (typeof a === 'string' && typeof b === 'string')
  )) {
    return undefined;
  }
  return a < b ? -1 : a > b ? 1 : a === b ? 0 : undefined;
}

function lengthOf(v: unknown): number | undefined {
  return typeof v === 'string' || Array.isArray(v) ? v.length : undefined;
}

type Test = (v: unknown) => boolean;

function orderTest(value: unknown, ok: (c: number) => boolean): Test {
  return (v) => {
    const c = compare(v, value);
    return c !== undefined && ok(c);
  };
}

function lengthTest(value: unknown, ok: (length: number, n: number) => boolean): Test {
  const n = Number(value);
  return (v) => {
    const length = lengthOf(v);
    return length !== undefined && ok(length, n);
  };
}

function valueTest(op: ConditionOp, value: unknown): Test {
  switch (op) {
    case 'eq':
      return (v) => v === value;
    case 'ne':
      return (v) => v !== value;
    case 'gt':
      return orderTest(value, (c) => c > 0);
    case 'gte':
      return orderTest(value, (c) => c >= 0);
    case 'lt':
      return orderTest(value, (c) => c < 0);
    case 'lte':
      return orderTest(value, (c) => c <= 0);
    case 'in':
    case 'not_in': {
      const set = new Set<unknown>(Array.isArray(value) ? value : []);
      return op === 'in' ? (v) => set.has(v) : (v) => !set.has(v);
    }
    case 'starts_with':
      return (v) => typeof v === 'string' && v.startsWith(String(value));
    case 'ends_with':
      return (v) => typeof v === 'string' && v.endsWith(String(value));
    case 'contains':
      return (v) =>
        typeof v === 'string'
          ? typeof value === 'string' && v.includes(value)
          : Array.isArray(v) && v.includes(value);
    case 'matches': {
      const re = new RegExp(String(value));
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'exists':
      return (v) => v !== undefined;
    case 'missing':
      return (v) => v === undefined;
    case 'truthy':
      return (v) => Boolean(v);
    case 'falsy':
      return (v) => !v;
    case 'len_eq':
      return lengthTest(value, (l, n) => l === n);
    case 'len_gt':
      return lengthTest(value, (l, n) => l > n);
    case 'len_gte':
      return lengthTest(value, (l, n) => l >= n);
    case 'len_lt':
      return lengthTest(value, (l, n) => l < n);
    case 'len_lte':
      return lengthTest(value, (l, n) => l <= n);
  }
}

function compileNode(c: Condition): (context: unknown) => boolean {
  if (typeof c === 'boolean') return () => c;
  if ('all' in c) {
    const parts = c.all.map(compileNode);
    return (ctx) => parts.every((p) => p(ctx));
  }
  if ('any' in c) {
    const parts = c.any.map(compileNode);
    return (ctx) => parts.some((p) => p(ctx));
  }
  if ('not' in c) {
    const inner = compileNode(c.not);
    return (ctx) => !inner(ctx);
  }
  const segments = parsePath(c.path);
  const test = valueTest(c.op, c.value);
  return (ctx) => test(resolve(ctx, segments));
}

/**
 * Validates `input` against {@link conditionSchema} and compiles it once into a predicate.
 * @param field - the name of the config field holding the condition, used as the root of error paths.
 * @throws ValidationError naming the JSON path of the first bad node (e.g. `when.all[1].value`).
 * @remarks Semantics: a missing path reads as `undefined`; `ne` and `not_in` are the negations of
 * `eq` and `in` (so they hold for a missing value); `exists` holds for `null`; `truthy` is JavaScript
 * truthiness (an empty array is truthy); ordering ops compare two numbers or two strings, else false.
 */
export function compileCondition(input: unknown, field = 'condition'): CompiledCondition {
  const result = conditionSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({
      field: formatPath(field, i.path),
      message: i.message,
    }));
    const [first, ...rest] = problems;
    const more = rest.length ? ` (and ${rest.map((p) => `${p.field}: ${p.message}`).join('; ')})` : '';
    throw new ValidationError(first?.field ?? field, `${first?.message ?? 'invalid condition'}${more}`, {
      issues: problems.map((p) => `${p.field}: ${p.message}`),
    });
  }
  const source = deepFreeze(structuredClone(result.data));
  return { test: compileNode(source), source };
}

const OP_WORDS: Readonly<Record<ConditionOp, string>> = {
  eq: '==',
  ne: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  in: 'in',
  not_in: 'not in',
  starts_with: 'starts with',
  ends_with: 'ends with',
  contains: 'contains',
  matches: 'matches',
  exists: 'exists',
  missing: 'is missing',
  truthy: 'is truthy',
  falsy: 'is falsy',
  len_eq: 'length ==',
  len_gt: 'length >',
  len_gte: 'length >=',
  len_lt: 'length <',
  len_lte: 'length <=',
};

function describeGroup(parts: readonly Condition[], join: string, empty: string, nested: boolean): string {
  if (parts.length === 0) return empty;
  const text = parts.map((p) => describeNode(p, true)).join(join);
  return nested && parts.length > 1 ? `(${text})` : text;
}

function describeNode(c: Condition, nested: boolean): string {
  if (typeof c === 'boolean') return String(c);
  if ('not' in c) return `not (${describeNode(c.not, false)})`;
  if ('all' in c) return describeGroup(c.all, ' and ', 'true', nested);
  if ('any' in c) return describeGroup(c.any, ' or ', 'false', nested);
  if (VALUE_RULES[c.op] === null) return `${c.path} ${OP_WORDS[c.op]}`;
  const operand = c.op === 'matches' ? `/${String(c.value)}/` : JSON.stringify(c.value);
  return `${c.path} ${OP_WORDS[c.op]} ${operand}`;
}

/**
 * A short human-readable form of a condition for logs and audit records, e.g.
 * `signals.risk.analysis.risk_level == "high" and source_signal.instrument ends with "/USD"`.
 */
export function describeCondition(c: Condition): string {
  return describeNode(c, false);
}
