/**
 * Small numeric helpers the agents share (clamping, quantiles, the normal quantile, rolling
 * moments). Indicator math lives in the trading-signals library; this is only the statistics it
 * does not provide.
 */
import { ConclaveError, ValidationError } from '../../core/errors.ts';

/** `value` limited to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** The sign of `value` as -1, 0 or 1. */
export function signOf(value: number): -1 | 0 | 1 {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/**
 * The `p` quantile of `values` (linear interpolation between order statistics, as numpy's default).
 * @remarks VaR reads a tail quantile of a short window on every bar, so the two order statistics
 * needed are found by keeping the few smallest (or, above the median, largest) values in an
 * insertion-sorted buffer — O(n·k) with k tiny — instead of sorting the window. NaN when empty.
 */
export function quantile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const q = clamp(p, 0, 1);
  const flip = q > 0.5 ? -1 : 1; // the upper tail is the lower tail of the negated values
  const position = (n - 1) * (flip === 1 ? q : 1 - q);
  const below = Math.floor(position);
  const keep = Math.min(below + 2, n);
  const buffer = new Float64Array(keep);
  let held = 0;
  for (let i = 0; i < n; i++) {
    const v = flip * (values[i] ?? Number.NaN);
    if (held === keep && !(v < (buffer[keep - 1] ?? Number.NaN))) continue;
    let j = held < keep ? held++ : keep - 1;
    while (j > 0 && (buffer[j - 1] ?? 0) > v) {
      buffer[j] = buffer[j - 1] ?? 0;
      j--;
    }
    buffer[j] = v;
  }
  const lower = buffer[below] ?? Number.NaN;
  const upper = buffer[Math.min(below + 1, n - 1)] ?? Number.NaN;
  return flip * (lower + (upper - lower) * (position - below));
}

/**
 * The standard normal quantile (inverse CDF) of `p` in (0, 1), by Acklam's rational approximation
 * (relative error below 1.2e-9), used for parametric VaR at any confidence level.
 */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** Options for {@link RollingWindow}. */
export interface RollingWindowOptions {
  /**
   * Also keep the values in order, so {@link RollingWindow.quantile} is O(1) (each push then costs
   * a binary search and a move of up to `capacity` numbers). Such a window refuses NaN.
   */
  sorted?: boolean;
}

/**
 * A fixed-capacity window of numbers with O(1) push and running sum and sum of squares, for
 * rolling means and standard deviations per bar, and optionally rolling quantiles.
 * @remarks The running sums are recomputed from the window every `capacity` pushes, so rounding
 * drift cannot accumulate over a long backtest.
 */
export class RollingWindow {
  readonly capacity: number;
  readonly #values: Float64Array;
  /** The held values ascending (sorted windows only). */
  readonly #sorted: Float64Array | undefined;
  #start = 0;
  #size = 0;
  #sum = 0;
  #sumSquares = 0;
  #pushesSinceResync = 0;

  constructor(capacity: number, options: RollingWindowOptions = {}) {
    this.capacity = capacity;
    this.#values = new Float64Array(capacity);
    this.#sorted = options.sorted === true ? new Float64Array(capacity) : undefined;
  }

  /** Number of values held (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /** True once the window holds `capacity` values. */
  get full(): boolean {
    return this.#size === this.capacity;
  }

  /** Appends `value`, evicting the oldest when full. */
  push(value: number): void {
    const sorted = this.#sorted;
    if (sorted !== undefined) {
      if (Number.isNaN(value))
        throw new ValidationError('value', 'must be a number, got NaN (sorted window)');
      let n = this.#size;
      if (n === this.capacity) {
        const at = lowerBound(sorted, n, this.#values[this.#start] ?? 0);
        sorted.copyWithin(at, at + 1, n);
        n--;
      }
      const at = lowerBound(sorted, n, value);
      sorted.copyWithin(at + 1, at, n);
      sorted[at] = value;
    }
    if (this.#size === this.capacity) {
      const old = this.#values[this.#start] ?? 0;
      this.#sum -= old;
      this.#sumSquares -= old * old;
      this.#values[this.#start] = value;
      this.#start = (this.#start + 1) % this.capacity;
    } else {
      this.#values[(this.#start + this.#size) % this.capacity] = value;
      this.#size++;
    }
    this.#sum += value;
    this.#sumSquares += value * value;
    if (++this.#pushesSinceResync >= this.capacity) this.#resync();
  }

  /** Mean of the held values (NaN when empty). */
  mean(): number {
    return this.#size === 0 ? Number.NaN : this.#sum / this.#size;
  }

  /** Sample standard deviation (n − 1); NaN with fewer than two values. */
  sampleStdDev(): number {
    const n = this.#size;
    if (n < 2) return Number.NaN;
    const variance = (this.#sumSquares - (this.#sum * this.#sum) / n) / (n - 1);
    return Math.sqrt(Math.max(0, variance));
  }

  /**
   * The `p` quantile of the held values, exactly as {@link quantile} over {@link toArray} would
   * give it, in O(1). Sorted windows only; NaN when empty.
   */
  quantile(p: number): number {
    const sorted = this.#sorted;
    if (sorted === undefined)
      throw new ConclaveError('INTERNAL', 'quantile() needs a window created with sorted: true');
    const n = this.#size;
    if (n === 0) return Number.NaN;
    const q = clamp(p, 0, 1);
    // quantile()'s arithmetic: above the median, the lower tail of the negated values.
    if (q <= 0.5) {
      const position = (n - 1) * q;
      const below = Math.floor(position);
      const lower = sorted[below] ?? Number.NaN;
      const upper = sorted[Math.min(below + 1, n - 1)] ?? Number.NaN;
      return lower + (upper - lower) * (position - below);
    }
    const position = (n - 1) * (1 - q);
    const below = Math.floor(position);
    const lower = -(sorted[n - 1 - below] ?? Number.NaN);
    const upper = -(sorted[n - 1 - Math.min(below + 1, n - 1)] ?? Number.NaN);
    return -(lower + (upper - lower) * (position - below));
  }

  /** The held values, oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.#values[(this.#start + i) % this.capacity] ?? 0;
    return out;
  }

  #resync(): void {
    this.#pushesSinceResync = 0;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < this.#size; i++) {
      const v = this.#values[(this.#start + i) % this.capacity] ?? 0;
      sum += v;
      sumSquares += v * v;
    }
    this.#sum = sum;
    this.#sumSquares = sumSquares;
  }
}

/** The first index in `sorted[0, n)` whose value is not below `value`. */
function lowerBound(sorted: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
