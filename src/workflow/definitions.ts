import { ConclaveError } from '../core/errors.ts';
import type { BuiltinFn } from './engine-types.ts';
import type { RunRecord } from '../core/workflow-run.ts';
import { versionOf, type WorkflowDefinition } from './model.ts';
import { validateWorkflow, type ValidatedWorkflow } from './validate.ts';

/**
 * The workflows and builtins an engine knows, by name (and version for workflows). Everything
 * registered is validated first, against what is registered so far and the dispatcher's patterns.
 */
export class WorkflowDefinitions {
  readonly #defs = new Map<string, Map<string, ValidatedWorkflow>>();
  readonly #latest = new Map<string, string>();
  readonly #builtins = new Map<string, BuiltinFn>();

  constructor(private readonly hasPattern: (pattern: string) => boolean) {}

  /** Definitions registered (all versions). */
  get size(): number {
    let n = 0;
    for (const v of this.#defs.values()) n += v.size;
    return n;
  }

  /** Registers a builtin; `CONFLICT` if the name is taken. */
  addBuiltin(name: string, fn: BuiltinFn): void {
    if (this.#builtins.has(name))
      throw new ConclaveError('CONFLICT', `builtin '${name}' is already registered`);
    this.#builtins.set(name, fn);
  }

  /** The builtin of that name, if any. */
  builtin(name: string): BuiltinFn | undefined {
    return this.#builtins.get(name);
  }

  /** Validates and registers a definition; the latest registered version of a name is its default. */
  add(def: WorkflowDefinition): ValidatedWorkflow {
    const wf = this.validate(def);
    const version = versionOf(def);
    let versions = this.#defs.get(def.name);
    if (versions === undefined) this.#defs.set(def.name, (versions = new Map<string, ValidatedWorkflow>()));
    versions.set(version, wf);
    this.#latest.set(def.name, version);
    return wf;
  }

  /** Validates a definition against what is registered; throws a `ValidationError` naming the step. */
  validate(def: WorkflowDefinition): ValidatedWorkflow {
    return validateWorkflow(def, {
      hasBuiltin: (n) => this.#builtins.has(n),
      hasWorkflow: (n) => this.#defs.has(n),
      hasPattern: this.hasPattern,
    });
  }

  /** A registered definition (the latest version by default), if any. */
  find(name: string, version?: string): ValidatedWorkflow | undefined {
    const v = version ?? this.#latest.get(name);
    return v === undefined ? undefined : this.#defs.get(name)?.get(v);
  }

  /** {@link find}, or `NOT_FOUND` naming the workflow and the known names. */
  get(name: string, version?: string): ValidatedWorkflow {
    const wf = this.find(name, version);
    if (wf === undefined) {
      const which = `workflow '${name}'${version === undefined ? '' : ` version ${version}`}`;
      throw new ConclaveError('NOT_FOUND', `${which} is not registered`, {
        details: { field: 'name', known: [...this.#defs.keys()] },
      });
    }
    return wf;
  }

  /**
   * The definition a run resumes with: its JSON snapshot (validated again), or — for a definition
   * that held functions and so was not snapshotted — the same name and version registered again.
   */
  forResume(rec: RunRecord): ValidatedWorkflow {
    if (rec.definition !== null && typeof rec.definition === 'object') {
      return this.validate(rec.definition as WorkflowDefinition);
    }
    return this.get(rec.name, rec.version);
  }
}
