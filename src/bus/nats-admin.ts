import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ConclaveError } from '../core/errors.ts';
import type { CompiledConsumerConfig } from './memory-consumer.ts';
import type { CompiledStreamConfig } from './memory-stream.ts';
import { fromNatsError, isNotFound } from './nats-errors.ts';
import { toNatsStreamConfig } from './nats-streams.ts';

/**
 * The JetStream management calls behind {@link NatsBus}: create-or-update for streams and durable
 * consumers, so every process can declare what it needs at start-up without racing the others.
 */

/** `undefined` instead of a not-found failure. */
function orUndefined<T>(lookup: Promise<T>): Promise<T | undefined> {
  return lookup.catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
}

/** Creates the stream, or updates its subjects and limits (other settings are left as they are). */
export async function ensureNatsStream(jsm: JetStreamManager, config: CompiledStreamConfig): Promise<void> {
  const wanted = toNatsStreamConfig(config);
  try {
    const current = await orUndefined(jsm.streams.info(config.name));
    if (current === undefined) await jsm.streams.add(wanted);
    else await jsm.streams.update(config.name, { ...current.config, ...wanted });
  } catch (error) {
    throw fromNatsError(error, `ensuring stream "${config.name}"`);
  }
}

/** The subjects stream `name` captures; `NOT_FOUND` when there is no such stream. */
export async function streamSubjects(jsm: JetStreamManager, name: string): Promise<string[]> {
  try {
    return (await jsm.streams.info(name)).config.subjects;
  } catch (error) {
    if (isNotFound(error)) {
      throw new ConclaveError('NOT_FOUND', `stream "${name}" does not exist; call ensureStream first`, {
        details: { stream: name },
      });
    }
    throw fromNatsError(error, `reading stream "${name}"`);
  }
}

/** Deletes a stream with its consumers; false when it did not exist. */
export async function deleteNatsStream(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    return await jsm.streams.delete(name);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw fromNatsError(error, `deleting stream "${name}"`);
  }
}

/**
 * Creates the durable pull consumer (explicit ack, from the stream's first message), or updates
 * its ack wait, max deliver and filter when a caller asks for different ones.
 *
 * @remarks The server-side max_ack_pending is unlimited: each `consume` call bounds its own unacked
 * messages, which a per-consumer cap shared by every caller could not express.
 */
export async function ensureNatsConsumer(
  jsm: JetStreamManager,
  config: CompiledConsumerConfig,
): Promise<void> {
  const settings = {
    ack_wait: nanos(config.ackWaitMs),
    max_deliver: config.maxDeliver,
    max_ack_pending: -1,
    ...(config.filterSubject === undefined ? {} : { filter_subject: config.filterSubject }),
  };
  try {
    const info = await orUndefined(jsm.consumers.info(config.stream, config.durable));
    if (info === undefined) {
      await jsm.consumers.add(config.stream, {
        ...settings,
        durable_name: config.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
      });
    } else if (
      info.config.ack_wait !== settings.ack_wait ||
      info.config.max_deliver !== settings.max_deliver ||
      info.config.max_ack_pending !== settings.max_ack_pending ||
      (info.config.filter_subject ?? undefined) !== config.filterSubject
    ) {
      await jsm.consumers.update(config.stream, config.durable, settings);
    }
  } catch (error) {
    throw fromNatsError(error, `ensuring consumer ${config.stream}/${config.durable}`);
  }
}
