import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { HEADER, type Headers } from '../../bus/bus.ts';
import { newCorrelationId } from '../../core/ids.ts';
import { isoTimestamp, parseSignal, type NormalizedSignal } from '../../coordination/index.ts';
import { injectHeaders, tracingEnabled } from '../../telemetry/index.ts';
import { errorResponses, isoTimeSchema, jsonObjectSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';

/** The subject normalized signals are published on, for every agent to analyse. */
export const NORMALIZED_SUBJECT = 'signals.normalized';

const text = (what: string) =>
  z
    .string({ error: `must be a non-empty string naming ${what}` })
    .trim()
    .min(1, `must be a non-empty string naming ${what}`)
    .max(200, 'must be at most 200 characters');

/** POST /signals' body: a raw webhook event, before normalization. */
export const signalIntakeSchema = z.strictObject({
  instrument: text('the instrument (e.g. AAPL)'),
  source: text('the sender (e.g. tradingview)'),
  signal_type: text('the kind of signal').optional(),
  payload: jsonObjectSchema,
  timestamp: isoTimestamp.optional(),
  corr_id: z
    .string({ error: 'must be a string of 1 to 200 letters, digits, _ . : -' })
    .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be a string of 1 to 200 letters, digits, _ . : -')
    .optional(),
});

/** The webhook intake in the gateway's role: a raw event → the coordinator's normalized signal. */
export function normalizeSignal(body: z.infer<typeof signalIntakeSchema>, nowMs: number): NormalizedSignal {
  return parseSignal({
    corr_id: body.corr_id ?? newCorrelationId(),
    instrument: body.instrument.toUpperCase(),
    timestamp: body.timestamp === undefined ? new Date(nowMs).toISOString() : normalizeTime(body.timestamp),
    source: body.source,
    ...(body.signal_type === undefined ? {} : { signal_type: body.signal_type }),
    payload: body.payload,
  });
}

/** An ISO time with an offset or none (read as UTC) → the UTC `Z` form every other time uses. */
function normalizeTime(iso: string): string {
  const hasZone = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(iso);
  return new Date(hasZone ? iso : `${iso}Z`).toISOString();
}

const acceptedSchema = z.object({
  corr_id: z.string(),
  status: z.literal('accepted'),
  subject: z.string(),
  received_at: isoTimeSchema,
});

/**
 * POST /signals: validates a webhook event, normalizes it (upper-case instrument, UTC timestamp,
 * a corr_id assigned when absent) and publishes it on `signals.normalized`; 202 with the corr_id.
 * @remarks The corr_id doubles as the publish's dedup id, so a webhook retried by its sender with
 * the same corr_id is analysed once where the bus deduplicates (JetStream). With tracing on, the
 * message carries the request span's `traceparent`, so the agents' work joins the caller's trace.
 */
export function signalsRoute(app: ConclaveServer, conclave: Conclave): void {
  app.post(
    '/signals',
    {
      schema: {
        summary: 'Webhook intake: validate, normalize and publish a market signal',
        tags: ['signals'],
        body: signalIntakeSchema,
        response: { 202: acceptedSchema, ...errorResponses(400, 401, 403, 413, 429, 503) },
      },
    },
    async (request, reply) => {
      const now = conclave.clock.now();
      const signal = normalizeSignal(request.body, now);
      const headers: Headers = { [HEADER.corrId]: signal.corr_id };
      // The request's span is active here (tracing-hook.ts): the agents continue its trace.
      if (tracingEnabled()) injectHeaders(headers);
      await conclave.bus.publish(NORMALIZED_SUBJECT, signal, {
        headers,
        msgId: `signal:${signal.corr_id}`,
      });
      return reply.code(202).send({
        corr_id: signal.corr_id,
        status: 'accepted' as const,
        subject: NORMALIZED_SUBJECT,
        received_at: new Date(now).toISOString(),
      });
    },
  );
}
