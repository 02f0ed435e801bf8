import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from './spawn-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'conclave-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('conclave config validate', () => {
  it('exits 2 and names the bad key, without a stack', async () => {
    const bad = file('bad.yaml', 'server:\n  prot: 8000\ndispatcher:\n  max_queue_size: -1\n');
    const res = await runCliProcess(['config', 'validate', '--config', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("server: unknown key(s) 'prot'");
    expect(res.stderr).toContain('dispatcher.max_queue_size');
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout).not.toContain('configuration OK');
  });

  it('exits 2 for a missing file', async () => {
    const res = await runCliProcess(['config', 'validate', '--config', join(dir, 'absent.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('absent.yaml does not exist');
  });

  it('prints OK and a summary for a good file, with the profile applied', async () => {
    const good = file(
      'good.yaml',
      [
        'store:',
        '  sqlite_path: ./db/main.db',
        'routing_rules:',
        '  - { pattern: analyze_momentum, capability: momentum.analyze }',
        '  - { pattern: assess_risk, target_agent: risk_agent }',
        'profiles:',
        '  staging:',
        '    server: { port: 9100 }',
      ].join('\n'),
    );
    const res = await runCliProcess(['config', 'validate', '--config', good, '--profile', 'staging'], {
      cwd: dir,
      bin: true,
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^configuration OK\n/);
    expect(res.stdout).toContain(`store          sqlite at ${join(dir, 'db/main.db')}`);
    expect(res.stdout).toContain('routing rules  2');
    expect(res.stdout).toContain('profile        staging');
    expect(res.stdout).toContain('server         127.0.0.1:9100');
  });

  it('exits 2 for a pattern routed twice', async () => {
    const twice = file(
      'twice.yaml',
      'routing_rules:\n  - { pattern: p, capability: a }\n  - { pattern: p, capability: b }\n',
    );
    const res = await runCliProcess(['config', 'validate', '--config', twice]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("routing_rules: pattern 'p' is defined twice");
  });

  it('exits 2 for an unknown profile, listing the defined ones', async () => {
    const good = file('profiles.yaml', 'profiles:\n  prod: {}\n');
    const res = await runCliProcess(['config', 'validate', '--config', good, '--profile', 'qa']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unknown profile 'qa'; defined profiles: prod");
  });
});
