import { describe, expect, it, vi } from 'vitest';
import { InprocTransport, callContext } from '../../src/agents/index.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { makeRequest } from './helpers.ts';

const signal = (): AbortSignal => new AbortController().signal;

describe('InprocTransport', () => {
  it('is of kind inproc and resolves with a sync or async result, passing request and signal', async () => {
    const request = makeRequest();
    const s = signal();
    const fn = vi.fn((r: typeof request, _signal: AbortSignal) => ({ echoed: r.payload }));
    const t = new InprocTransport(fn);
    expect(t.kind).toBe('inproc');
    await expect(t.call(request, callContext(s))).resolves.toEqual({ echoed: request.payload });
    expect(fn).toHaveBeenCalledWith(request, s);
    // A handler that takes no signal is not handed one, so none has to be created for it.
    let signalRead = false;
    const lazy = {
      get signal(): AbortSignal {
        signalRead = true;
        return s;
      },
      aborted: false,
      onAbort: () => () => undefined,
    };
    const oneArg = vi.fn((r: typeof request) => r.attempt);
    await expect(new InprocTransport(oneArg).call(request, lazy)).resolves.toBe(request.attempt);
    expect(oneArg.mock.calls[0]).toHaveLength(1);
    expect(signalRead).toBe(false);

    const asyncT = new InprocTransport(async (r) => ({ attempt: r.attempt }));
    await expect(asyncT.call(makeRequest({ attempt: 3 }), callContext(signal()))).resolves.toEqual({
      attempt: 3,
    });
  });

  it('wraps a thrown error into a retryable AGENT_ERROR keeping the original as cause', async () => {
    const original = new Error('division by zero');
    const t = new InprocTransport(() => {
      throw original;
    });
    const err = await t.call(makeRequest(), callContext(signal())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConclaveError);
    expect(err).toMatchObject({ code: 'AGENT_ERROR', retryable: true, cause: original });
    expect((err as ConclaveError).message).toContain('division by zero');
    expect((err as ConclaveError).message).toContain('risk.assess');
  });

  it('wraps an async rejection and a thrown non-Error too', async () => {
    const rejecting = new InprocTransport(async () => Promise.reject(new TypeError('bad input')));
    await expect(rejecting.call(makeRequest(), callContext(signal()))).rejects.toMatchObject({
      code: 'AGENT_ERROR',
      retryable: true,
    });
    const stringy = new InprocTransport(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- agents written by others may throw anything
      throw 'plain string';
    });
    await expect(stringy.call(makeRequest(), callContext(signal()))).rejects.toMatchObject({
      code: 'AGENT_ERROR',
      message: expect.stringContaining('plain string') as string,
    });
  });

  it('passes a thrown ConclaveError through unchanged', async () => {
    const domain = new ConclaveError('VALIDATION_FAILED', 'qty must be positive', { retryable: false });
    const t = new InprocTransport(async () => {
      throw domain;
    });
    await expect(t.call(makeRequest(), callContext(signal()))).rejects.toBe(domain);
  });

  it('rejects with CANCELLED promptly on abort even when the function ignores the signal', async () => {
    const t = new InprocTransport(() => new Promise(() => {})); // never settles, ignores the signal
    const controller = new AbortController();
    const pending = t.call(makeRequest(), callContext(controller.signal));
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
  });

  it('reports CANCELLED, not AGENT_ERROR, when the function rejects because of the abort', async () => {
    const t = new InprocTransport(
      (_r, s) =>
        new Promise((_resolve, reject) =>
          s.addEventListener('abort', () => reject(new Error('aborted inside'))),
        ),
    );
    const controller = new AbortController();
    const pending = t.call(makeRequest(), callContext(controller.signal));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('does not call the function when the signal is already aborted', async () => {
    const fn = vi.fn(() => 1);
    const t = new InprocTransport(fn);
    await expect(t.call(makeRequest(), callContext(AbortSignal.abort()))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('refuses calls after close with AGENT_UNAVAILABLE', async () => {
    const fn = vi.fn(() => 1);
    const t = new InprocTransport(fn);
    await t.close();
    await expect(t.call(makeRequest(), callContext(signal()))).rejects.toMatchObject({
      code: 'AGENT_UNAVAILABLE',
    });
    expect(fn).not.toHaveBeenCalled();
  });
});
