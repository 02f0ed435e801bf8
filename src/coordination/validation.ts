/**
 * Turns zod issues into a {@link ValidationError} that names the field, as in
 * `analysis.confidence: must be between 0 and 1 (got 1.4)`.
 */
import type { z } from 'zod';
import { ValidationError } from '../core/errors.ts';

/** Formats a zod path under `root`: `root.a.b[0].c` (or `a.b[0].c` when `root` is empty). */
export function formatIssuePath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One readable line per issue: the field, what is accepted, and the value received. */
export function describeIssue(issue: z.core.$ZodIssue, root = ''): { field: string; message: string } {
  const field = formatIssuePath(root, issue.path);
  const input = 'input' in issue ? issue.input : undefined;
  if (issue.code === 'invalid_type' && input === undefined) {
    return { field, message: `is required (expected ${issue.expected})` };
  }
  if (issue.code === 'unrecognized_keys') {
    return { field, message: `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}` };
  }
  const message =
    issue.code === 'invalid_value'
      ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
      : issue.message;
  // Custom issues (the condition language's) already quote the value they reject.
  const quote = input !== undefined && issue.code !== 'custom';
  return { field, message: quote ? `${message} (got ${shown(input)})` : message };
}

/**
 * Parses `input` with `schema`, or throws a ValidationError naming the first bad field (all
 * problems are listed in `details.issues`).
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root = ''): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => describeIssue(i, root));
  const [first, ...rest] = problems;
  const more = rest.length ? ` (and ${rest.map((p) => `${p.field}: ${p.message}`).join('; ')})` : '';
  throw new ValidationError(first?.field ?? (root || '(root)'), `${first?.message ?? 'invalid'}${more}`, {
    issues: problems.map((p) => `${p.field}: ${p.message}`),
  });
}
