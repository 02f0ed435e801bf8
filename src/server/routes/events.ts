import { z } from 'zod';
import { errorResponses, idSchema } from '../api-schemas.ts';
import {
  LIVE_EVENT_KINDS,
  type LiveEvent,
  type LiveEventHub,
  type LiveEventKind,
  matchesFilter,
} from '../event-hub.ts';
import type { ConclaveServer } from '../server-types.ts';

/** Bytes a slow client may leave unread before its stream is ended. */
const MAX_BUFFERED_BYTES = 1_048_576;

const KINDS = `a comma-separated list of ${LIVE_EVENT_KINDS.join(', ')}`;

const eventsQuerySchema = z.strictObject({
  kind: z
    .string()
    .transform((s) => s.split(',').map((k) => k.trim()))
    .pipe(z.array(z.enum(LIVE_EVENT_KINDS, { error: `must be ${KINDS}` })))
    .optional()
    .describe(KINDS),
  workflow_id: idSchema.optional(),
  corr_id: idSchema.optional(),
});

/** Options for {@link eventsRoute}. */
export interface EventsRouteOptions {
  hub: LiveEventHub;
  /** Milliseconds between heartbeat comments. */
  heartbeatMs: number;
}

/** One event in the SSE wire format: `id`, `event` and one `data` line of JSON. */
function frame(id: number, event: LiveEvent): string {
  return `id: ${id}\nevent: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * GET /events: Server-Sent Events of workflow progress (`progress`), decisions (`decision`) and
 * agent status changes (`agent_status`), filtered by `kind`, `workflow_id` and `corr_id`, with a
 * heartbeat comment every `heartbeatMs` so proxies keep the connection open.
 * @remarks The reply is taken over from Fastify once validation and authentication have passed;
 * listeners and the heartbeat timer are released when the client disconnects or the app closes.
 */
export function eventsRoute(app: ConclaveServer, options: EventsRouteOptions): void {
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });
  app.get(
    '/events',
    {
      schema: {
        summary: 'Live events (Server-Sent Events): workflow progress, decisions, agent status',
        tags: ['events'],
        querystring: eventsQuerySchema,
        response: { ...errorResponses(400, 401, 403, 429) },
      },
    },
    (request, reply) => {
      const { kind, workflow_id: workflowId, corr_id: corrId } = request.query;
      const filter = {
        kinds: new Set<LiveEventKind>(kind ?? []),
        ...(workflowId === undefined ? {} : { workflowId }),
        ...(corrId === undefined ? {} : { corrId }),
      };
      reply.hijack();
      const res = reply.raw;
      const socket = res.socket;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // The stream holds its connection to the end; closing it then keeps a pooled client
        // socket from holding the server open at shutdown.
        connection: 'close',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n: connected\n\n');
      let seq = 0;
      const end = (): void => {
        if (!open.delete(end)) return;
        unsubscribe();
        clearInterval(heartbeat);
        // Destroy once flushed: the connection carried only this stream.
        res.end(() => socket?.destroy());
      };
      const write = (text: string): void => {
        if (res.writableEnded || res.destroyed) return end();
        res.write(text);
        if (res.writableLength > MAX_BUFFERED_BYTES) end();
      };
      const unsubscribe = options.hub.subscribe((event) => {
        if (matchesFilter(event, filter)) write(frame(++seq, event));
      });
      const heartbeat = setInterval(
        () => write(`: heartbeat ${new Date().toISOString()}\n\n`),
        options.heartbeatMs,
      );
      heartbeat.unref();
      open.add(end);
      res.once('close', end);
    },
  );
}
