import { ConclaveError } from '../core/errors.ts';
import type { Dispatcher } from '../dispatch/index.ts';
import type { OpenedBus } from './distributed.ts';

/**
 * The dispatcher as intake sees it: `submit` and `submitMany` refuse new work with a retryable
 * `BUS_ERROR` while the bus is disconnected; everything else is the dispatcher itself.
 * @remarks Only intake is guarded: the workflow engine and the coordinator's deliveries hold the
 * unguarded dispatcher, so work already accepted keeps running (nothing accepted is lost) while
 * new work is turned away with a reason a client can act on.
 */
export function guardIntake(dispatcher: Dispatcher, bus: OpenedBus): Dispatcher {
  const refusal = (): ConclaveError | undefined => {
    if (bus.connected()) return undefined;
    const status = bus.status();
    return new ConclaveError(
      'BUS_ERROR',
      `intake refused: ${status.reason ?? 'the bus is disconnected'}; retry once GET /health is 200`,
      {
        retryable: true,
        details: { dependency: 'bus', since: status.since },
      },
    );
  };
  const submit: Dispatcher['submit'] = (input, options) => {
    const refused = refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return dispatcher.submit(input, options);
  };
  const submitMany: Dispatcher['submitMany'] = (inputs) => {
    const refused = refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return dispatcher.submitMany(inputs);
  };
  // Methods are bound once (they use private fields, so they must run on the dispatcher itself).
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(dispatcher, {
    get(target, prop) {
      if (prop === 'submit') return submit;
      if (prop === 'submitMany') return submitMany;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (fn === undefined) {
        fn = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}
