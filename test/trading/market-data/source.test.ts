import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.ts';
import { resolveBarRequest } from '../../../src/trading/market-data/index.ts';
import type { BarRequest } from '../../../src/trading/market-data/index.ts';

function fieldOf(request: unknown): string | undefined {
  try {
    resolveBarRequest(request as BarRequest);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).field;
  }
}

describe('resolveBarRequest', () => {
  it('resolves ISO dates (a date-only `to` covers its whole day) and epoch ms', () => {
    expect(
      resolveBarRequest({ symbol: ' AAPL ', interval: '1d', from: '2024-01-02', to: '2024-01-03' }),
    ).toEqual({
      symbol: 'AAPL',
      interval: '1d',
      fromMs: Date.UTC(2024, 0, 2),
      toMs: Date.UTC(2024, 0, 4) - 1,
    });
    expect(
      resolveBarRequest({ symbol: 'X', interval: '1h', from: 5, to: '2024-01-03T10:00:00Z' }),
    ).toMatchObject({
      fromMs: 5,
      toMs: Date.UTC(2024, 0, 3, 10),
    });
  });

  it('names the bad field', () => {
    expect(fieldOf({ symbol: '', interval: '1d' })).toBe('request.symbol');
    expect(fieldOf({ symbol: 'A', interval: '2d' })).toBe('request.interval');
    expect(fieldOf({ symbol: 'A', interval: '1d', from: 'yesterday' })).toBe('request.from');
    expect(fieldOf({ symbol: 'A', interval: '1d', to: 1.5 })).toBe('request.to');
    expect(fieldOf({ symbol: 'A', interval: '1d', from: '2024-02-01', to: '2024-01-01' })).toBe(
      'request.from',
    );
  });
});
