import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.ts';
import {
  parseWorkflowDocument,
  topologicalOrder,
  validateWorkflow,
  type StepDefinition,
  type WorkflowDefinition,
} from '../../src/workflow/index.ts';

const lookups = {
  hasBuiltin: (n: string) => ['fetch', 'noop'].includes(n),
  hasWorkflow: (n: string) => n === 'child',
  hasPattern: (p: string) => p === 'momentum.analyze',
};

function messageOf(def: WorkflowDefinition | (() => unknown)): string {
  try {
    if (typeof def === 'function') def();
    else validateWorkflow(def, lookups);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).message;
  }
  throw new ValidationError('test', 'expected a validation error');
}

const b = (id: string, dependsOn: string[] = [], extra: Partial<StepDefinition> = {}): StepDefinition => ({
  id,
  kind: 'builtin',
  builtin: 'noop',
  dependsOn,
  ...extra,
});

describe('workflow validation (each error names the step)', () => {
  it('reports a cycle with its path', () => {
    expect(messageOf({ name: 'w', steps: [b('a', ['c']), b('b', ['a']), b('c', ['b']), b('d')] })).toBe(
      'steps.a.depends_on: cycle a → c → b → a',
    );
  });

  it('reports an unknown dependency', () => {
    expect(messageOf({ name: 'w', steps: [b('fetch'), b('score', ['fech'])] })).toBe(
      "steps.score.depends_on: unknown step 'fech'",
    );
  });

  it('reports duplicate step ids', () => {
    expect(messageOf({ name: 'w', steps: [b('a'), b('a')] })).toBe("steps.a: duplicate step id 'a'");
  });

  it('reports unknown builtins, sub-workflows and patterns', () => {
    expect(messageOf({ name: 'w', steps: [{ id: 'x', kind: 'builtin', builtin: 'nope' }] })).toBe(
      "steps.x.builtin: unknown builtin 'nope'",
    );
    expect(messageOf({ name: 'w', steps: [{ id: 'x', kind: 'workflow', workflow: 'nope' }] })).toBe(
      "steps.x.workflow: unknown workflow 'nope'",
    );
    expect(messageOf({ name: 'w', steps: [{ id: 'x', kind: 'task', pattern: 'risk.assess' }] })).toContain(
      "steps.x.pattern: unknown pattern 'risk.assess'",
    );
  });

  it('reports bad parameters', () => {
    expect(messageOf({ name: 'w', steps: [b('x', [], { retry: { maxRetries: -1 } })] })).toContain(
      'steps.x.retry.max_retries',
    );
    expect(messageOf({ name: 'w', steps: [b('x', [], { timeoutMs: 0 })] })).toContain(
      'steps.x.timeout_seconds',
    );
    expect(
      messageOf({
        name: 'w',
        steps: [b('a'), b('x', ['a'], { forEach: { items: 'steps.a.result', join: 'quorum' } })],
      }),
    ).toContain('steps.x.for_each.quorum');
    expect(
      messageOf({ name: 'w', steps: [b('a'), b('x', [], { params: { v: { $from: 'steps.a.result' } } })] }),
    ).toBe(
      "steps.x.params: reference 'steps.a.result' names step 'a', which is not among this step's dependencies",
    );
    expect(messageOf({ name: 'w', steps: [b('x', [], { params: { $from: 'item' } })] })).toContain(
      'steps.x.params',
    );
    expect(
      messageOf({ name: 'w', steps: [b('x', [], { when: { path: 'input.a', op: 'bogus' } })] }),
    ).toContain('steps.x.when');
  });

  it('reports YAML shape errors by step id and field', () => {
    expect(
      messageOf(() =>
        parseWorkflowDocument({ name: 'w', steps: [{ id: 'fetch', kind: 'builtin', timeout_seconds: -1 }] }),
      ),
    ).toContain('steps.fetch.timeout_seconds');
    expect(
      messageOf(() => parseWorkflowDocument('name: w\nsteps:\n  - { id: a, kind: lambda }\n')),
    ).toContain('steps.a.kind');
  });

  it('parses a YAML document into the engine form (seconds → ms, snake_case → camelCase)', () => {
    const def = parseWorkflowDocument(`
name: restart_discovery_system
version: 2
timeout_seconds: 900
steps:
  - { id: stop_workers, kind: builtin, builtin: noop, retry: { max_retries: 2, delay_seconds: 1.5 } }
  - id: scan
    kind: task
    pattern: momentum.analyze
    depends_on: [stop_workers]
    timeout_seconds: 30
    payload: { symbol: { $from: item } }
    for_each: { items: input.symbols, join: quorum, quorum: 2, max_concurrency: 3 }
`);
    expect(def).toStrictEqual({
      name: 'restart_discovery_system',
      version: '2',
      timeoutMs: 900_000,
      steps: [
        {
          id: 'stop_workers',
          kind: 'builtin',
          builtin: 'noop',
          dependsOn: [],
          retry: { maxRetries: 2, delayMs: 1500 },
        },
        {
          id: 'scan',
          kind: 'task',
          pattern: 'momentum.analyze',
          dependsOn: ['stop_workers'],
          timeoutMs: 30_000,
          payload: { symbol: { $from: 'item' } },
          forEach: { items: 'input.symbols', join: 'quorum', quorum: 2, maxConcurrency: 3 },
        },
      ],
    });
    expect(validateWorkflow(def, lookups).order.map((s) => s.id)).toStrictEqual(['stop_workers', 'scan']);
  });

  it('orders any DAG so every step comes after its dependencies (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 25 }), (deps) => {
        // Step i may only depend on steps before it in the list, so the graph is acyclic; shuffle declaration order.
        const steps = deps.map((ds, i) =>
          b(`s${i}`, i === 0 ? [] : [...new Set(ds.map((d) => `s${d % i}`))]),
        );
        const shuffled = [...steps].reverse();
        const order = topologicalOrder(shuffled).map((s) => s.id);
        expect(order).toHaveLength(steps.length);
        const pos = new Map(order.map((id, i) => [id, i]));
        for (const s of steps)
          for (const d of s.dependsOn ?? []) expect(pos.get(d)!).toBeLessThan(pos.get(s.id)!);
      }),
    );
  });
});
