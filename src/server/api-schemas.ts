import { z } from 'zod';
import { isoTime } from '../core/iso-time.ts';
import { ERROR_CODES } from '../core/errors.ts';

/** A JSON object (`{…}`), the shape of payloads, metadata and results. Arrays and scalars are refused. */
export const jsonObjectSchema = z.record(z.string(), z.unknown(), { error: 'must be a JSON object ({…})' });

/** An ISO-8601 UTC timestamp, as every time in the API is written. */
export const isoTimeSchema = z.iso.datetime().describe('ISO-8601 UTC time');

/** Epoch milliseconds → the API's ISO-8601 form (remembering the last instant formatted). */
export { isoTime };

/** Epoch milliseconds or null → ISO-8601 or null. */
export function isoTimeOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : isoTime(epochMs);
}

/** An id in a path (`/status/:task_id`, `/dlq/:id`). */
export const idSchema = z
  .string()
  .min(1, 'must be a non-empty id')
  .max(200, 'must be at most 200 characters');

/** Every error the API returns, whatever the route: the Learn Your Way shape plus a machine code. */
export const errorBodySchema = z.object({
  detail: z.string().describe('what went wrong, naming the field and what is allowed'),
  status_code: z.int(),
  code: z.enum(ERROR_CODES),
});

/** The JSON body of an error response. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** `response` schema entries for the given error statuses (for the OpenAPI document). */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorBodySchema])) as Record<S, typeof errorBodySchema>;
}

/** A task error as stored: code, message, whether another attempt could help. */
export const taskErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});
