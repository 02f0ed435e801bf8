import { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Every operator a leaf condition may use. */
export const CONDITION_OPS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'not_in',
  'starts_with',
  'ends_with',
  'contains',
  'matches',
  'exists',
  'missing',
  'truthy',
  'falsy',
  'len_eq',
  'len_gt',
  'len_gte',
  'len_lt',
  'len_lte',
] as const;

/** One of {@link CONDITION_OPS}. */
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** A test of the value found at `path` in the evaluation context. */
export interface LeafCondition {
  /** Dotted path with optional indexes: `signals.risk.analysis.risk_level`, `items[0].price`. */
  readonly path: string;
  readonly op: ConditionOp;
  /** The operand; its allowed type depends on `op` (none for `exists`, `missing`, `truthy`, `falsy`). */
  readonly value?: unknown;
}

/**
 * A condition as written in JSON or YAML: a constant, a combination, or a leaf test.
 * @remarks Data only, never code: configs cannot run anything, and evaluation cannot throw.
 */
export type Condition =
  | boolean
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | LeafCondition;

/** A validated condition compiled into a predicate; `source` is a frozen copy of what was compiled. */
export interface CompiledCondition {
  /** True when the condition holds for `context`. Never throws. */
  test(context: unknown): boolean;
  readonly source: Condition;
}

type Scalar = string | number | boolean | null;
type Segment = string | number;

const FORMS = 'a condition is true, false, {all: [...]}, {any: [...]}, {not: ...} or {path, op, value}';
const PATH_RE = /^(?:[^.[\]\s]+|\[\d+\])(?:\.[^.[\]\s]+|\[\d+\])*$/;
const SEGMENT_RE = /\[(\d+)\]|([^.[\]\s]+)/g;
// Rejected outright so that no config can even name the prototype chain.
const RESERVED_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const isScalar = (v: unknown): v is Scalar =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v));
const isOrderable = (v: unknown): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const isLength = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

interface ValueRule {
  readonly allowed: string;
  readonly accepts: (v: unknown) => boolean;
}

const SCALAR: ValueRule = { allowed: 'a string, number, boolean or null', accepts: isScalar };
const ORDERABLE: ValueRule = { allowed: 'a number or a string', accepts: isOrderable };
const LIST: ValueRule = {
  allowed: 'an array of strings, numbers, booleans or nulls',
  accepts: (v) => Array.isArray(v) && v.every(isScalar),
};
const STRING: ValueRule = { allowed: 'a string', accepts: (v) => typeof v === 'string' };
const LENGTH: ValueRule = { allowed: 'a non-negative integer', accepts: isLength };

/** What `value` each op needs; `null` means the op takes no value. */
const VALUE_RULES: Readonly<Record<ConditionOp, ValueRule | null>> = {
  eq: SCALAR,
  ne: SCALAR,
  gt: ORDERABLE,
  gte: ORDERABLE,
  lt: ORDERABLE,
  lte: ORDERABLE,
  in: LIST,
  not_in: LIST,
  starts_with: STRING,
  ends_with: STRING,
  contains: SCALAR,
  matches: { allowed: 'a regular expression source string', accepts: (v) => typeof v === 'string' },
  exists: null,
  missing: null,
  truthy: null,
  falsy: null,
  len_eq: LENGTH,
  len_gt: LENGTH,
  len_gte: LENGTH,
  len_lt: LENGTH,
  len_lte: LENGTH,
};

function got(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return `(got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

/**
 * Validates a condition (recursively) and reports each problem at its node's path with what is
 * allowed there. Embed it in config schemas; {@link compileCondition} uses it too.
 * @remarks The node shape is picked from its keys before validating, so errors speak about the
 * form the author meant instead of zod's "no union member matched".
 */
export const conditionSchema: z.ZodType<Condition> = z.lazy(() => nodeSchema);

const conditionList = z.array(conditionSchema, {
  error: (iss) => `must be an array of conditions ${got(iss.input)}`,
});

const pathSchema = z
  .string({
    error: (iss) =>
      `must be a path string such as "signals.risk.level" or "items[0].price" ${got(iss.input)}`,
  })
  .superRefine((path, ctx) => {
    if (!PATH_RE.test(path)) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid path; use "a.b.c" or "items[0].price" ${got(path)}`,
      });
      return;
    }
    const reserved = parsePath(path).find((s) => typeof s === 'string' && RESERVED_SEGMENTS.has(s));
    if (reserved !== undefined) {
      ctx.addIssue({ code: 'custom', message: `path segment '${reserved}' is not allowed ${got(path)}` });
    }
  });

const leafSchema = z
  .strictObject({
    path: pathSchema,
    op: z.enum(CONDITION_OPS, {
      error: (iss) => `unknown op ${got(iss.input)}; allowed: ${CONDITION_OPS.join(', ')}`,
    }),
    value: z.unknown().optional(),
  })
  .superRefine((leaf, ctx) => {
    const rule = VALUE_RULES[leaf.op];
    const has = 'value' in leaf;
    if (rule === null) {
      if (has)
        ctx.addIssue({
          code: 'custom',
          path: ['value'],
          message: `op '${leaf.op}' takes no value ${got(leaf.value)}`,
        });
    } else if (!has) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `op '${leaf.op}' needs a value: ${rule.allowed}`,
      });
    } else if (!rule.accepts(leaf.value)) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `op '${leaf.op}' needs ${rule.allowed} ${got(leaf.value)}`,
      });
    } else if (leaf.op === 'matches') {
      try {
        new RegExp(String(leaf.value));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        ctx.addIssue({
          code: 'custom',
          path: ['value'],
          message: `regular expression for path "${leaf.path}" does not compile: ${reason}`,
        });
      }
    }
  });

const BRANCHES = {
  all: z.strictObject({ all: conditionList }),
  any: z.strictObject({ any: conditionList }),
  not: z.strictObject({ not: conditionSchema }),
  leaf: leafSchema,
} as const;

// `z.any()` rather than `z.custom()` so schemas embedding conditions still convert to JSON Schema.
const nodeSchema = z
  .any()
  .superRefine((input: unknown, ctx) => {
    if (typeof input === 'boolean') return;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: `not a condition ${got(input)}; ${FORMS}` });
      return;
    }
    const forms = (['all', 'any', 'not'] as const).filter((k) => k in input);
    const branch = forms.length ? forms : 'path' in input || 'op' in input ? (['leaf'] as const) : [];
    if (branch.length !== 1 || branch[0] === undefined) {
      const what = branch.length ? `mixes ${branch.join(' and ')}` : `has none of all, any, not, path, op`;
      ctx.addIssue({ code: 'custom', message: `${what} ${got(input)}; ${FORMS}` });
      return;
    }
    const result = BRANCHES[branch[0]].safeParse(input, { reportInput: true });
    for (const issue of result.error?.issues ?? []) {
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; ${FORMS}`
          : issue.message;
      ctx.addIssue({ code: 'custom', path: issue.path, message, input: issue.input });
    }
  })
  .describe(FORMS);

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

function parsePath(path: string): Segment[] {
  return Array.from(path.matchAll(SEGMENT_RE), (m) => (m[1] === undefined ? (m[2] ?? '') : Number(m[1])));
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
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
