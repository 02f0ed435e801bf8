import type { InprocHandler } from '../../src/agents/index.ts';
import { createConclave, type Conclave } from '../../src/conclave.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { loadConfig } from '../../src/core/config.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { buildApp, type BuildAppOptions, type ConclaveServer } from '../../src/server/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { Logger } from '../../src/telemetry/index.ts';

/** A Conclave on an in-memory store and a manual clock, its API app, and two agents. */
export interface TestServer {
  conclave: Conclave;
  app: ConclaveServer;
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * Patterns the test config routes: one to a working agent, one to an agent that always fails, and
 * one to an agent that never answers (its calls stay in flight until shutdown aborts them).
 */
export const RULES = [
  { pattern: 'analyze_momentum', capability: 'momentum.analyze' },
  { pattern: 'assess_risk', target_agent: 'risk_agent', max_retries: 0 },
  { pattern: 'hold', target_agent: 'holder', max_retries: 0 },
];

/** The failing agent's error: retryable, so with the rule's `max_retries: 0` a task dead-letters at once. */
export const RISK_FAILURE = new ConclaveError('AGENT_ERROR', 'risk model unavailable');

/**
 * Builds the test server. `quant` serves `momentum.analyze` (echoes the symbol); `risk_agent`
 * always fails; `holder` (one connection) never answers. Extra agents via `agents`.
 */
export async function makeTestServer(
  options: {
    config?: Record<string, unknown>;
    agents?: { name: string; capabilities: string[]; handler: InprocHandler; maxConnections?: number }[];
    /** Options for buildApp; `env` defaults to an empty environment. */
    app?: BuildAppOptions;
    /** A SQLite file to keep the store in (to restart on it); default an in-memory store. */
    storePath?: string;
    /** The Conclave's logger (pass `app: { logger: true }` too for the server's lines); default silent. */
    logger?: Logger;
  } = {},
): Promise<TestServer> {
  const clock = new ManualClock(Date.UTC(2025, 10, 3, 10, 30));
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      routing_rules: RULES,
      dispatcher: { error_recovery: { jitter: 0 } },
      log: { level: 'silent' },
      ...options.config,
    },
  });
  const store = await openSqliteStore({ path: options.storePath ?? ':memory:' });
  const conclave = await createConclave(config, {
    store,
    clock,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  conclave.registerInprocAgent({
    name: 'quant',
    capabilities: ['momentum.analyze'],
    handler: (req) => ({ signal: 'buy', symbol: req.payload['symbol'] ?? null }),
  });
  conclave.registerInprocAgent({
    name: 'risk_agent',
    capabilities: ['risk.assess'],
    handler: () => {
      throw RISK_FAILURE;
    },
  });
  conclave.registerInprocAgent({
    name: 'holder',
    capabilities: ['hold'],
    maxConnections: 1,
    handler: (_req, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      ),
  });
  for (const agent of options.agents ?? []) conclave.registerInprocAgent(agent);
  await conclave.start();
  const app = buildApp(conclave, { env: {}, validateResponses: true, ...options.app });
  await app.ready();
  return {
    conclave,
    app,
    clock,
    close: async () => {
      await app.close();
      await conclave.close(0);
    },
  };
}

/** POSTs JSON through `inject` and returns status and parsed body. */
export async function postJson(
  app: ConclaveServer,
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() };
}

/** GETs through `inject` and returns status and parsed body. */
export async function getJson(
  app: ConclaveServer,
  url: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

/** Keys of each role for auth tests (16+ characters, as config requires). */
export const KEYS = {
  read: 'read-key-0123456789',
  operate: 'operate-key-0123456789',
  admin: 'admin-key-0123456789',
} as const;

/** The `server.api_keys` config holding {@link KEYS}. */
export const API_KEYS_CONFIG = [
  { name: 'viewer', role: 'read', key: KEYS.read },
  { name: 'trader', role: 'operate', key: KEYS.operate },
  { name: 'ops', role: 'admin', key: KEYS.admin },
];

/** Headers sending `key` as a bearer token. */
export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export { captureLogs } from '../support/logs.ts';
