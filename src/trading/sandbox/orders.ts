/**
 * How a coordinator decision becomes a position change in a backtest.
 */
import type { Decision } from '../../coordination/index.ts';

/** Why a decision did or did not change the position. */
export type OrderIntent =
  'enter' | 'reverse' | 'resize' | 'hold' | 'exit_blocked' | 'exit_reversal' | 'exit_zero_size';

/** The signed change in units a decision asks for, and why. */
export interface PositionChange {
  readonly deltaUnits: number;
  readonly intent: OrderIntent;
}

/** The parts of the strategy the mapping reads. */
export interface ExecutionRules {
  readonly rebalanceBand: number;
  readonly exitOnTrendReversal: boolean;
  readonly allowShort: boolean;
}

/**
 * Maps a decision to a position change, given the units held and the momentum trend the decision
 * was made from.
 * @remarks The rules, in order:
 * - `trade` / `trade_with_caution`: the target is the decision's `size` (whole units) in its
 *   `direction` (short only when shorts are allowed, else flat). Flat or opposite → go to the
 *   target (`enter`, `reverse`); same side → `resize` only when the target differs from the
 *   holding by more than `rebalanceBand` × target, else `hold`. A zero size exits.
 * - `no_trade` (the risk agent blocked trading): exit whatever is held (`exit_blocked`).
 * - `monitor` / `insufficient_data`: keep the position, unless `exitOnTrendReversal` is on and the
 *   momentum trend now points against it (`exit_reversal`) — without that, a position opened on a
 *   confident trend would be held forever once confidence fades.
 */
export function positionChange(
  decision: Pick<Decision, 'action' | 'direction' | 'size'>,
  heldUnits: number,
  trend: string | undefined,
  rules: ExecutionRules,
): PositionChange {
  const held = Math.sign(heldUnits);
  if (decision.action === 'trade' || decision.action === 'trade_with_caution') {
    if (decision.direction === undefined) return { deltaUnits: 0, intent: 'hold' };
    const side = decision.direction === 'up' ? 1 : rules.allowShort ? -1 : 0;
    const target = side * Math.floor(decision.size ?? 0);
    if (target === 0) return heldUnits === 0 ? hold() : { deltaUnits: -heldUnits, intent: 'exit_zero_size' };
    if (held === 0) return { deltaUnits: target, intent: 'enter' };
    if (held !== Math.sign(target)) return { deltaUnits: target - heldUnits, intent: 'reverse' };
    if (Math.abs(target - heldUnits) > rules.rebalanceBand * Math.abs(target)) {
      return { deltaUnits: target - heldUnits, intent: 'resize' };
    }
    return hold();
  }
  if (heldUnits === 0) return hold();
  if (decision.action === 'no_trade') return { deltaUnits: -heldUnits, intent: 'exit_blocked' };
  const against = (trend === 'up' && held < 0) || (trend === 'down' && held > 0);
  if (rules.exitOnTrendReversal && against) return { deltaUnits: -heldUnits, intent: 'exit_reversal' };
  return hold();
}

function hold(): PositionChange {
  return { deltaUnits: 0, intent: 'hold' };
}
