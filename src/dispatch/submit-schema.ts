import { z } from 'zod';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import type { JsonObject } from '../core/task.ts';

/** What a caller submits. Unset fields take the routing rule's, then the dispatcher's defaults. */
export interface SubmitInput {
  pattern: string;
  payload: JsonObject;
  /** 1 (least urgent) to 5 (most urgent); default from the rule, else 3. */
  priority?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  metadata?: JsonObject;
  corrId?: string;
  callbackUrl?: string;
  /** Retries after the first attempt. */
  maxRetries?: number;
}

const jsonObject = z.custom<JsonObject>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'must be a JSON object ({…})',
);

/** Validates {@link SubmitInput}; names the field and the accepted values on failure. */
export const submitInputSchema = z.strictObject({
  pattern: z.string().min(1, 'must be a non-empty string').max(200, 'must be at most 200 characters'),
  payload: jsonObject,
  priority: z.number().int('must be an integer').min(1, 'must be 1–5').max(5, 'must be 1–5').optional(),
  timeoutMs: z.number().positive('must be > 0 ms').max(86_400_000, 'must be at most one day').optional(),
  metadata: jsonObject.optional(),
  corrId: z.string().min(1).max(200).optional(),
  callbackUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  maxRetries: z.number().int().min(0, 'must be 0–20').max(20, 'must be 0–20').optional(),
});

const SUBMIT_KEYS: ReadonlySet<string> = new Set(Object.keys(submitInputSchema.shape));

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A conservative check that accepts only submissions the schema certainly accepts (and no URL,
 * which it leaves to the schema). It lets the common, valid case skip zod, which costs ~1 µs a
 * task on the dispatch hot path (bench/RESULTS.md); everything else goes through the schema,
 * which stays the one source of truth and the one source of error messages.
 */
function obviouslyValid(i: Record<string, unknown>): boolean {
  for (const key in i) if (!SUBMIT_KEYS.has(key)) return false;
  const { pattern, payload, priority, timeoutMs, metadata, corrId, callbackUrl, maxRetries } = i;
  return (
    typeof pattern === 'string' &&
    pattern.length >= 1 &&
    pattern.length <= 200 &&
    isPlainObject(payload) &&
    (priority === undefined ||
      (Number.isInteger(priority) && (priority as number) >= 1 && (priority as number) <= 5)) &&
    (timeoutMs === undefined ||
      (typeof timeoutMs === 'number' &&
        Number.isFinite(timeoutMs) &&
        timeoutMs > 0 &&
        timeoutMs <= 86_400_000)) &&
    (metadata === undefined || isPlainObject(metadata)) &&
    (corrId === undefined || (typeof corrId === 'string' && corrId.length >= 1 && corrId.length <= 200)) &&
    callbackUrl === undefined &&
    (maxRetries === undefined ||
      (Number.isInteger(maxRetries) && (maxRetries as number) >= 0 && (maxRetries as number) <= 20))
  );
}

/** Parses a submission, throwing a `ValidationError` naming the first bad field. */
export function parseSubmitInput(input: unknown): SubmitInput {
  if (isPlainObject(input) && obviouslyValid(input as Record<string, unknown>)) return input as SubmitInput;
  const result = submitInputSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data as SubmitInput;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : '(body)';
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${preview(issue.input)})` : '';
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field(s) ${issue.keys.join(', ')}; allowed: ${Object.keys(submitInputSchema.shape).join(', ')}`
      : `${issue.message}${got}`;
  throw new ValidationError(issue.code === 'unrecognized_keys' ? issue.keys[0]! : field, message);
}

/** Rejects a payload whose JSON encoding is over `maxBytes`; returns its size. */
export function checkPayloadSize(payload: JsonObject, maxBytes: number): number {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(payload));
  } catch (err) {
    throw new ValidationError('payload', `is not serialisable as JSON: ${(err as Error).message}`);
  }
  if (size > maxBytes) {
    throw new ConclaveError(
      'PAYLOAD_TOO_LARGE',
      `payload: ${size} bytes is over the limit of ${maxBytes} bytes`,
      {
        retryable: false,
        details: { field: 'payload', size, limit: maxBytes },
      },
    );
  }
  return size;
}

function preview(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
