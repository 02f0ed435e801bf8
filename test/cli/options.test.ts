import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { baseUrl, describeStore } from '../../src/cli/describe.ts';
import { describeFailure } from '../../src/cli/failure.ts';
import { parseHost, parsePort, serverOverrides } from '../../src/cli/options.ts';
import { ConclaveError } from '../../src/core/errors.ts';

describe('flag parsers', () => {
  it.each([
    ['0', 0],
    ['8000', 8000],
    [' 65535 ', 65535],
  ])('accepts port %j', (raw, port) => {
    expect(parsePort(raw)).toBe(port);
  });

  it.each(['abc', '70000', '-1', '80.5', '', '1e3'])('refuses port %j', (raw) => {
    expect(() => parsePort(raw)).toThrow(InvalidArgumentError);
  });

  it.each(['', ' ', 'http://x', 'a b', 'host/path'])('refuses host %j', (raw) => {
    expect(() => parseHost(raw)).toThrow(InvalidArgumentError);
  });

  it('turns flags into config overrides, leaving unset ones out', () => {
    expect(serverOverrides({})).toBeUndefined();
    expect(serverOverrides({ port: 0, host: '0.0.0.0' })).toEqual({ server: { port: 0, host: '0.0.0.0' } });
    expect(serverOverrides({ port: 9000 })).toEqual({ server: { port: 9000 } });
  });
});

describe('describe helpers', () => {
  it('shows wildcard binds as localhost and brackets IPv6', () => {
    expect(baseUrl({ address: '0.0.0.0', family: 'IPv4', port: 80 })).toBe('http://localhost:80');
    expect(baseUrl({ address: '::', family: 'IPv6', port: 81 })).toBe('http://localhost:81');
    expect(baseUrl({ address: '::1', family: 'IPv6', port: 82 })).toBe('http://[::1]:82');
  });

  it('redacts a PostgreSQL password', () => {
    const config = loadConfig({
      path: '/dev/null',
      env: {},
      overrides: { store: { driver: 'postgres', postgres_url: 'postgres://trader:hunter2@db:5432/prod' } },
    });
    expect(describeStore(config)).toBe('postgres at postgres://trader:***@db:5432/prod');
  });

  it('maps failures to exit statuses', () => {
    expect(describeFailure(new ConclaveError('CONFIG_INVALID', 'bad'), 'start')).toEqual({
      message: 'conclave: bad',
      exitCode: 2,
    });
    expect(describeFailure(new ConclaveError('STORE_ERROR', 'disk full'), 'start')).toEqual({
      message: 'conclave: start failed: disk full',
      exitCode: 1,
    });
  });
});
