import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { ConclaveError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'conclave-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function configError(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConclaveError);
    expect((err as ConclaveError).code).toBe('CONFIG_INVALID');
    return err as ConclaveError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig', () => {
  it('gives complete defaults with no file', () => {
    const c = loadConfig({ env: {} });
    expect(c.server.port).toBe(8000);
    expect(c.store).toMatchObject({ driver: 'sqlite', sqlite_path: './data/conclave.db' });
    expect(c.dispatcher.error_recovery).toMatchObject({
      max_retries: 3,
      retry_delay_seconds: 1,
      backoff_multiplier: 2,
    });
    expect(c.dispatcher.default_priority).toBe(3);
  });

  it('names the instance <hostname>:<port> by default, the port as configured, unless set', () => {
    expect(loadConfig({ env: {} }).server.instance_id).toBe(`${hostname()}:8000`);
    expect(loadConfig({ env: { CONCLAVE_PORT: '8100' } }).server.instance_id).toBe(`${hostname()}:8100`);
    const yaml = file('instance.yaml', 'server: { port: 9000, instance_id: orch-east-1 }\n');
    expect(loadConfig({ path: yaml, env: {} }).server.instance_id).toBe('orch-east-1');
    const fromEnv = loadConfig({ path: yaml, env: { CONCLAVE_SERVER__INSTANCE_ID: 'orch-west-2:8000' } });
    expect(fromEnv.server).toMatchObject({ port: 9000, instance_id: 'orch-west-2:8000' });
    // An all-digit id reads from the environment as a number; it is kept as text.
    expect(loadConfig({ env: { CONCLAVE_SERVER__INSTANCE_ID: '7' } }).server.instance_id).toBe('7');
    const bad = configError(() => loadConfig({ env: {}, overrides: { server: { instance_id: 'orch a' } } }));
    expect(bad.message).toContain('server.instance_id: 1–200 characters, no spaces (got "orch a")');
    configError(() => loadConfig({ env: {}, overrides: { server: { instance_id: '' } } }));
  });

  it('ships an example file that loads, and the 18-pattern routing example', () => {
    expect(loadConfig({ path: 'conclave.example.yaml', env: {} }).dispatcher.max_queue_size).toBe(10_000);
    const lyw = loadConfig({ path: 'examples/learn-your-way-routing.yaml', env: {} });
    expect(lyw.routing_rules).toHaveLength(18);
    expect(lyw.routing_rules[0]).toMatchObject({
      pattern: 'upload_pdf',
      target_agent: 'content_ingestion_agent',
      timeout: 300,
      priority: 2,
    });
  });

  it('layers file, profile, environment and overrides in that order', () => {
    const p = file(
      'layers.yaml',
      'server: { port: 9000 }\ndispatcher: { max_queue_size: 50 }\nprofiles:\n  prod:\n    dispatcher: { max_queue_size: 500, max_in_flight: 64 }\n',
    );
    const c = loadConfig({
      path: p,
      profile: 'prod',
      env: {
        CONCLAVE_PORT: '8100',
        CONCLAVE_DISPATCHER__ERROR_RECOVERY__MAX_RETRIES: '5',
        CONCLAVE_LOG_LEVEL: 'warn',
      },
    });
    expect(c.profile).toBe('prod');
    expect(c.server.port).toBe(8100);
    expect(c.dispatcher.max_queue_size).toBe(500);
    expect(c.dispatcher.max_in_flight).toBe(64);
    expect(c.dispatcher.error_recovery.max_retries).toBe(5);
    expect(c.log.level).toBe('warn');
  });

  it('names the key, the bad value and what is allowed', () => {
    const bad = file(
      'bad.yaml',
      'dispatcher:\n  max_queue_size: -5\n  load_balancing: { strategy: random }\n',
    );
    const e = configError(() => loadConfig({ path: bad, env: {} }));
    expect(e.message).toContain('dispatcher.max_queue_size');
    expect(e.message).toContain('-5');
    expect(e.message).toContain('dispatcher.load_balancing.strategy');
    expect(e.message).toMatch(/round_robin.*least_connections.*weighted/);
    const typo = file('typo.yaml', 'dispatcher:\n  max_queu_size: 5\n');
    expect(configError(() => loadConfig({ path: typo, env: {} })).message).toContain("'max_queu_size'");
    expect(configError(() => loadConfig({ env: { CONCLAVE_PORT: 'eighty' } })).message).toContain(
      'server.port',
    );
    expect(configError(() => loadConfig({ path: join(dir, 'missing.yaml'), env: {} })).message).toContain(
      'does not exist',
    );
    expect(configError(() => loadConfig({ path: file('y.yaml', 'a: [1,\n'), env: {} })).message).toContain(
      'not valid YAML',
    );
    expect(configError(() => loadConfig({ env: {}, profile: 'nope' })).message).toContain(
      "unknown profile 'nope'",
    );
    const rule = file('rule.yaml', 'routing_rules:\n  - pattern: x\n    timeout: 3\n');
    expect(configError(() => loadConfig({ path: rule, env: {} })).message).toContain(
      'target_agent or capability',
    );
  });
});
