import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ConclaveError, HTTP_STATUS_BY_CODE, type ErrorCode } from '../core/errors.ts';
import type { ErrorBody } from './api-schemas.ts';
import { describeValidationIssues, type RequestPart } from './validation-detail.ts';

/** What the error handler sends, and whether the failure is ours (logged) or the client's. */
export interface ErrorReply {
  statusCode: number;
  body: ErrorBody;
  /** True for 500s: failures a client cannot cause, worth an error log line. */
  serverFault: boolean;
}

/** The detail sent for failures we do not describe to clients (no stack, no internals). */
export const INTERNAL_DETAIL = 'internal server error; the failure has been logged';

/** Builds the `{ detail, status_code, code }` reply for a code; the status comes from the one table. */
export function errorBody(code: ErrorCode, detail: string): ErrorBody {
  return { detail, status_code: HTTP_STATUS_BY_CODE[code], code };
}

/**
 * Maps anything a route or Fastify throws to the API's error reply: request validation → 400 with
 * the fields named, `ConclaveError` → its code's status, Fastify's own client errors (body too
 * large, bad JSON, bad content type) → the nearest code, anything else → 500 with a generic detail.
 */
export function toErrorReply(error: unknown, request: FastifyRequest): ErrorReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = (error as { validationContext?: RequestPart }).validationContext ?? 'body';
    const detail = describeValidationIssues(error.validation, part, request);
    return reply('VALIDATION_FAILED', detail);
  }
  if (error instanceof ConclaveError) {
    return error.code === 'INTERNAL' ? reply('INTERNAL', INTERNAL_DETAIL) : reply(error.code, error.message);
  }
  const status = statusCodeOf(error);
  if (status !== undefined && status >= 400 && status < 500)
    return fastifyClientError(error as Error, status);
  return reply('INTERNAL', INTERNAL_DETAIL);
}

function reply(code: ErrorCode, detail: string): ErrorReply {
  const body = errorBody(code, detail);
  return { statusCode: body.status_code, body, serverFault: body.status_code === 500 };
}

/** Fastify marks its client errors with a 4xx `statusCode`; their messages are safe to show. */
function fastifyClientError(error: Error, status: number): ErrorReply {
  const code = (error as { code?: unknown }).code;
  if (status === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply('PAYLOAD_TOO_LARGE', `request body is too large: ${error.message}`);
  }
  if (error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return reply('VALIDATION_FAILED', `body: is not valid JSON (${error.message})`);
  }
  if (status === 404) return reply('NOT_FOUND', error.message);
  if (status === 429) return reply('RATE_LIMITED', error.message);
  return reply('VALIDATION_FAILED', error.message);
}

function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}
