/**
 * The HTTP plumbing the vendor sources share: a GET with timeout and abort, and the mapping of
 * transport and status failures to `ConclaveError` codes.
 */
import { parseRetryAfter } from '../../agents/index.ts';
import { systemClock } from '../../core/clock.ts';
import type { Clock } from '../../core/clock.ts';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import { barSchema } from './bar.ts';
import type { Bar } from './bar.ts';

/** Options every HTTP market data source takes. */
export interface HttpSourceOptions {
  /** The vendor's base URL (scheme, host, optional path prefix); tests point it at a local server. */
  baseUrl?: string;
  /** Per-request timeout. Default 10,000. */
  timeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Reads "now" for default date ranges and HTTP-date `Retry-After`s. Default: the system clock. */
  clock?: Clock;
  /** Where API keys are read from when not given. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** {@link HttpSourceOptions} with defaults applied. */
export interface CompiledHttpOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Applies defaults and checks the base URL and timeout. */
export function compileHttpOptions(options: HttpSourceOptions, defaultBaseUrl: string): CompiledHttpOptions {
  const baseUrl = (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) {
    throw new ValidationError('options.baseUrl', `${JSON.stringify(baseUrl)} must be an http(s) URL`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ValidationError('options.timeoutMs', `${timeoutMs} must be a positive integer`);
  }
  return {
    baseUrl,
    timeoutMs,
    fetch: options.fetch ?? globalThis.fetch,
    clock: options.clock ?? systemClock,
    env: options.env ?? process.env,
  };
}

/** A vendor's answer: status, headers, raw text and the parsed JSON (undefined when not JSON). */
export interface HttpReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

const EXCERPT_CHARS = 200;

/** Replaces every secret in `text` with `***`, so keys never reach a message or a log. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '') out = out.split(s).join('***');
  return out;
}

/** The first characters of a body, on one line, with secrets removed. */
export function excerpt(text: string, secrets: readonly string[]): string {
  const flat = redact(text, secrets).replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/**
 * GETs `url` and reads the body, within `timeoutMs` and until `signal` aborts.
 * @remarks An abort by the caller is `CANCELLED`; the timeout is a retryable `TIMEOUT`; anything
 * else that stops the exchange (refused connection, reset, DNS) is a retryable `AGENT_UNAVAILABLE`.
 * Messages name the source and the URL's path, never its query, which may carry a key.
 */
export async function getJson(
  source: string,
  url: URL,
  headers: Record<string, string>,
  http: CompiledHttpOptions,
  signal: AbortSignal | undefined,
): Promise<HttpReply> {
  const timeout = AbortSignal.timeout(http.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  const where = `${url.origin}${url.pathname}`;
  const fail = (err: unknown, what: string): ConclaveError => {
    if (signal?.aborted)
      return new ConclaveError('CANCELLED', `${source}: request was cancelled`, { cause: err });
    if (timeout.aborted) {
      return new ConclaveError('TIMEOUT', `${source}: no answer from ${where} within ${http.timeoutMs} ms`, {
        details: { source, timeoutMs: http.timeoutMs },
      });
    }
    return new ConclaveError('AGENT_UNAVAILABLE', `${source}: ${what} ${where}: ${describe(err)}`, {
      retryable: true,
      details: { source },
    });
  };
  let response: Response;
  try {
    response = await http.fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: combined,
    });
  } catch (err) {
    throw fail(err, 'cannot reach');
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw fail(err, 'connection dropped while reading');
  }
  let json: unknown;
  try {
    json = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * The error for a non-2xx answer: 401 → `UNAUTHORIZED`, 403 → `FORBIDDEN`, 404 → `NOT_FOUND`,
 * 429 → `RATE_LIMITED` (with `details.retryAfterMs` when the vendor says), 408 → `TIMEOUT`,
 * 5xx → retryable `AGENT_UNAVAILABLE`, any other status → `AGENT_ERROR`.
 */
export function statusError(
  source: string,
  reply: HttpReply,
  vendorMessage: string | undefined,
  http: CompiledHttpOptions,
  secrets: readonly string[],
): ConclaveError {
  const said = redact(vendorMessage ?? excerpt(reply.text, secrets), secrets);
  const details: Record<string, unknown> = { source, status: reply.status };
  const message = `${source} answered ${reply.status}: ${said}`;
  switch (reply.status) {
    case 401:
      return new ConclaveError('UNAUTHORIZED', message, { details });
    case 403:
      return new ConclaveError('FORBIDDEN', message, { details });
    case 404:
      return new ConclaveError('NOT_FOUND', message, { details });
    case 408:
      return new ConclaveError('TIMEOUT', message, { details });
    case 429:
      return rateLimited(source, said, reply, http, details);
    default:
      if (reply.status >= 500)
        return new ConclaveError('AGENT_UNAVAILABLE', message, { retryable: true, details });
      return new ConclaveError('AGENT_ERROR', message, { retryable: false, details });
  }
}

/** A `RATE_LIMITED` error carrying `retryAfterMs` when the reply has a readable `Retry-After`. */
export function rateLimited(
  source: string,
  said: string,
  reply: HttpReply,
  http: CompiledHttpOptions,
  details: Record<string, unknown> = { source, status: reply.status },
): ConclaveError {
  const retryAfterMs = parseRetryAfter(reply.headers.get('retry-after'), http.clock.now());
  const withRetry = retryAfterMs === undefined ? details : { ...details, retryAfterMs };
  const after = retryAfterMs === undefined ? '' : ` (retry after ${retryAfterMs} ms)`;
  return new ConclaveError('RATE_LIMITED', `${source} rate limit reached${after}: ${said}`, {
    details: withRetry,
  });
}

/** A body that does not have the vendor's documented shape: `VALIDATION_FAILED` naming the field. */
export function malformed(source: string, field: string, problem: string): ValidationError {
  return new ValidationError(`${source}.${field}`, `${problem} (malformed ${source} response)`, { source });
}

/** A short reason from a fetch failure, preferring the system error code (ECONNREFUSED, …). */
function describe(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.message : String(err);
}

/** The error a keyed source raises when asked without its key. */
export function notConfigured(source: string, envVar: string): ConclaveError {
  return new ConclaveError(
    'CONFIG_INVALID',
    `${source} is not configured: set ${envVar} or pass options.apiKey`,
    {
      retryable: false,
      details: { source, notConfigured: true, env: envVar },
    },
  );
}

/**
 * Checks one vendor row against the bar schema, naming the offending field on failure.
 * @remarks `fieldOf` turns a bar field into the vendor's path for it (e.g. `close` →
 * `results[3].c`), so the error points at the body the vendor sent, not at Conclave's bar.
 */
export function vendorBar(
  source: string,
  candidate: Record<string, unknown>,
  fieldOf: (barField: string) => string,
): Bar {
  const parsed = barSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? 'row');
  return failBar(source, fieldOf(key), issue?.message ?? 'is invalid', candidate[key]);
}

function failBar(source: string, field: string, problem: string, value: unknown): never {
  throw malformed(source, field, `${JSON.stringify(value) ?? 'undefined'} ${problem}`);
}

/** True for a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
