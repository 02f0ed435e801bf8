import { CliFailure, EXIT } from './failure.ts';

/** The default server address the remote commands talk to. */
export const DEFAULT_URL = 'http://127.0.0.1:8000';

/** The global flags of the commands that talk to a running server. */
export interface RemoteFlags {
  /** Base URL (`--url`, else `CONCLAVE_URL`, else {@link DEFAULT_URL}). */
  url?: string;
  /** API key sent as a bearer token (`--api-key`, else `CONCLAVE_API_KEY`). */
  apiKey?: string;
  /** Print JSON instead of tables and lines. */
  json?: boolean;
}

/** Options for {@link ApiClient}: where the server is and the key to present. */
export interface ApiClientOptions {
  baseUrl: string;
  apiKey?: string;
}

/** Resolves the remote flags against the environment. */
export function clientOptions(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): ApiClientOptions {
  const baseUrl = (flags.url ?? env['CONCLAVE_URL'] ?? DEFAULT_URL).replace(/\/+$/, '');
  if (!isHttpUrl(baseUrl)) {
    throw new CliFailure('VALIDATION_FAILED', `--url: must be an http(s) URL (got '${baseUrl}')`, EXIT.usage);
  }
  const apiKey = flags.apiKey ?? env['CONCLAVE_API_KEY'];
  return { baseUrl, ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }) };
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** The error body every API failure carries. */
interface ErrorBody {
  detail?: unknown;
  code?: unknown;
}

/**
 * A small client for Conclave's REST API that turns every failure into a {@link CliFailure} a
 * shell user can act on: the URL and how to start a server when nothing answers, the key flags on
 * 401/403, the server's own `detail` (which names the bad field) otherwise.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl;
    this.#apiKey = options.apiKey;
  }

  /** GETs `path` and parses the JSON reply. */
  get<T>(path: string): Promise<T> {
    return this.#json<T>('GET', path);
  }

  /** POSTs `body` as JSON to `path` and parses the JSON reply. */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#json<T>('POST', path, body);
  }

  /** DELETEs `path` and parses the JSON reply. */
  delete<T>(path: string): Promise<T> {
    return this.#json<T>('DELETE', path);
  }

  /** Opens `path` as a stream (Server-Sent Events); the reply is checked like any other. */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#fetch('GET', path, undefined, signal, 'text/event-stream');
    if (res.body === null)
      throw new CliFailure('INTERNAL', `GET ${path} answered without a body`, EXIT.failure);
    return res.body;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(method, path, body);
    return (await res.json()) as T;
  }

  async #fetch(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    accept = 'application/json',
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.#apiKey !== undefined) headers['authorization'] = `Bearer ${this.#apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      if (signal?.aborted === true) throw err;
      throw unreachable(this.baseUrl, err);
    }
    if (!res.ok) throw await httpFailure(method, path, res, this.#apiKey !== undefined);
    return res;
  }
}

function unreachable(baseUrl: string, err: unknown): CliFailure {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
  return new CliFailure(
    'NO_RESPONDERS',
    `cannot reach the Conclave server at ${baseUrl} (${cause}).\n` +
      '  Start one with `npm start` (or `conclave start`), or point at another with --url or CONCLAVE_URL.',
    EXIT.unreachable,
    { url: baseUrl },
  );
}

async function httpFailure(
  method: string,
  path: string,
  res: Response,
  sentKey: boolean,
): Promise<CliFailure> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // Not our JSON error shape (a proxy, another server): the status alone has to do.
  }
  const detail = typeof body.detail === 'string' ? body.detail : res.statusText;
  const where = `${method} ${path}`;
  if (res.status === 401) {
    const hint = sentKey
      ? 'the API key was not accepted; check --api-key or CONCLAVE_API_KEY'
      : 'this server needs an API key: pass --api-key <key> or set CONCLAVE_API_KEY';
    return new CliFailure('UNAUTHORIZED', `${where}: ${hint} (${detail})`, EXIT.auth, { status: 401 });
  }
  if (res.status === 403) {
    return new CliFailure(
      'FORBIDDEN',
      `${where}: the API key's role is not allowed to do this; use a key with a higher role (${detail})`,
      EXIT.auth,
      { status: 403 },
    );
  }
  if (res.status === 400) {
    return new CliFailure('VALIDATION_FAILED', `${where}: ${detail}`, EXIT.usage, { status: 400 });
  }
  const retry = res.headers.get('retry-after');
  const suffix = res.status === 429 && retry !== null ? ` (retry after ${retry} s)` : '';
  return new CliFailure('INTERNAL', `${where}: ${res.status} ${detail}${suffix}`, EXIT.failure, {
    status: res.status,
    code: body.code,
  });
}
