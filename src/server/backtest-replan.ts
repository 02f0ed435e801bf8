import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import { parseStrategy } from '../trading/planner/index.ts';
import { BACKTEST_POLICIES } from '../trading/sandbox/index.ts';
import { planBacktest, type BacktestPlan } from './backtest-plan.ts';

/**
 * The fields of a backtest record's `options` (the request as POST /backtest recorded it) that
 * planning reads: the strategy as validated (a copy, so a later edit or delete of a stored
 * strategy does not change the run), the body's window and cash (null when not given), the
 * policy, and the data the plan chose.
 */
const recordedRequestSchema = z.object({
  strategy: z.unknown(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  initial_cash: z.number().nullable(),
  policy: z.enum(BACKTEST_POLICIES),
  symbols: z.array(z.string()),
  interval: z.string(),
});

/**
 * Plans a recorded request again under its run id, for a backtest a previous process accepted but
 * did not finish.
 * @remarks Planning is a pure function of the record (the strategy copy, window, cash, policy and
 * run id) and the bundled data is fixed, so the run is the one that was accepted, down to the
 * manifest's config hash. The policy is recorded by name even when it was the default, which
 * compiles to the same options.
 * @throws ValidationError naming the field when the record cannot be planned (`request.policy`,
 * `strategy.parameters.risk`, …), or when it now plans onto other data than it was accepted for
 * (`request.symbols`): that run would not be the one accepted.
 */
export function replanBacktest(request: Readonly<Record<string, unknown>>, runId: string): BacktestPlan {
  const parsed = recordedRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['request', ...(issue?.path ?? []).map(String)].join('.');
    throw new ValidationError(field, `${issue?.message ?? 'is not valid'} (in the recorded request)`);
  }
  const recorded = parsed.data;
  const plan = planBacktest(
    parseStrategy(recorded.strategy),
    {
      ...(recorded.from === null ? {} : { from: recorded.from }),
      ...(recorded.to === null ? {} : { to: recorded.to }),
      ...(recorded.initial_cash === null ? {} : { initial_cash: recorded.initial_cash }),
      policy: recorded.policy,
    },
    runId,
  );
  if (plan.interval !== recorded.interval || plan.symbols.join(',') !== recorded.symbols.join(',')) {
    throw new ValidationError(
      'request.symbols',
      `now plans onto ${plan.symbols.join(', ')} (${plan.interval}), but was accepted for ` +
        `${recorded.symbols.join(', ')} (${recorded.interval})`,
    );
  }
  return plan;
}
