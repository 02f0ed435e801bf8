import { describe, expect, it } from 'vitest';
import { AgentRegistry, InprocTransport } from '../../src/agents/index.ts';
import type { AgentRegistryOptions, AgentStatusChange } from '../../src/agents/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { fakeTransport } from './helpers.ts';

const SECOND = 1_000;

function setup(overrides: Partial<AgentRegistryOptions> = {}): {
  clock: ManualClock;
  registry: AgentRegistry;
} {
  const clock = new ManualClock();
  const registry = new AgentRegistry({
    clock,
    heartbeatIntervalMs: 15 * SECOND,
    timeoutThresholdMs: 300 * SECOND,
    errorThreshold: 3,
    errorWindowMs: 60 * SECOND,
    ...overrides,
  });
  return { clock, registry };
}

function inproc(): InprocTransport {
  return new InprocTransport(() => ({ ok: true }));
}

function catchError(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConclaveError) return err;
    throw err;
  }
  throw new Error('expected a ConclaveError, nothing was thrown');
}

function statusLog(registry: AgentRegistry): AgentStatusChange[] {
  const log: AgentStatusChange[] = [];
  registry.on('status', (change) => log.push(change));
  return log;
}

describe('AgentRegistry: registration', () => {
  it('registers an agent with defaults filled in, running', () => {
    const { registry, clock } = setup();
    const info = registry.register({
      name: 'risk_agent',
      capabilities: ['risk.assess'],
      transport: inproc(),
    });
    expect(info).toMatchObject({
      name: 'risk_agent',
      capabilities: ['risk.assess'],
      dependencies: [],
      weight: 1,
      maxConnections: 100,
      version: null,
      heartbeat: 'auto',
      status: 'running',
      statusReason: null,
      registeredAt: clock.now(),
      lastHeartbeatAt: null,
    });
    expect(registry.get('risk_agent')).toBe(info);
    expect(registry.isAvailable('risk_agent')).toBe(true);
  });

  it('defaults heartbeat to required for non in-process transports', () => {
    const { registry } = setup();
    const info = registry.register({ name: 'remote', capabilities: ['x'], transport: fakeTransport('http') });
    expect(info.heartbeat).toBe('required');
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'has space' }, 'name'],
    [{ name: 'slash/name' }, 'name'],
    [{ capabilities: [] }, 'capabilities'],
    [{ capabilities: ['ok', ''] }, 'capabilities'],
    [{ weight: 0 }, 'weight'],
    [{ weight: -1 }, 'weight'],
    [{ weight: Number.NaN }, 'weight'],
    [{ maxConnections: 0 }, 'maxConnections'],
    [{ maxConnections: 2.5 }, 'maxConnections'],
  ])('rejects %o naming the field %s', (override, field) => {
    const { registry } = setup();
    const err = catchError(() =>
      registry.register({ name: 'agent', capabilities: ['c'], transport: inproc(), ...override }),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details['field']).toBe(field);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
    expect(registry.list()).toHaveLength(0);
  });

  it('accepts the full name alphabet, case-insensitively', () => {
    const { registry } = setup();
    expect(
      registry.register({ name: 'Risk_Agent.v2-A', capabilities: ['c'], transport: inproc() }).name,
    ).toBe('Risk_Agent.v2-A');
  });

  it('rejects a duplicate name with DUPLICATE_AGENT naming it, also when only the case differs', () => {
    const { registry } = setup();
    registry.register({ name: 'risk', capabilities: ['a'], transport: inproc() });
    const exact = catchError(() =>
      registry.register({ name: 'risk', capabilities: ['b'], transport: inproc() }),
    );
    expect(exact.code).toBe('DUPLICATE_AGENT');
    expect(exact.message).toContain("'risk'");
    const cased = catchError(() =>
      registry.register({ name: 'RISK', capabilities: ['b'], transport: inproc() }),
    );
    expect(cased.code).toBe('DUPLICATE_AGENT');
    expect(registry.byCapability('b')).toHaveLength(0);
  });

  it('rejects an unregistered dependency, naming it, and accepts it once registered first', () => {
    const { registry } = setup();
    const err = catchError(() =>
      registry.register({
        name: 'execution',
        capabilities: ['order.execute'],
        dependencies: ['risk', 'market_data'],
        transport: inproc(),
      }),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details['field']).toBe('dependencies');
    expect(err.details['missing']).toEqual(['risk', 'market_data']);
    expect(err.message).toContain("'market_data'");
    expect(err.message).toContain('register dependencies first');

    registry.register({ name: 'risk', capabilities: ['risk.assess'], transport: inproc() });
    registry.register({ name: 'market_data', capabilities: ['data.fetch'], transport: inproc() });
    const ok = registry.register({
      name: 'execution',
      capabilities: ['order.execute'],
      dependencies: ['risk', 'market_data'],
      transport: inproc(),
    });
    expect(ok.dependencies).toEqual(['risk', 'market_data']);
  });

  it('refuses to register after close', async () => {
    const { registry } = setup();
    await registry.close();
    expect(
      catchError(() => registry.register({ name: 'a', capabilities: ['c'], transport: inproc() })).code,
    ).toBe('SHUTTING_DOWN');
  });
});

describe('AgentRegistry: capability index', () => {
  it('finds agents by capability, lists capabilities sorted, and forgets unregistered agents', async () => {
    const { registry } = setup();
    const a = registry.register({
      name: 'mom1',
      capabilities: ['momentum.analyze', 'alpha'],
      transport: inproc(),
    });
    const b = registry.register({ name: 'mom2', capabilities: ['momentum.analyze'], transport: inproc() });
    expect(registry.byCapability('momentum.analyze')).toEqual([a, b]);
    expect(registry.byCapability('alpha')).toEqual([a]);
    expect(registry.byCapability('nobody.serves')).toEqual([]);
    expect(registry.capabilities()).toEqual(['alpha', 'momentum.analyze']);

    const held = registry.byCapability('momentum.analyze');
    await registry.unregister('mom1');
    expect(registry.byCapability('momentum.analyze')).toEqual([b]);
    expect(registry.byCapability('alpha')).toEqual([]);
    expect(registry.capabilities()).toEqual(['momentum.analyze']);
    expect(held).toEqual([a, b]); // a caller iterating an older list is not disturbed
  });

  it('returns the same array on repeated lookups (no per-call allocation)', () => {
    const { registry } = setup();
    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    expect(registry.byCapability('c')).toBe(registry.byCapability('c'));
  });

  it('deduplicates repeated capabilities', () => {
    const { registry } = setup();
    registry.register({ name: 'a', capabilities: ['c', 'c'], transport: inproc() });
    expect(registry.byCapability('c')).toHaveLength(1);
  });
});

describe('AgentRegistry: unregister and close', () => {
  it('closes the transport, emits unregistered, and refuses unknown names', async () => {
    const { registry } = setup();
    const transport = fakeTransport();
    registry.register({ name: 'a', capabilities: ['c'], transport });
    const seen: string[] = [];
    registry.on('unregistered', (e) => seen.push(e.name));
    await registry.unregister('a');
    expect(transport.close).toHaveBeenCalledTimes(1);
    expect(seen).toEqual(['a']);
    expect(registry.get('a')).toBeUndefined();
    expect(registry.isAvailable('a')).toBe(false);
    await expect(registry.unregister('a')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
  });

  it('refuses to unregister an agent others depend on', async () => {
    const { registry } = setup();
    registry.register({ name: 'data', capabilities: ['d'], transport: inproc() });
    registry.register({ name: 'risk', capabilities: ['r'], dependencies: ['data'], transport: inproc() });
    await expect(registry.unregister('data')).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { dependents: ['risk'] },
    });
    expect(registry.get('data')).toBeDefined();
  });

  it('close stops the monitor and closes every transport, dependents first', async () => {
    const { registry, clock } = setup();
    const order: string[] = [];
    for (const [name, deps] of [
      ['data', []],
      ['risk', ['data']],
      ['exec', ['risk']],
    ] as const) {
      const t = fakeTransport();
      t.close.mockImplementation(async () => void order.push(name));
      registry.register({ name, capabilities: ['c'], dependencies: deps, transport: t });
    }
    registry.start();
    expect(clock.pendingTimers).toBe(1);
    await registry.close();
    expect(clock.pendingTimers).toBe(0);
    expect(order).toEqual(['exec', 'risk', 'data']);
    expect(registry.statusCounts().total).toBe(0);
  });
});

describe('AgentRegistry: heartbeats', () => {
  it('takes a silent required agent offline after the threshold and brings it back on heartbeat', async () => {
    const { registry, clock } = setup();
    registry.register({
      name: 'remote',
      capabilities: ['c'],
      transport: fakeTransport(),
      heartbeat: 'required',
    });
    registry.register({ name: 'local', capabilities: ['c'], transport: inproc() });
    const log = statusLog(registry);
    registry.start();

    await clock.advance(300 * SECOND); // exactly the threshold: not yet late
    expect(registry.get('remote')?.status).toBe('running');
    await clock.advance(15 * SECOND); // next check: 315 s of silence
    expect(registry.get('remote')?.status).toBe('offline');
    expect(registry.get('remote')?.statusReason).toContain('no heartbeat for 315000ms');
    expect(registry.isAvailable('remote')).toBe(false);
    expect(registry.get('local')?.status).toBe('running'); // auto agents never go offline
    expect(log).toEqual([
      expect.objectContaining({ name: 'remote', from: 'running', to: 'offline', at: clock.now() }),
    ]);

    registry.heartbeat('remote');
    expect(registry.get('remote')?.status).toBe('running');
    expect(registry.get('remote')?.lastHeartbeatAt).toBe(clock.now());
    expect(registry.isAvailable('remote')).toBe(true);
    expect(log.map((c) => `${c.from}->${c.to}`)).toEqual(['running->offline', 'offline->running']);
  });

  it('keeps a required agent running while it heartbeats within the threshold', async () => {
    const { registry, clock } = setup();
    registry.register({
      name: 'remote',
      capabilities: ['c'],
      transport: fakeTransport(),
      heartbeat: 'required',
    });
    registry.start();
    for (let i = 0; i < 10; i++) {
      await clock.advance(200 * SECOND);
      registry.heartbeat('remote');
    }
    expect(registry.get('remote')?.status).toBe('running');
  });

  it('does not check before start()', async () => {
    const { registry, clock } = setup();
    registry.register({
      name: 'remote',
      capabilities: ['c'],
      transport: fakeTransport(),
      heartbeat: 'required',
    });
    await clock.advance(3_600 * SECOND);
    expect(registry.get('remote')?.status).toBe('running');
  });

  it('brings an offline agent with recent failures back as error, not running', async () => {
    const { registry, clock } = setup({ timeoutThresholdMs: 20 * SECOND, heartbeatIntervalMs: 5 * SECOND });
    registry.register({
      name: 'remote',
      capabilities: ['c'],
      transport: fakeTransport(),
      heartbeat: 'required',
    });
    registry.start();
    await clock.advance(25 * SECOND);
    expect(registry.get('remote')?.status).toBe('offline');
    registry.recordFailure('remote', new Error('boom'));
    expect(registry.get('remote')?.status).toBe('offline');
    registry.heartbeat('remote');
    expect(registry.get('remote')?.status).toBe('error');
  });

  it('rejects a heartbeat from an unknown agent', () => {
    const { registry } = setup();
    expect(catchError(() => registry.heartbeat('ghost')).code).toBe('AGENT_NOT_FOUND');
  });
});

describe('AgentRegistry: call outcomes', () => {
  it('goes error on a failure, disabled at the threshold, and stays disabled until enable', async () => {
    const { registry, clock } = setup();
    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    const log = statusLog(registry);

    registry.recordFailure('a', new Error('timeout talking to broker'));
    expect(registry.get('a')?.status).toBe('error');
    expect(registry.get('a')?.statusReason).toContain('timeout talking to broker');
    expect(registry.isAvailable('a')).toBe(true);

    await clock.advance(SECOND);
    registry.recordFailure('a', 'second');
    expect(registry.get('a')?.status).toBe('error');
    expect(registry.get('a')?.statusReason).toContain('second');

    registry.recordFailure('a', new Error('third'));
    expect(registry.get('a')?.status).toBe('disabled');
    expect(registry.get('a')?.statusReason).toContain('error threshold (3)');
    expect(registry.isAvailable('a')).toBe(false);

    await clock.advance(120 * SECOND);
    registry.recordSuccess('a', 5);
    expect(registry.get('a')?.status).toBe('disabled');

    registry.enable('a');
    expect(registry.get('a')?.status).toBe('running');
    expect(registry.isAvailable('a')).toBe(true);
    registry.recordFailure('a', new Error('again')); // enable cleared the window: 1 of 3
    expect(registry.get('a')?.status).toBe('error');

    expect(log.map((c) => `${c.from}->${c.to}`)).toEqual([
      'running->error',
      'error->disabled',
      'disabled->running',
      'running->error',
    ]);
  });

  it('does not disable when failures are spread wider than the window', async () => {
    const { registry, clock } = setup();
    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    registry.recordFailure('a', new Error('1'));
    await clock.advance(30 * SECOND);
    registry.recordFailure('a', new Error('2'));
    await clock.advance(31 * SECOND); // the first failure has left the 60 s window
    registry.recordFailure('a', new Error('3'));
    expect(registry.get('a')?.status).toBe('error');
    await clock.advance(1 * SECOND);
    registry.recordFailure('a', new Error('4')); // 2, 3, 4 inside the window
    expect(registry.get('a')?.status).toBe('disabled');
  });

  it('returns to running on a success only after the window drains', async () => {
    const { registry, clock } = setup();
    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    registry.recordFailure('a', new Error('x'));
    registry.recordSuccess('a', 10);
    expect(registry.get('a')?.status).toBe('error');
    await clock.advance(59 * SECOND);
    registry.recordSuccess('a', 10);
    expect(registry.get('a')?.status).toBe('error');
    await clock.advance(1 * SECOND);
    expect(registry.get('a')?.status).toBe('error'); // no success yet
    registry.recordSuccess('a', 10);
    expect(registry.get('a')?.status).toBe('running');
    expect(registry.get('a')?.statusReason).toBeNull();
  });

  it('counts calls, failures and mean latency of successes', () => {
    const { registry } = setup();
    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    registry.recordSuccess('a', 10);
    registry.recordSuccess('a', 30);
    registry.recordFailure('a', new Error('x'));
    expect(registry.get('a')).toMatchObject({ calls: 3, failures: 1, avgLatencyMs: 20 });
  });

  it('ignores outcomes for agents that are not registered', () => {
    const { registry } = setup();
    expect(() => registry.recordSuccess('ghost', 1)).not.toThrow();
    expect(() => registry.recordFailure('ghost', new Error('x'))).not.toThrow();
    expect(registry.isAvailable('ghost')).toBe(false);
  });

  it('lets an operator disable and enable, with the reason kept', () => {
    const { registry } = setup();
    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    const log = statusLog(registry);
    registry.disable('a', 'maintenance window');
    expect(registry.get('a')).toMatchObject({ status: 'disabled', statusReason: 'maintenance window' });
    registry.disable('a', 'still maintaining');
    expect(registry.get('a')?.statusReason).toBe('still maintaining');
    registry.enable('a');
    expect(registry.get('a')).toMatchObject({ status: 'running', statusReason: null });
    expect(log).toEqual([
      expect.objectContaining({ from: 'running', to: 'disabled', reason: 'maintenance window' }),
      expect.objectContaining({ from: 'disabled', to: 'running', reason: null }),
    ]);
    expect(catchError(() => registry.disable('ghost', 'x')).code).toBe('AGENT_NOT_FOUND');
    expect(catchError(() => registry.enable('ghost')).code).toBe('AGENT_NOT_FOUND');
  });

  it('enables a long-silent required agent as offline', async () => {
    const { registry, clock } = setup();
    registry.register({ name: 'r', capabilities: ['c'], transport: fakeTransport(), heartbeat: 'required' });
    registry.disable('r', 'ops');
    await clock.advance(400 * SECOND);
    registry.enable('r');
    expect(registry.get('r')?.status).toBe('offline');
  });
});

describe('AgentRegistry: reporting', () => {
  it('counts agents per status', async () => {
    const { registry, clock } = setup();
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      registry.register({
        name,
        capabilities: ['x'],
        transport: name === 'e' ? fakeTransport() : inproc(),
        heartbeat: name === 'e' ? 'required' : 'auto',
      });
    }
    registry.recordFailure('b', new Error('x'));
    registry.disable('c', 'ops');
    registry.start();
    await clock.advance(400 * SECOND);
    expect(registry.statusCounts()).toEqual({ running: 2, error: 1, offline: 1, disabled: 1, total: 5 });
    await registry.unregister('b');
    expect(registry.statusCounts()).toEqual({ running: 2, error: 0, offline: 1, disabled: 1, total: 4 });
  });

  it('snapshots JSON-safe copies', () => {
    const { registry, clock } = setup();
    registry.register({
      name: 'risk',
      capabilities: ['risk.assess'],
      transport: inproc(),
      weight: 2,
      maxConnections: 8,
      version: '1.2.0',
      metadata: { team: 'quant' },
    });
    registry.recordSuccess('risk', 4);
    registry.recordFailure('risk', new Error('x'));
    const [snap] = registry.snapshot();
    expect(snap).toEqual({
      name: 'risk',
      capabilities: ['risk.assess'],
      dependencies: [],
      status: 'error',
      statusReason: 'last failure: x',
      heartbeat: 'auto',
      lastHeartbeatAt: null,
      registeredAt: clock.now(),
      calls: 2,
      failures: 1,
      recentFailures: 1,
      avgLatencyMs: 4,
      weight: 2,
      maxConnections: 8,
      version: '1.2.0',
      transport: 'inproc',
      metadata: { team: 'quant' },
    });
    expect(JSON.parse(JSON.stringify(registry.snapshot()))).toEqual(registry.snapshot());
  });

  it('emits registered, status and unregistered events in order, and stops after unsubscribe', async () => {
    const { registry } = setup();
    const events: string[] = [];
    registry.on('registered', (a) => events.push(`registered:${a.name}:${a.status}`));
    const off = registry.on('status', (c) => events.push(`status:${c.name}:${c.from}->${c.to}`));
    registry.on('unregistered', (e) => events.push(`unregistered:${e.name}`));

    registry.register({ name: 'a', capabilities: ['c'], transport: inproc() });
    registry.recordFailure('a', new Error('x'));
    registry.disable('a', 'ops');
    off();
    registry.enable('a');
    await registry.unregister('a');
    expect(events).toEqual([
      'registered:a:running',
      'status:a:running->error',
      'status:a:error->disabled',
      'unregistered:a',
    ]);
  });

  it('validates its own options, naming the field', () => {
    expect(
      catchError(
        () =>
          new AgentRegistry({
            heartbeatIntervalMs: 0,
            timeoutThresholdMs: 1,
            errorThreshold: 1,
            errorWindowMs: 1,
          }),
      ).details['field'],
    ).toBe('heartbeatIntervalMs');
    expect(
      catchError(
        () =>
          new AgentRegistry({
            heartbeatIntervalMs: 1,
            timeoutThresholdMs: 1,
            errorThreshold: 1.5,
            errorWindowMs: 1,
          }),
      ).details['field'],
    ).toBe('errorThreshold');
  });
});
