/**
 * The condition language's forms, operators and zod schema (validation). Compiling and
 * describing conditions is in condition.ts.
 */
import { z } from 'zod';

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
/** A parsed path segment: an array index or a property name. */
export type Segment = string | number;

const FORMS = 'a condition is true, false, {all: [...]}, {any: [...]}, {not: ...} or {path, op, value}';
const PATH_RE = /^(?:[^.[\]\s]+|\[\d+\])(?:\.[^.[\]\s]+|\[\d+\])*$/;
/** Matches one path segment: `[n]` or a name. */
export const SEGMENT_RE = /\[(\d+)\]|([^.[\]\s]+)/g;
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

/** The kind of `value` an op accepts. */
export interface ValueRule {
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
export const VALUE_RULES: Readonly<Record<ConditionOp, ValueRule | null>> = {
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

/** Splits a validated path into its segments. */
export function parsePath(path: string): Segment[] {
  return Array.from(path.matchAll(SEGMENT_RE), (m) => (m[1] === undefined ? (m[2] ?? '') : Number(m[1])));
}
