import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport, parseRetryAfter, callContext } from '../../src/agents/index.ts';
import type { HttpAgentRequestBody } from '../../src/agents/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { makeRequest } from './helpers.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  url: string;
  received: Received[];
  /** Resolves when the next request has fully arrived. */
  nextRequest: Promise<Received>;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Starts a real HTTP server on 127.0.0.1 with an ephemeral port. */
async function serve(respond: (res: ServerResponse, received: Received) => void): Promise<TestServer> {
  const received: Received[] = [];
  let notify: (r: Received) => void = () => {};
  const nextRequest = new Promise<Received>((resolve) => (notify = resolve));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      notify(r);
      respond(res, r);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/agent/risk`, received, nextRequest };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const live = (): AbortSignal => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<ConclaveError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConclaveError);
  return err as ConclaveError;
}

describe('HttpTransport', () => {
  it('POSTs the request as JSON with its headers and resolves with the whole JSON body', async () => {
    const server = await serve((res) => json(res, 200, { score: 0.42, approved: true }));
    const t = new HttpTransport({
      endpoint: server.url,
      headers: { authorization: 'Bearer k1', 'x-team': 'quant' },
    });
    expect(t.kind).toBe('http');
    const request = makeRequest({
      attempt: 2,
      headers: {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'conclave-corr-id': 'corr-1',
        'x-team': 'risk', // a request header wins over a static one
      },
    });
    await expect(t.call(request, callContext(live()))).resolves.toEqual({ score: 0.42, approved: true });

    const [got] = server.received;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/agent/risk');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['idempotency-key']).toBe('idem-task-1');
    expect(got?.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(got?.headers['conclave-corr-id']).toBe('corr-1');
    expect(got?.headers['authorization']).toBe('Bearer k1');
    expect(got?.headers['x-team']).toBe('risk');
    const body = JSON.parse(got?.body ?? '') as HttpAgentRequestBody;
    expect(body).toEqual({
      task_id: 'task-1',
      pattern: 'assess_risk',
      capability: 'risk.assess',
      payload: { symbol: 'AAPL', qty: 100 },
      metadata: { source: 'test' },
      attempt: 2,
      idempotency_key: 'idem-task-1',
      corr_id: 'corr-1',
      timeout_ms: 5_000,
    });
  });

  it('resolves an empty 2xx body to null', async () => {
    const server = await serve((res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(
      new HttpTransport({ endpoint: server.url }).call(makeRequest(), callContext(live())),
    ).resolves.toBeNull();
  });

  it('maps 500 to a retryable AGENT_ERROR naming the endpoint, status and body', async () => {
    const server = await serve((res) => json(res, 500, { error: 'model not loaded' }));
    const err = await failure(
      new HttpTransport({ endpoint: server.url }).call(makeRequest(), callContext(live())),
    );
    expect(err.code).toBe('AGENT_ERROR');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(server.url);
    expect(err.message).toContain('500');
    expect(err.message).toContain('model not loaded');
    expect(err.details).toMatchObject({ endpoint: server.url, status: 500 });
  });

  it('maps 408 to a retryable AGENT_ERROR', async () => {
    const server = await serve((res) => json(res, 408, {}));
    const err = await failure(
      new HttpTransport({ endpoint: server.url }).call(makeRequest(), callContext(live())),
    );
    expect(err).toMatchObject({ code: 'AGENT_ERROR', retryable: true });
  });

  it('maps 429 to a retryable AGENT_ERROR with Retry-After in details.retryAfterMs', async () => {
    const server = await serve((res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '7' }));
    const err = await failure(
      new HttpTransport({ endpoint: server.url }).call(makeRequest(), callContext(live())),
    );
    expect(err).toMatchObject({
      code: 'AGENT_ERROR',
      retryable: true,
      details: { status: 429, retryAfterMs: 7_000 },
    });
  });

  it('reads an HTTP-date Retry-After against the injected clock', async () => {
    const clock = new ManualClock(Date.UTC(2024, 0, 2, 14, 30, 0));
    const at = new Date(clock.now() + 5_000).toUTCString();
    const server = await serve((res) => json(res, 429, {}, { 'retry-after': at }));
    const err = await failure(
      new HttpTransport({ endpoint: server.url, clock }).call(makeRequest(), callContext(live())),
    );
    expect(err.details['retryAfterMs']).toBe(5_000);
  });

  it('maps 400 to a non-retryable AGENT_ERROR with a short excerpt of the body', async () => {
    const long = `invalid symbol ${'x'.repeat(5_000)}`;
    const server = await serve((res) => json(res, 400, long));
    const err = await failure(
      new HttpTransport({ endpoint: server.url }).call(makeRequest(), callContext(live())),
    );
    expect(err).toMatchObject({ code: 'AGENT_ERROR', retryable: false });
    expect(err.message).toContain('400');
    expect(err.message).toContain('invalid symbol');
    expect(err.message.length).toBeLessThan(400);
  });

  it('maps an invalid JSON 200 body to a non-retryable AGENT_ERROR naming the endpoint', async () => {
    const server = await serve((res) => json(res, 200, '{"score": 0.4'));
    const err = await failure(
      new HttpTransport({ endpoint: server.url }).call(makeRequest(), callContext(live())),
    );
    expect(err).toMatchObject({ code: 'AGENT_ERROR', retryable: false });
    expect(err.message).toContain(server.url);
    expect(err.message).toContain('invalid JSON');
  });

  it('rejects with CANCELLED when aborted while the server hangs', async () => {
    const server = await serve(() => {}); // never answers
    const controller = new AbortController();
    const pending = new HttpTransport({ endpoint: server.url }).call(
      makeRequest(),
      callContext(controller.signal),
    );
    await server.nextRequest;
    controller.abort();
    const err = await failure(pending);
    expect(err.code).toBe('CANCELLED');
    expect(err.message).toContain(server.url);
  });

  it('rejects with CANCELLED when aborted while the body is still arriving', async () => {
    const server = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":'); // and never finishes
    });
    let headersArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (headersArrived = resolve));
    const watchingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      headersArrived();
      return response;
    };
    const controller = new AbortController();
    const t = new HttpTransport({ endpoint: server.url, fetch: watchingFetch });
    const pending = t.call(makeRequest(), callContext(controller.signal));
    await arrived; // the status line is in: the transport is now reading the body
    controller.abort();
    expect((await failure(pending)).code).toBe('CANCELLED');
  });

  it('maps a refused connection to a retryable AGENT_UNAVAILABLE', async () => {
    const server = await serve(() => {});
    const url = server.url;
    const s = servers.pop()!;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const err = await failure(new HttpTransport({ endpoint: url }).call(makeRequest(), callContext(live())));
    expect(err).toMatchObject({ code: 'AGENT_UNAVAILABLE', retryable: true });
    expect(err.message).toContain(url);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      calls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return new Response(JSON.stringify({ ok: 1 }), { status: 200 });
    };
    const t = new HttpTransport({ endpoint: 'http://agent.invalid/x', fetch: fakeFetch });
    await expect(t.call(makeRequest(), callContext(live()))).resolves.toEqual({ ok: 1 });
    expect(calls).toEqual(['http://agent.invalid/x']);
  });

  it('rejects a bad endpoint and refuses calls after close', async () => {
    expect(() => new HttpTransport({ endpoint: 'not a url' })).toThrow(/endpoint/);
    expect(() => new HttpTransport({ endpoint: 'ftp://host/x' })).toThrow(/http or https/);
    const t = new HttpTransport({ endpoint: 'http://127.0.0.1:9/x' });
    await t.close();
    expect((await failure(t.call(makeRequest(), callContext(live())))).code).toBe('AGENT_UNAVAILABLE');
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates, and ignores junk', () => {
    const now = Date.UTC(2024, 0, 1);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter(new Date(now + 3_000).toUTCString(), now)).toBe(3_000);
    expect(parseRetryAfter(new Date(now - 3_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
