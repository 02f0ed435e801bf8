import { ConclaveError } from '../core/errors.ts';

/**
 * Subject syntax and matching, shared by every Bus implementation so that the embedded and the
 * NATS shapes accept exactly the same subjects.
 *
 * @remarks Stricter than NATS in one respect: a token that contains `*` or `>` must be exactly that
 * wildcard (NATS would treat `a*` as a literal). Rejecting it catches typos that would otherwise
 * silently never match.
 */

const WHITESPACE = /\s/;

function invalid(kind: string, value: string, why: string): ConclaveError {
  return new ConclaveError('VALIDATION_FAILED', `invalid ${kind} "${value}": ${why}`, {
    retryable: false,
    details: { [kind]: value, reason: why },
  });
}

function checkTokens(kind: string, value: unknown, wildcards: boolean): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(kind, String(value), 'expected a non-empty string of dot-separated tokens');
  }
  if (WHITESPACE.test(value)) throw invalid(kind, value, 'whitespace is not allowed');
  const tokens = value.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.length === 0)
      throw invalid(kind, value, 'tokens must be non-empty (no leading, trailing or double dots)');
    if (token === '*' || token === '>') {
      if (!wildcards) throw invalid(kind, value, 'wildcards (* and >) are only allowed in subscriptions');
      if (token === '>' && i !== tokens.length - 1)
        throw invalid(kind, value, '">" is only allowed as the last token');
    } else if (token.includes('*') || token.includes('>')) {
      throw invalid(kind, value, `"*" and ">" must be whole tokens, got "${token}"`);
    }
  }
}

/** Throws `VALIDATION_FAILED` unless `subject` is a concrete subject one may publish to (no wildcards). */
export function validateSubject(subject: string): void {
  checkTokens('subject', subject, false);
}

/** Throws `VALIDATION_FAILED` unless `pattern` is a valid subscription pattern (`*` anywhere, `>` last). */
export function validatePattern(pattern: string): void {
  checkTokens('pattern', pattern, true);
}

/** Throws `VALIDATION_FAILED` unless `queue` is a valid queue-group name (NATS: subject rules, no wildcards). */
export function validateQueue(queue: string): void {
  checkTokens('queue', queue, false);
}

/**
 * Throws `VALIDATION_FAILED` unless `name` is a valid stream or durable name: non-empty,
 * no whitespace, no `.`, `*` or `>` (the characters NATS forbids in those names).
 */
export function validateName(kind: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw invalid(kind, String(name), 'expected a non-empty name');
  if (/[\s.*>]/.test(name)) throw invalid(kind, name, 'whitespace, ".", "*" and ">" are not allowed');
}

/** True when the concrete `subject` matches `pattern`. Both are assumed valid. */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/** True when some concrete subject would match both patterns (NATS refuses streams that overlap). */
export function patternsOverlap(a: string, b: string): boolean {
  const ta = a.split('.');
  const tb = b.split('.');
  const n = Math.min(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === '>' || y === '>') return true;
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
  return ta.length === tb.length;
}

interface TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined;
  star: TrieNode<T> | undefined;
  /** Values whose pattern ends exactly here. */
  here: Set<T> | undefined;
  /** Values whose pattern is this node followed by `>`. */
  rest: Set<T> | undefined;
}

function newNode<T>(): TrieNode<T> {
  return { children: undefined, star: undefined, here: undefined, rest: undefined };
}

function isEmpty<T>(node: TrieNode<T>): boolean {
  return (
    (node.children === undefined || node.children.size === 0) &&
    node.star === undefined &&
    (node.here === undefined || node.here.size === 0) &&
    (node.rest === undefined || node.rest.size === 0)
  );
}

/**
 * An index of values by subscription pattern: a token trie, so a lookup costs the subject's length
 * times the wildcard fan-out, not the number of subscriptions.
 *
 * @remarks Uncached: callers that publish to the same subjects repeatedly (the bus) cache the result
 * per subject and drop the cache when the index changes.
 */
export class SubjectIndex<T> {
  readonly #root: TrieNode<T> = newNode();
  #size = 0;

  /** How many (pattern, value) entries are held. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value` under `pattern` (validated). Adding the same pair twice keeps one entry. */
  add(pattern: string, value: T): void {
    validatePattern(pattern);
    const tokens = pattern.split('.');
    let node = this.#root;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      if (token === '>') {
        node.rest ??= new Set();
        this.#insert(node.rest, value);
        return;
      }
      if (token === '*') {
        node = node.star ??= newNode();
      } else {
        node.children ??= new Map();
        let child = node.children.get(token);
        if (child === undefined) {
          child = newNode();
          node.children.set(token, child);
        }
        node = child;
      }
    }
    node.here ??= new Set();
    this.#insert(node.here, value);
  }

  /** Removes `value` from `pattern`; prunes emptied nodes. Returns whether it was there. */
  remove(pattern: string, value: T): boolean {
    const tokens = pattern.split('.');
    const path: Array<[TrieNode<T>, string]> = [];
    let node: TrieNode<T> | undefined = this.#root;
    let removed = false;
    for (let i = 0; i < tokens.length && node !== undefined; i++) {
      const token = tokens[i] as string;
      if (token === '>') {
        removed = node.rest?.delete(value) ?? false;
        break;
      }
      path.push([node, token]);
      node = token === '*' ? node.star : node.children?.get(token);
      if (i === tokens.length - 1 && node !== undefined) removed = node.here?.delete(value) ?? false;
    }
    if (!removed) return false;
    this.#size--;
    this.#prune(path);
    return true;
  }

  /** Every value whose pattern matches the concrete `subject`. */
  match(subject: string): T[] {
    const out: T[] = [];
    collect(this.#root, subject.split('.'), 0, out);
    return out;
  }

  #insert(set: Set<T>, value: T): void {
    if (set.has(value)) return;
    set.add(value);
    this.#size++;
  }

  #prune(path: Array<[TrieNode<T>, string]>): void {
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, token] = path[i] as [TrieNode<T>, string];
      const child = token === '*' ? parent.star : parent.children?.get(token);
      if (child === undefined || !isEmpty(child)) return;
      if (token === '*') parent.star = undefined;
      else parent.children?.delete(token);
    }
  }
}

function collect<T>(node: TrieNode<T>, tokens: string[], i: number, out: T[]): void {
  if (i === tokens.length) {
    if (node.here !== undefined) for (const v of node.here) out.push(v);
    return;
  }
  if (node.rest !== undefined) for (const v of node.rest) out.push(v);
  const child = node.children?.get(tokens[i] as string);
  if (child !== undefined) collect(child, tokens, i + 1, out);
  if (node.star !== undefined) collect(node.star, tokens, i + 1, out);
}
