import { describe, expect, it } from 'vitest';
import {
  correlationAnalysisSchema,
  enrichedSignalSchema,
  momentumAnalysisSchema,
  riskAnalysisSchema,
  type NormalizedSignal,
} from '../../../src/coordination/index.ts';
import { ValidationError } from '../../../src/core/index.ts';
import {
  analyzeMomentum,
  assessCorrelation,
  assessRisk,
  estimateCosts,
  optimizeExecution,
  toEnrichedSignal,
} from '../../../src/trading/agents/index.ts';
import { makeBars } from './bars.ts';

const source: NormalizedSignal = {
  corr_id: 'req_abc123',
  instrument: 'AAA',
  timestamp: '2024-01-02T00:00:00.000Z',
  source: 'backtest',
  payload: { close: 101.5 },
};

describe('toEnrichedSignal', () => {
  const bars = makeBars({ seed: 31, driftPerBar: 0.003 });
  const at = bars.at(-1)!.timestamp;
  const analyses = {
    momentum: [analyzeMomentum(bars), momentumAnalysisSchema],
    risk: [assessRisk(bars, { equity: 1e5, peakEquity: 1e5 }), riskAnalysisSchema],
    correlation: [
      assessCorrelation('AAA', { AAA: bars, BBB: makeBars({ seed: 32 }) }, [
        { symbol: 'BBB', valueMoney: 1 },
      ]),
      correlationAnalysisSchema,
    ],
  } as const;

  it.each(Object.entries(analyses))(
    'wraps the %s analysis in the coordinator shape',
    (agent, [analysis, schema]) => {
      const signal = toEnrichedSignal(agent, '1.0.0', analysis, source, at);
      expect(enrichedSignalSchema.safeParse(signal).success).toBe(true);
      expect(schema.safeParse(signal.analysis).success).toBe(true);
      expect(signal).toMatchObject({ corr_id: 'req_abc123', agent_name: agent, agent_version: '1.0.0' });
      expect(signal.enriched_at).toBe(new Date(at).toISOString());
      expect(signal.source_signal).toEqual(source);
      expect(JSON.parse(JSON.stringify(signal))).toEqual(signal);
    },
  );

  it('cost analyses are plain JSON objects the enriched schema accepts', () => {
    const order = { side: 'buy', quantity: 500 } as const;
    for (const analysis of [estimateCosts(order, bars), optimizeExecution(order, bars)]) {
      const signal = toEnrichedSignal('transaction_cost', '1.0.0', { ...analysis }, source, new Date(at));
      expect(enrichedSignalSchema.safeParse(signal).success).toBe(true);
    }
  });

  it('names the bad field', () => {
    const momentum = analyzeMomentum(bars);
    expect(() => toEnrichedSignal('', '1.0.0', momentum, source, at)).toThrow(/^agent_name:/);
    expect(() => toEnrichedSignal('momentum', '1.0.0', momentum, source, 'yesterday')).toThrow(
      /^enriched_at:/,
    );
    expect(() => toEnrichedSignal('momentum', '1.0.0', momentum, source, Number.NaN)).toThrow(
      ValidationError,
    );
    expect(() => toEnrichedSignal('momentum', '1', momentum, { ...source, corr_id: '' }, at)).toThrow(
      /^corr_id:/,
    );
  });
});
