import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { BacktestRecord } from '../../store/index.ts';
import { parseStrategy, type TradingStrategy } from '../../trading/planner/index.ts';
import {
  errorResponses,
  idSchema,
  isoTimeOrNull,
  isoTime,
  isoTimeSchema,
  jsonObjectSchema,
} from '../api-schemas.ts';
import { backtestBodySchema, planBacktest, type BacktestBody } from '../backtest-plan.ts';
import type { BacktestRunner } from '../backtest-runner.ts';
import type { ConclaveServer } from '../server-types.ts';
import { renamed, strategyFromBody } from '../strategy-input.ts';

const INCLUDE = 'must be a comma-separated list of: equity, trades';

const backtestViewSchema = z.object({
  backtest_id: z.string(),
  strategy_id: z.string().nullable(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  progress: z.number().nullable().describe('0–1; null when unknown (a run of another process)'),
  request: jsonObjectSchema.describe('what was asked for, with the strategy as validated'),
  summary: jsonObjectSchema.nullable().describe('metrics, buy-and-hold benchmark, counters'),
  manifest: jsonObjectSchema.nullable().describe('data and config hashes, to reproduce the run'),
  error: z.object({ code: z.string(), message: z.string() }).loose().nullable(),
  created_at: isoTimeSchema,
  started_at: isoTimeSchema.nullable(),
  finished_at: isoTimeSchema.nullable(),
  links: z.object({ equity: z.string(), trades: z.string() }).nullable(),
  equity: z.array(jsonObjectSchema).optional(),
  benchmark_equity: z.array(jsonObjectSchema).optional(),
  trades: z.array(jsonObjectSchema).optional(),
});

type BacktestView = z.infer<typeof backtestViewSchema>;

/** The strategy a request names or carries, validated; fields named as in the body. */
async function resolveStrategy(conclave: Conclave, body: BacktestBody): Promise<TradingStrategy> {
  if ((body.strategy_id === undefined) === (body.strategy === undefined)) {
    throw new ValidationError(
      'strategy_id',
      'give exactly one of strategy_id (a stored strategy) or strategy',
    );
  }
  if (body.strategy_id !== undefined) {
    const stored = await conclave.store.strategies.get(body.strategy_id);
    if (stored === undefined) {
      throw new ConclaveError('NOT_FOUND', `no strategy '${body.strategy_id}'`, {
        details: { strategy_id: body.strategy_id },
      });
    }
    return parseStrategy(stored.definition);
  }
  try {
    return strategyFromBody(body.strategy ?? { name: '', symbols: [] }).strategy;
  } catch (err) {
    if (err instanceof ValidationError) throw renamed(err, `strategy.${err.field}`);
    throw err;
  }
}

function toView(record: BacktestRecord, progress: number | undefined): BacktestView {
  const done = record.status === 'completed';
  const base = `/backtest/${encodeURIComponent(record.id)}`;
  return {
    backtest_id: record.id,
    strategy_id: record.strategyId,
    status: record.status,
    progress: progress ?? (done ? 1 : record.status === 'queued' ? 0 : null),
    request: record.options,
    summary: record.summary,
    manifest: record.manifest,
    error: record.error === null ? null : { ...record.error },
    created_at: isoTime(record.createdAt),
    started_at: isoTimeOrNull(record.startedAt),
    finished_at: isoTimeOrNull(record.finishedAt),
    links: done ? { equity: `${base}?include=equity`, trades: `${base}?include=trades` } : null,
  };
}

/**
 * The FinAgent backtest API: POST /backtest starts a sandbox run on the bundled real data (202 with
 * its id; 503 QUEUE_FULL when the runner is full), GET /backtest/{id} reports its status, progress,
 * summary and manifest, and with `?include=equity,trades` the equity curve and fills.
 */
export function backtestRoutes(app: ConclaveServer, conclave: Conclave, runner: BacktestRunner): void {
  app.post(
    '/backtest',
    {
      schema: {
        summary: 'Start a backtest of a stored or inline strategy on the bundled market data',
        tags: ['backtests'],
        body: backtestBodySchema,
        response: {
          202: z.object({
            backtest_id: z.string(),
            status: z.literal('queued'),
            links: z.object({ self: z.string() }),
          }),
          ...errorResponses(400, 404, 413, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const strategy = await resolveStrategy(conclave, body);
      const id = newId('bt');
      const plan = planBacktest(strategy, body, id);
      const recorded = {
        strategy_id: body.strategy_id ?? null,
        strategy: { ...strategy },
        from: body.from ?? null,
        to: body.to ?? null,
        initial_cash: body.initial_cash ?? null,
        policy: plan.compiled.policy, // the body's, else the strategy's parameters.backtest.policy
        symbols: plan.symbols,
        interval: plan.interval,
      };
      await runner.submit({ id, strategyId: body.strategy_id ?? null, request: recorded, plan });
      return reply
        .code(202)
        .send({ backtest_id: id, status: 'queued' as const, links: { self: `/backtest/${id}` } });
    },
  );

  app.get(
    '/backtest/:id',
    {
      schema: {
        summary: 'A backtest: status, progress, summary metrics, manifest; equity and trades on request',
        tags: ['backtests'],
        params: z.strictObject({ id: idSchema }),
        querystring: z.strictObject({
          include: z
            .string()
            .regex(/^(equity|trades)(,(equity|trades))*$/, INCLUDE)
            .optional()
            .describe('equity, trades or both (comma-separated); served once the run has completed'),
        }),
        response: { 200: backtestViewSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const record = await conclave.store.backtests.get(id);
      if (record === undefined) {
        throw new ConclaveError('NOT_FOUND', `no backtest '${id}'`, { details: { backtest_id: id } });
      }
      const view = toView(record, runner.progress(id));
      const include = new Set(request.query.include?.split(',') ?? []);
      if (include.size === 0 || record.status !== 'completed') return view;
      const artifacts = (await conclave.store.backtests.getArtifacts(id)) ?? {};
      const list = (key: string) => (artifacts[key] ?? []) as Record<string, unknown>[];
      return {
        ...view,
        ...(include.has('equity')
          ? { equity: list('equity'), benchmark_equity: list('benchmark_equity') }
          : {}),
        ...(include.has('trades') ? { trades: list('trades') } : {}),
      };
    },
  );
}
