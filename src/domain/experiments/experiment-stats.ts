/**
 * Statistics of an experiment on conversions: each variant against the control group. Pure
 * functions over counts (entered, converted), so the API, the CLI and a winner rule read the
 * same figures. Every interval is two-sided at 95%.
 *
 * The "significant" flag comes from an anytime-valid confidence sequence, not from the z-test:
 * a fixed-sample p-value is only valid if it is looked at once, at a sample size chosen in
 * advance, and a dashboard is looked at every day. The z-test's p-value is reported beside it.
 */

/** Two-sided 95%: the 97.5th percentile of the standard normal. */
export const Z_95 = 1.959963984540054;
/** The error rate of every interval and of the significance flag. */
export const ALPHA = 0.05;
/** Below this many entrants in the variant or in the control group, no verdict is given. */
export const DEFAULT_MIN_SAMPLES = 100;
/**
 * Entrants per arm at which the confidence sequence is tightest (GrowthBook's default tuning,
 * 5,000). It stays valid at every other size, only a little wider.
 */
export const DEFAULT_SEQUENTIAL_TUNING = 5_000;

export interface ArmCounts {
  /** Entrants assigned to the arm (held-out users count as entrants of the control arm). */
  entered: number;
  /** Entrants of the arm that converted (at most one conversion per entry). */
  converted: number;
}

export type Interval = [number, number];

/** erfc by Taylor series (x < 2, positive terms only) or a continued fraction (x >= 2); about 1e-15 relative. */
function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1*3*...*(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from the tail.
  let fraction = x;
  for (let k = 120; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return erfc(z / Math.SQRT2) / 2;
}

/** The Wilson score interval of a proportion (Wilson 1927): stays inside [0, 1] and behaves at 0 and n. */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  if (trials <= 0) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * The difference of two proportions (variant minus control) with Newcombe's hybrid score interval
 * (Newcombe 1998, "Interval estimation for the difference between independent proportions",
 * method 10), built from the two Wilson intervals; better coverage than the Wald interval at small counts.
 */
export function differenceInterval(variant: ArmCounts, control: ArmCounts): { difference: number; interval: Interval } {
  const p1 = variant.converted / variant.entered;
  const p0 = control.converted / control.entered;
  const [l1, u1] = wilsonInterval(variant.converted, variant.entered);
  const [l0, u0] = wilsonInterval(control.converted, control.entered);
  const difference = p1 - p0;
  return {
    difference,
    interval: [difference - Math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), difference + Math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)],
  };
}

/**
 * Relative uplift p1/p0 - 1 with the log risk-ratio interval (Katz et al. 1978):
 * ln(p1/p0) +- z sqrt(1/x1 - 1/n1 + 1/x0 - 1/n0). Undefined while either arm has no conversion.
 */
export function relativeUplift(variant: ArmCounts, control: ArmCounts): { uplift: number; interval: Interval } | null {
  if (variant.converted <= 0 || control.converted <= 0) return null;
  const ratio = (variant.converted / variant.entered) / (control.converted / control.entered);
  const se = Math.sqrt(1 / variant.converted - 1 / variant.entered + 1 / control.converted - 1 / control.entered);
  return { uplift: ratio - 1, interval: [ratio * Math.exp(-Z_95 * se) - 1, ratio * Math.exp(Z_95 * se) - 1] };
}

/** The two-sided two-proportion z-test with the pooled variance (the same p-value as a 2x2 chi-squared test without continuity correction). */
export function twoProportionZTest(variant: ArmCounts, control: ArmCounts): { z: number; pValue: number } {
  const pooled = (variant.converted + control.converted) / (variant.entered + control.entered);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / variant.entered + 1 / control.entered));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (variant.converted / variant.entered - control.converted / control.entered) / se;
  return { z, pValue: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
}

/**
 * An asymptotic confidence sequence for the difference of two proportions: an interval that
 * holds at every sample size at once with probability 1 - alpha, so it may be looked at after
 * every entrant without inflating false positives (Waudby-Smith, Arbour, Sinha, Kennedy, Ramdas,
 * "Time-uniform central limit theory and asymptotic confidence sequences", 2021, arXiv:2103.06476,
 * Theorem 2.2, the normal-mixture boundary; the form GrowthBook's sequential testing uses):
 *
 *   d +- sqrt(N * V) * sqrt( 2 (N rho^2 + 1) / (N^2 rho^2) * ln( sqrt(N rho^2 + 1) / alpha ) )
 *
 * where d = p1 - p0, V = p1(1-p1)/n1 + p0(1-p0)/n0 is the variance of d (so N V is the variance
 * per unit), N = n1 + n0, and the mixture's tuning rho^2 = (-2 ln alpha + ln(-2 ln alpha + 1)) / N*
 * makes the sequence tightest at N* units (eq. 3.4 of the paper; N* = 10,000, 5,000 per arm). It is the boundary of a
 * mixture SPRT: the difference is significant when the sequence excludes 0.
 */
export function confidenceSequence(variant: ArmCounts, control: ArmCounts, alpha = ALPHA, tuning = 2 * DEFAULT_SEQUENTIAL_TUNING): Interval {
  const p1 = variant.converted / variant.entered;
  const p0 = control.converted / control.entered;
  const n = variant.entered + control.entered;
  const variancePerUnit = n * ((p1 * (1 - p1)) / variant.entered + (p0 * (1 - p0)) / control.entered);
  // Tuned for the 5% level whatever alpha is asked, so the p-value below and the 5% flag agree.
  const rho2 = (-2 * Math.log(ALPHA) + Math.log(-2 * Math.log(ALPHA) + 1)) / tuning;
  const half = Math.sqrt(variancePerUnit) * Math.sqrt(((2 * (n * rho2 + 1)) / (n * n * rho2)) * Math.log(Math.sqrt(n * rho2 + 1) / alpha));
  const d = p1 - p0;
  return [d - half, d + half];
}

/**
 * The anytime-valid p-value: the smallest alpha at which the confidence sequence (tuned for
 * the 5% level, as the flag is) excludes 0. Found by bisection; the half-width shrinks as alpha grows.
 */
export function sequentialPValue(variant: ArmCounts, control: ArmCounts, tuning = 2 * DEFAULT_SEQUENTIAL_TUNING): number {
  const excludesZero = (alpha: number) => {
    const [low, high] = confidenceSequence(variant, control, alpha, tuning);
    return low > 0 || high < 0;
  };
  if (!excludesZero(1)) return 1;
  let low = 0;
  let high = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (excludesZero(mid)) high = mid;
    else low = mid;
  }
  return high;
}

export type Verdict = 'not_enough_data' | 'better' | 'worse' | 'no_difference';

export interface VariantComparison {
  /** p1 - p0, in rate units (0.02 is two percentage points). */
  absoluteUplift: number;
  absoluteInterval: Interval;
  /** p1 / p0 - 1; null while either arm has no conversion. */
  relativeUplift: number | null;
  relativeInterval: Interval | null;
  /** Fixed-sample two-proportion z-test: valid only if looked at once. */
  zTest: { z: number; pValue: number };
  /** Anytime-valid: the confidence sequence of the difference and its p-value. */
  sequential: { interval: Interval; pValue: number };
  /** Decided by the confidence sequence; null when there is not enough data. */
  significant: boolean | null;
  verdict: Verdict;
}

export interface VariantResult extends ArmCounts {
  variant: string;
  /** converted / entered; 0 with no entrants. */
  rate: number;
  rateInterval: Interval;
  /** Absent for the control arm itself. */
  vsControl?: VariantComparison;
}

export interface StatsOptions {
  /** Entrants each arm needs before a verdict; DEFAULT_MIN_SAMPLES. */
  minSamples?: number;
  /** Decide significance by `sequential` (default, anytime-valid) or by the fixed-sample `z_test`. */
  method?: 'sequential' | 'z_test';
}

/** One arm against the control arm. */
export function compareToControl(variant: ArmCounts, control: ArmCounts, options: StatsOptions = {}): VariantComparison {
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  const enough = variant.entered >= minSamples && control.entered >= minSamples;
  const safe = (arm: ArmCounts) => ({ entered: Math.max(arm.entered, 1), converted: arm.converted });
  const { difference, interval } = differenceInterval(safe(variant), safe(control));
  const relative = relativeUplift(safe(variant), safe(control));
  const zTest = twoProportionZTest(safe(variant), safe(control));
  const sequentialInterval = confidenceSequence(safe(variant), safe(control));
  const sequential = { interval: sequentialInterval, pValue: sequentialPValue(safe(variant), safe(control)) };
  const significant = !enough ? null : options.method === 'z_test' ? zTest.pValue < ALPHA : sequentialInterval[0] > 0 || sequentialInterval[1] < 0;
  const verdict: Verdict = significant === null ? 'not_enough_data' : !significant ? 'no_difference' : difference > 0 ? 'better' : 'worse';
  return {
    absoluteUplift: difference,
    absoluteInterval: interval,
    relativeUplift: relative?.uplift ?? null,
    relativeInterval: relative?.interval ?? null,
    zTest,
    sequential,
    significant,
    verdict,
  };
}

/** Every arm's rate, and every arm but the control compared to it. */
export function experimentResults(arms: ({ variant: string } & ArmCounts)[], controlName: string, options: StatsOptions = {}): VariantResult[] {
  const control = arms.find((arm) => arm.variant === controlName);
  return arms.map((arm) => ({
    variant: arm.variant,
    entered: arm.entered,
    converted: arm.converted,
    rate: arm.entered > 0 ? arm.converted / arm.entered : 0,
    rateInterval: wilsonInterval(arm.converted, arm.entered),
    ...(control && arm.variant !== controlName && { vsControl: compareToControl(arm, control, options) }),
  }));
}
