/**
 * Fan-out deliveries through the dispatcher: a delivery whose first publish failed becomes a task
 * for the in-process `conclave-delivery` agent, which publishes it again. The dispatcher's retry
 * policy, backoff, dead-letter queue and replay then apply to deliveries as to any task.
 */
import type { AgentRegistry, AgentRequest } from '../agents/index.ts';
import { InprocTransport } from '../agents/index.ts';
import type { Bus, Headers } from '../bus/index.ts';
import type { DeliveryQueue, FailedDelivery } from '../coordination/index.ts';
import { serializeError } from '../core/errors.ts';
import type { Dispatcher } from '../dispatch/index.ts';

/** The delivery agent's name and the capability (and so the pattern) its tasks use. */
export const DELIVERY_AGENT = 'conclave-delivery';
export const DELIVERY_PATTERN = 'coordination.deliver';

interface DeliveryPayload {
  subject: string;
  data: unknown;
  headers: Headers;
}

/** Registers the agent that publishes delivery tasks on `bus`. */
export function registerDeliveryAgent(registry: AgentRegistry, bus: Pick<Bus, 'publish'>): void {
  registry.register({
    name: DELIVERY_AGENT,
    capabilities: [DELIVERY_PATTERN],
    maxConnections: 64,
    transport: new InprocTransport(async (request: AgentRequest) => {
      const { subject, data, headers } = request.payload as unknown as DeliveryPayload;
      await bus.publish(subject, data, { headers });
      return { delivered: subject };
    }),
  });
}

/** A {@link DeliveryQueue} that submits each failed delivery as a dispatcher task. */
export function dispatcherDeliveryQueue(dispatcher: Pick<Dispatcher, 'submit'>): DeliveryQueue {
  return {
    async enqueue(delivery: FailedDelivery): Promise<void> {
      await dispatcher.submit({
        pattern: DELIVERY_PATTERN,
        payload: { subject: delivery.subject, data: delivery.data, headers: delivery.headers },
        corrId: delivery.corrId,
        metadata: { first_error: serializeError(delivery.error) },
      });
    },
  };
}
