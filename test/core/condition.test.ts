import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CONDITION_OPS,
  compileCondition,
  conditionSchema,
  describeCondition,
  type Condition,
  type ConditionOp,
} from '../../src/core/condition.ts';
import { ValidationError } from '../../src/core/errors.ts';

/** Compiles `{path: 'x', op, value}` and tests it against `{x: actual}` (or `{}` when actual is undefined). */
function leaf(op: ConditionOp, value: unknown, actual: unknown): boolean {
  const c = value === undefined ? { path: 'x', op } : { path: 'x', op, value };
  return compileCondition(c).test(actual === undefined ? {} : { x: actual });
}

/** The ValidationError thrown for `input`, failing the test if none is thrown. */
function validationError(input: unknown, field?: string): ValidationError {
  try {
    compileCondition(input, field);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

// [op, value, actual, expected]: every op appears with at least one true and one false case.
const OP_CASES: [ConditionOp, unknown, unknown, boolean][] = [
  ['eq', 'high', 'high', true],
  ['eq', 'high', 'low', false],
  ['eq', 1, '1', false],
  ['eq', null, null, true],
  ['ne', 'high', 'low', true],
  ['ne', 'high', 'high', false],
  ['gt', 0.7, 0.71, true],
  ['gt', 0.7, 0.7, false],
  ['gt', 'b', 'c', true],
  ['gt', 1, '2', false],
  ['gte', 0.7, 0.7, true],
  ['gte', 0.7, 0.69, false],
  ['lt', 10, 9, true],
  ['lt', 10, 10, false],
  ['lt', 'b', 'a', true],
  ['lte', 10, 10, true],
  ['lte', 10, 11, false],
  ['lte', 10, null, false],
  ['in', ['buy', 'sell'], 'sell', true],
  ['in', ['buy', 'sell'], 'hold', false],
  ['in', [1, 2], '1', false],
  ['not_in', ['buy', 'sell'], 'hold', true],
  ['not_in', ['buy', 'sell'], 'buy', false],
  ['starts_with', 'CRYPTO', 'CRYPTO:BTC', true],
  ['starts_with', 'CRYPTO', 'FX:EURUSD', false],
  ['starts_with', '1', 12, false],
  ['ends_with', '/USD', 'BTC/USD', true],
  ['ends_with', '/USD', 'BTC/EUR', false],
  ['contains', 'USD', 'EURUSD', true],
  ['contains', 'JPY', 'EURUSD', false],
  ['contains', 'volatility', ['volatility', 'liquidity'], true],
  ['contains', 'slippage', ['volatility', 'liquidity'], false],
  ['contains', 3, [1, 2, 3], true],
  ['contains', 3, 345, false],
  ['matches', '^[A-Z]{6}$', 'EURUSD', true],
  ['matches', '^[A-Z]{6}$', 'BTC/USD', false],
  ['matches', '^1', 123, false],
  ['exists', undefined, null, true],
  ['exists', undefined, undefined, false],
  ['missing', undefined, undefined, true],
  ['missing', undefined, 0, false],
  ['truthy', undefined, 'x', true],
  ['truthy', undefined, 0, false],
  ['truthy', undefined, undefined, false],
  ['falsy', undefined, '', true],
  ['falsy', undefined, 1, false],
  ['len_eq', 6, 'EURUSD', true],
  ['len_eq', 6, 'BTC/USD', false],
  ['len_eq', 6, 123456, false],
  ['len_gt', 1, ['a', 'b'], true],
  ['len_gt', 2, ['a', 'b'], false],
  ['len_gte', 2, ['a', 'b'], true],
  ['len_gte', 3, 'ab', false],
  ['len_lt', 3, 'ab', true],
  ['len_lt', 0, [], false],
  ['len_lte', 0, [], true],
  ['len_lte', 1, { length: 0 }, false],
];

describe('condition ops', () => {
  it('has a true and a false case for every op', () => {
    for (const op of CONDITION_OPS) {
      const outcomes = new Set(OP_CASES.filter((c) => c[0] === op).map((c) => c[3]));
      expect([op, outcomes.has(true) && outcomes.has(false)]).toEqual([op, true]);
    }
  });

  it.each(OP_CASES)('%s %j on %j is %s', (op, value, actual, expected) => {
    expect(leaf(op, value, actual)).toBe(expected);
  });

  it('treats a missing value as undefined: ne and not_in hold, ordering and string ops do not', () => {
    const missing: [ConditionOp, unknown, boolean][] = [
      ['eq', 'x', false],
      ['ne', 'x', true],
      ['not_in', ['x'], true],
      ['in', ['x'], false],
      ['gt', 0, false],
      ['lte', 0, false],
      ['starts_with', '', false],
      ['contains', 'x', false],
      ['len_gte', 0, false],
      ['falsy', undefined, true],
    ];
    for (const [op, value, expected] of missing)
      expect([op, leaf(op, value, undefined)]).toEqual([op, expected]);
  });
});

describe('condition paths', () => {
  const context = {
    signals: { risk: { analysis: { risk_level: 'high' } } },
    items: [{ price: 10 }, { price: 20 }],
    matrix: [[1, 2], [3]],
    digits: { '0': 'zero' },
  };
  const at = (path: string) => compileCondition({ path, op: 'eq', value: 20 }).test(context);
  const exists = (path: string) => compileCondition({ path, op: 'exists' }).test(context);

  it('follows dotted keys and numeric indexes', () => {
    expect(
      compileCondition({ path: 'signals.risk.analysis.risk_level', op: 'eq', value: 'high' }).test(context),
    ).toBe(true);
    expect(at('items[1].price')).toBe(true);
    expect(at('items[0].price')).toBe(false);
    expect(compileCondition({ path: 'matrix[1][0]', op: 'eq', value: 3 }).test(context)).toBe(true);
    expect(compileCondition({ path: '[1]', op: 'eq', value: 'b' }).test(['a', 'b'])).toBe(true);
  });

  it('reads past the end, through primitives or with the wrong kind of segment as missing', () => {
    expect(exists('items[2].price')).toBe(false);
    expect(exists('signals.risk.analysis.risk_level.length')).toBe(false);
    expect(exists('items.length')).toBe(false); // length is not special: use the len_* ops
    expect(exists('items.0')).toBe(false); // arrays take [n]
    expect(exists('digits[0]')).toBe(false); // objects take names
    expect(exists('digits.0')).toBe(true);
    for (const root of [null, undefined, 42, 'text', true]) {
      expect(compileCondition({ path: 'a.b', op: 'missing' }).test(root)).toBe(true);
    }
  });

  it('does not resolve inherited properties or the prototype chain', () => {
    for (const path of ['toString', 'hasOwnProperty', 'valueOf', 'signals.isPrototypeOf', 'items.map']) {
      expect([path, exists(path)]).toEqual([path, false]);
    }
    const inherited = Object.create({ secret: 'from the prototype' }) as object;
    expect(compileCondition({ path: 'secret', op: 'exists' }).test(inherited)).toBe(false);
    expect(compileCondition({ path: 'a.secret', op: 'exists' }).test({ a: inherited })).toBe(false);
  });

  it('rejects __proto__, constructor and prototype segments so a config cannot even name them', () => {
    for (const path of [
      '__proto__',
      'a.__proto__.polluted',
      'constructor',
      'x.constructor.prototype',
      'prototype',
    ]) {
      const err = validationError({ path, op: 'exists' }, 'when');
      expect(err.field).toBe('when.path');
      expect(err.message).toMatch(/is not allowed/);
    }
    // A JSON document may carry an own "__proto__" key; it stays unreachable.
    const parsed: unknown = JSON.parse('{"__proto__": {"polluted": true}}');
    expect(compileCondition({ path: 'polluted', op: 'exists' }).test(parsed)).toBe(false);
  });

  it('never throws on hostile or odd contexts', () => {
    const hostile = {
      get boom(): unknown {
        throw new Error('getter');
      },
    };
    const proxy = new Proxy(
      {},
      {
        getOwnPropertyDescriptor() {
          throw new Error('trap');
        },
      },
    );
    expect(compileCondition({ path: 'boom', op: 'missing' }).test(hostile)).toBe(true);
    expect(compileCondition({ path: 'boom.x', op: 'exists' }).test(hostile)).toBe(false);
    expect(compileCondition({ path: 'a', op: 'missing' }).test(proxy)).toBe(true);
    const contexts: unknown[] = [
      hostile,
      proxy,
      null,
      undefined,
      0,
      NaN,
      '',
      [],
      new Map([['x', 1]]),
      Symbol('s'),
    ];
    for (const op of CONDITION_OPS) {
      const value = OP_CASES.find((c) => c[0] === op)?.[1];
      const compiled = compileCondition(
        value === undefined ? { path: 'x.y', op } : { path: 'x.y', op, value },
      );
      for (const ctx of contexts) expect(typeof compiled.test(ctx)).toBe('boolean');
    }
  });
});

describe('condition combinators', () => {
  const ctx = { a: 1, b: 'two', c: [3] };
  const t: Condition = { path: 'a', op: 'eq', value: 1 };
  const f: Condition = { path: 'b', op: 'eq', value: 'three' };
  const test = (c: Condition) => compileCondition(c).test(ctx);

  it('evaluates constants, all, any and not, nested', () => {
    expect(test(true)).toBe(true);
    expect(test(false)).toBe(false);
    expect(test({ all: [t, t] })).toBe(true);
    expect(test({ all: [t, f] })).toBe(false);
    expect(test({ any: [f, t] })).toBe(true);
    expect(test({ any: [f, f] })).toBe(false);
    expect(test({ not: f })).toBe(true);
    expect(test({ not: { not: f } })).toBe(false);
    expect(test({ all: [t, { any: [f, { not: f }] }] })).toBe(true);
    expect(test({ any: [f, { all: [t, { not: t }] }] })).toBe(false);
  });

  it('follows Array.every/some for empty lists', () => {
    expect(test({ all: [] })).toBe(true);
    expect(test({ any: [] })).toBe(false);
  });

  it('keeps a frozen copy of the source, unaffected by later edits to the input', () => {
    const input = { all: [{ path: 'a', op: 'in', value: [1] }] };
    const compiled = compileCondition(input);
    input.all[0]!.value.push(99);
    input.all.push({ path: 'a', op: 'missing', value: [] });
    expect(compiled.test({ a: 99 })).toBe(false);
    expect(compiled.test({ a: 1 })).toBe(true);
    expect(compiled.source).toEqual({ all: [{ path: 'a', op: 'in', value: [1] }] });
    expect(Object.isFrozen(compiled.source)).toBe(true);
  });
});

describe('routing conditions from the documents', () => {
  // 004 "Conditional Routing Pattern": first matching rule wins; the last is a catch-all.
  const rules = [
    {
      name: 'crypto_high_risk',
      when: compileCondition({
        all: [
          { path: 'momentum.source_signal.instrument', op: 'ends_with', value: '/USD' },
          { path: 'risk.analysis.risk_level', op: 'eq', value: 'high' },
        ],
      }),
    },
    {
      name: 'forex_momentum',
      when: compileCondition({
        all: [
          { path: 'momentum.source_signal.instrument', op: 'len_eq', value: 6 },
          { path: 'momentum.analysis.momentum_strength', op: 'gt', value: 0.7 },
        ],
      }),
    },
    { name: 'default', when: compileCondition(true) },
  ];
  const route = (signals: unknown) => rules.find((r) => r.when.test(signals))?.name;
  const signals = (instrument: string, riskLevel: string, strength: number) => ({
    momentum: { source_signal: { instrument }, analysis: { momentum_strength: strength } },
    risk: { analysis: { risk_level: riskLevel } },
  });

  it('routes as the Python rules in the 004 document would', () => {
    expect(route(signals('BTC/USD', 'high', 0.9))).toBe('crypto_high_risk');
    expect(route(signals('BTC/USD', 'medium', 0.9))).toBe('default');
    expect(route(signals('EURUSD', 'high', 0.8))).toBe('forex_momentum');
    expect(route(signals('EURUSD', 'low', 0.7))).toBe('default');
    expect(route(signals('EURUSDX', 'low', 0.9))).toBe('default');
    expect(route({})).toBe('default'); // the Python .get(..., {}) chains tolerate missing signals too
  });

  it('expresses the 003 document rule: CRYPTO instruments at high risk go to the specialised handler', () => {
    const specialised = compileCondition({
      all: [
        { path: 'signal.instrument', op: 'starts_with', value: 'CRYPTO' },
        { path: 'risk_level', op: 'eq', value: 'high' },
      ],
    });
    expect(specialised.test({ signal: { instrument: 'CRYPTO:ETH' }, risk_level: 'high' })).toBe(true);
    expect(specialised.test({ signal: { instrument: 'CRYPTO:ETH' }, risk_level: 'low' })).toBe(false);
    expect(specialised.test({ signal: { instrument: 'FX:EURUSD' }, risk_level: 'high' })).toBe(false);
  });

  it('describes a rule for logs and audit records', () => {
    expect(
      describeCondition({
        all: [
          { path: 'signals.risk.analysis.risk_level', op: 'eq', value: 'high' },
          { path: 'source_signal.instrument', op: 'ends_with', value: '/USD' },
        ],
      }),
    ).toBe('signals.risk.analysis.risk_level == "high" and source_signal.instrument ends with "/USD"');
    expect(
      describeCondition({
        any: [
          { all: [{ path: 'i', op: 'len_eq', value: 6 }, { not: { path: 'x', op: 'exists' } }] },
          { path: 'side', op: 'in', value: ['buy', 'sell'] },
          { path: 's', op: 'matches', value: '^A' },
        ],
      }),
    ).toBe('(i length == 6 and not (x exists)) or side in ["buy","sell"] or s matches /^A/');
    expect(describeCondition(true)).toBe('true');
    expect(describeCondition({ all: [] })).toBe('true');
    expect(describeCondition({ any: [] })).toBe('false');
  });
});

describe('condition validation', () => {
  it.each<[string, unknown, string, RegExp]>([
    [
      'an unknown op',
      { all: [true, { path: 'a', op: 'equals', value: 1 }] },
      'when.all[1].op',
      /unknown op.*allowed: eq, ne/,
    ],
    [
      'a missing value',
      { any: [{ path: 'a', op: 'in' }] },
      'when.any[0].value',
      /'in' needs a value: an array/,
    ],
    [
      'a wrong value type for in',
      { all: [true, { path: 'a', op: 'in', value: 'x' }] },
      'when.all[1].value',
      /an array/,
    ],
    [
      'a wrong value type for gt',
      { path: 'a', op: 'gt', value: true },
      'when.value',
      /a number or a string \(got true\)/,
    ],
    [
      'a negative length',
      { not: { path: 'a', op: 'len_eq', value: -1 } },
      'when.not.value',
      /non-negative integer/,
    ],
    ['a fractional length', { path: 'a', op: 'len_lt', value: 1.5 }, 'when.value', /non-negative integer/],
    [
      'an object for eq',
      { path: 'a', op: 'eq', value: { x: 1 } },
      'when.value',
      /string, number, boolean or null/,
    ],
    ['a value on exists', { path: 'a', op: 'exists', value: true }, 'when.value', /takes no value/],
    [
      'a bad regex',
      { all: [{ path: 'sym', op: 'matches', value: '([A-Z' }] },
      'when.all[0].value',
      /"sym" does not compile/,
    ],
    ['unknown keys', { all: [{ path: 'a', op: 'eq', vaule: 1 }] }, 'when.all[0]', /unknown key\(s\) 'vaule'/],
    ['unknown keys on all', { all: [], also: [] }, 'when', /unknown key\(s\) 'also'/],
    ['a non-condition', { any: [true, 'yes'] }, 'when.any[1]', /not a condition \(got "yes"\)/],
    ['a shapeless object', { not: { equals: 1 } }, 'when.not', /has none of all, any, not, path, op/],
    ['mixed forms', { all: [], any: [] }, 'when', /mixes all and any/],
    ['all not an array', { all: { path: 'a', op: 'exists' } }, 'when.all', /an array of conditions/],
    ['a bad path', { path: 'a..b', op: 'exists' }, 'when.path', /not a valid path/],
    ['a missing path', { op: 'exists' }, 'when.path', /must be a path string/],
    ['a missing op', { path: 'a', value: 1 }, 'when.op', /unknown op.*allowed/],
  ])('names the node path for %s', (_name, input, field, message) => {
    const err = validationError(input, 'when');
    expect(err.field).toBe(field);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it("uses 'condition' as the default root and reports every problem", () => {
    const err = validationError({
      all: [
        { path: 'a', op: 'nope' },
        { path: 'b', op: 'in', value: 3 },
      ],
    });
    expect(err.field).toBe('condition.all[0].op');
    expect(err.details['issues']).toEqual([
      expect.stringMatching(/^condition\.all\[0\]\.op: unknown op/),
      expect.stringMatching(/^condition\.all\[1\]\.value: op 'in' needs an array/),
    ]);
  });

  it('reports at the right path when embedded in a larger zod schema', () => {
    const rule = z.strictObject({ name: z.string(), when: conditionSchema });
    const result = rule.safeParse({
      name: 'r',
      when: { all: [true, { path: 'a', op: 'len_gt', value: 'x' }] },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['when', 'all', 1, 'value'], 'op \'len_gt\' needs a non-negative integer (got "x")'],
    ]);
    expect(rule.parse({ name: 'r', when: { not: false } })).toEqual({ name: 'r', when: { not: false } });
    expect(rule.safeParse({ name: 'r' }).error?.issues[0]?.path).toEqual(['when']);
    expect(() => z.toJSONSchema(rule)).not.toThrow();
  });
});

describe('condition properties', () => {
  // Leaves are constants or truthy tests on flags[i], so each leaf's value is known independently.
  const FLAGS = 6;
  const { tree } = fc.letrec<{ tree: Condition }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.boolean(),
      fc.integer({ min: 0, max: FLAGS - 1 }).map((i): Condition => ({ path: `flags[${i}]`, op: 'truthy' })),
      fc.array(tie('tree'), { maxLength: 4 }).map((all): Condition => ({ all })),
      fc.array(tie('tree'), { maxLength: 4 }).map((any): Condition => ({ any })),
      tie('tree').map((not): Condition => ({ not })),
    ),
  }));
  const context = fc.record({ flags: fc.array(fc.boolean(), { minLength: FLAGS, maxLength: FLAGS }) });

  it('not inverts any condition', () => {
    fc.assert(
      fc.property(tree, context, (c, ctx) => {
        expect(compileCondition({ not: c }).test(ctx)).toBe(!compileCondition(c).test(ctx));
      }),
    );
  });

  it('all and any agree with Array.every and Array.some over their parts', () => {
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 5 }), context, (parts, ctx) => {
        const values = parts.map((p) => compileCondition(p).test(ctx));
        expect(compileCondition({ all: parts }).test(ctx)).toBe(values.every(Boolean));
        expect(compileCondition({ any: parts }).test(ctx)).toBe(values.some(Boolean));
      }),
    );
  });

  it('describes every valid condition without throwing', () => {
    fc.assert(
      fc.property(tree, (c) => {
        expect(describeCondition(compileCondition(c).source).length).toBeGreaterThan(0);
      }),
    );
  });
});
