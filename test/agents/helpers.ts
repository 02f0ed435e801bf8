import { vi } from 'vitest';
import type { Mock } from 'vitest';
import type { AgentRequest, AgentTransport } from '../../src/agents/index.ts';

/** A request with every field set; override what a test cares about. */
export function makeRequest(overrides: Partial<AgentRequest> = {}): AgentRequest {
  return {
    taskId: 'task-1',
    pattern: 'assess_risk',
    capability: 'risk.assess',
    payload: { symbol: 'AAPL', qty: 100 },
    metadata: { source: 'test' },
    attempt: 1,
    idempotencyKey: 'idem-task-1',
    corrId: 'corr-1',
    headers: {},
    timeoutMs: 5_000,
    ...overrides,
  };
}

/** A transport whose close() is a mock. */
export type FakeTransport = Omit<AgentTransport, 'close'> & { close: Mock<() => Promise<void>> };

/** A transport that records close() calls and never needs a network. */
export function fakeTransport(kind: AgentTransport['kind'] = 'http'): FakeTransport {
  return {
    kind,
    call: vi.fn(async () => ({ ok: true })),
    close: vi.fn(async () => {}),
  };
}
