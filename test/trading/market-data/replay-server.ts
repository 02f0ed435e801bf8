import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One canned answer. */
export interface Reply {
  status: number;
  body: string | object;
  headers?: Record<string, string>;
}

/** A request the server saw. */
export interface Seen {
  url: URL;
  headers: IncomingHttpHeaders;
}

/** A local server on an ephemeral port replaying vendor responses. */
export interface ReplayServer {
  baseUrl: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** Starts a server answering each request with `answer(request)`. */
export async function replay(answer: (seen: Seen) => Reply): Promise<ReplayServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const s: Seen = { url: new URL(req.url ?? '/', 'http://localhost'), headers: req.headers };
    seen.push(s);
    const reply = answer(s);
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL where nothing listens (a port just released). */
export async function deadUrl(): Promise<string> {
  const s = await replay(() => ({ status: 200, body: {} }));
  await s.close();
  return s.baseUrl;
}
