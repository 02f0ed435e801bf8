import type { FastifyRequest } from 'fastify';
import type { ZodFastifySchemaValidationError } from 'fastify-type-provider-zod';

/** Where in the request a validation issue was found (Fastify's `validationContext`). */
export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

/**
 * Turns the zod issues Fastify collected for one request part into one readable line per issue:
 * the field, that it is required or what is allowed, and the value received.
 * @remarks The validator does not carry the received value, so it is read back from the request at
 * the issue's path; unknown keys are answered with the list of allowed ones, read from the route's
 * schema.
 */
export function describeValidationIssues(
  issues: readonly ZodFastifySchemaValidationError[],
  part: RequestPart,
  request: FastifyRequest,
): string {
  const data = requestPart(request, part);
  return issues.map((issue) => describeIssue(issue, part, data, request)).join('; ');
}

function describeIssue(
  issue: ZodFastifySchemaValidationError,
  part: RequestPart,
  data: unknown,
  request: FastifyRequest,
): string {
  const path = issue.instancePath.split('/').filter((s) => s !== '');
  const field = fieldName(part, path);
  if (issue.keyword === 'unrecognized_keys') {
    const keys = (issue.params['keys'] as string[] | undefined) ?? [];
    const allowed = allowedKeys(request, part, path);
    const where = path.length > 0 ? ` in ${field}` : part === 'body' ? '' : ` in ${part}`;
    return (
      `unknown field(s)${where}: ${keys.join(', ')}` +
      (allowed.length ? `; allowed: ${allowed.join(', ')}` : '')
    );
  }
  const value = valueAt(data, path);
  if (value === undefined) return `${field}: is required; ${issue.message ?? 'missing'}`;
  return `${field}: ${issue.message ?? 'is invalid'} (got ${preview(value)})`;
}

function fieldName(part: RequestPart, path: readonly string[]): string {
  if (path.length === 0) return part;
  const dotted = path.join('.');
  return part === 'body' ? dotted : `${part}.${dotted}`;
}

function requestPart(request: FastifyRequest, part: RequestPart): unknown {
  switch (part) {
    case 'body':
      return request.body;
    case 'querystring':
      return request.query;
    case 'params':
      return request.params;
    case 'headers':
      return request.headers;
  }
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The keys the route's schema accepts at `path` (zod object shapes expose them). */
function allowedKeys(request: FastifyRequest, part: RequestPart, path: readonly string[]): string[] {
  const schemas = request.routeOptions.schema as Record<string, unknown> | undefined;
  let node: unknown = schemas?.[part];
  for (const key of path) node = shapeOf(node)?.[key];
  return Object.keys(shapeOf(node) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  // An optional or nullable body wraps the object schema: look inside.
  if (!('shape' in schema)) return 'unwrap' in schema ? shapeOf(unwrapped(schema)) : undefined;
  const shape = schema.shape;
  return typeof shape === 'object' && shape !== null ? (shape as Record<string, unknown>) : undefined;
}

function preview(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function unwrapped(schema: object): unknown {
  const unwrap = (schema as { unwrap?: unknown }).unwrap;
  return typeof unwrap === 'function' ? (unwrap as () => unknown).call(schema) : undefined;
}
