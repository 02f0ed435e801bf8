import { headers as natsHeaders } from '@nats-io/transport-node';
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { ConclaveError } from '../core/errors.ts';
import { HEADER } from './bus.ts';
import type { BusMessage, Headers } from './bus.ts';

/**
 * How {@link NatsBus} puts messages on the wire: data as UTF-8 JSON, headers as NATS headers.
 *
 * @remarks Agents in other languages speak plain NATS, so a payload that is not JSON is delivered
 * as its text rather than dropped; an empty payload is `undefined` both ways.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Serialises message data; `undefined` becomes an empty payload. */
export function encodeData(subject: string, data: unknown): Uint8Array {
  if (data === undefined) return EMPTY;
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new ConclaveError('VALIDATION_FAILED', `data for "${subject}" is not JSON-serialisable`, {
      cause: error,
      retryable: false,
      details: { subject },
    });
  }
  // JSON.stringify returns undefined for a function or symbol: nothing a receiver could read.
  if (text === undefined) {
    throw new ConclaveError('VALIDATION_FAILED', `data for "${subject}" is not JSON-serialisable`, {
      retryable: false,
      details: { subject },
    });
  }
  return encoder.encode(text);
}

/** Parses message data; text that is not JSON is returned as the string itself. */
export function decodeData(payload: Uint8Array): unknown {
  if (payload.length === 0) return undefined;
  const text = decoder.decode(payload);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** NATS headers for a publish, with the dedup id when given; `undefined` when there are none. */
export function encodeHeaders(headers: Headers | undefined, msgId?: string): MsgHdrs | undefined {
  const keys = headers === undefined ? [] : Object.keys(headers);
  if (keys.length === 0 && msgId === undefined) return undefined;
  const out = natsHeaders();
  for (const key of keys) out.set(key, (headers as Headers)[key] as string);
  if (msgId !== undefined) out.set(HEADER.msgId, msgId);
  return out;
}

/** A plain record of NATS headers (first value of each key); `{}` when there are none. */
export function decodeHeaders(hdrs: MsgHdrs | undefined): Headers {
  const out: Headers = {};
  if (hdrs === undefined) return out;
  for (const key of hdrs.keys()) out[key] = hdrs.get(key);
  return out;
}

/** A core NATS message as the Bus delivers it: decoded data and headers, `replyTo` when set. */
export function toBusMessage(msg: Msg): BusMessage {
  const base = { subject: msg.subject, data: decodeData(msg.data), headers: decodeHeaders(msg.headers) };
  return msg.reply === undefined || msg.reply === '' ? base : { ...base, replyTo: msg.reply };
}
