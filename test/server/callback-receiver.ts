/** A real local HTTP receiver for callback tests, and the signature check a receiver would run. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got, and what it answered. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface CallbackReceiver {
  readonly url: string;
  readonly received: Received[];
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and answers each POST with `answer()`'s status. */
export async function startCallbackReceiver(answer: () => number): Promise<CallbackReceiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const status = answer();
      received.push({ headers: req.headers, body, status });
      res.statusCode = status;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/hook?token=abc`,
    received,
    close: () => (closed ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/** What a receiver does to check a callback: recompute the HMAC over `<t>.<body>`. */
export function verifySignature(
  header: string | string[] | undefined,
  body: string,
  secret: string,
): boolean {
  if (typeof header !== 'string') return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts['t']}.${body}`).digest();
  const given = Buffer.from(parts['v1'] ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
