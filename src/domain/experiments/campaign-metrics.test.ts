import fc from 'fast-check';
import { experimentReport, funnelOf, groupedFunnels, histogramQuantile, pooledProgrammeUplift, programmeUplift, type StatsRow } from './campaign-metrics';
import { twoProportionZTest } from './experiment-stats';

const row = (metric: string, count: number, over: Partial<StatsRow> = {}): StatsRow => ({ version: 1, day: '2026-11-01', step: '', variant: 'a', channel: '', metric, count, ...over });
const message = (metric: string, count: number, over: Partial<StatsRow> = {}) => row(metric, count, { step: 'offer', channel: 'email', ...over });

describe('campaign metrics from roll-up rows', () => {
  const rows = [
    row('entered', 100), row('completed', 80), row('exited:exit_event', 15), row('exited:goal', 5), row('converted', 12),
    message('sent', 90), message('skipped:no_consent', 6), message('skipped:capped', 4), message('opened', 45), message('clicked', 9),
    message('unsubscribed', 1), message('converted', 10), message('time_to_engage:10', 30), message('time_to_engage:20', 15),
  ];

  it('sums the funnel and its rates by the README definitions', () => {
    const funnel = funnelOf(rows);
    expect(funnel).toMatchObject({
      entered: 100, completed: 80, exited: 20, exitedBy: { exit_event: 15, goal: 5 }, sent: 90, delivered: 90,
      skipped: 10, skippedBy: { no_consent: 6, capped: 4 }, opened: 45, clicked: 9, unsubscribed: 1, converted: 12,
    });
    expect(funnel.rates).toEqual({ open: 0.5, clickThrough: 0.1, conversion: 0.12, unsubscribe: 1 / 90 });
    expect(funnel.timeToEngage.count).toBe(45);
  });

  it('credits conversions to the step of the last message when grouped by step', () => {
    const byStep = groupedFunnels(rows, 'step');
    expect(byStep.map((g) => [g.key, g.funnel.entered, g.funnel.sent, g.funnel.converted])).toEqual([['', 100, 0, 12], ['offer', 0, 90, 10]]);
  });

  it('reads quantiles of the log-spaced histogram within its bucket', () => {
    // Bucket k holds [2^(k/4) - 1, 2^((k+1)/4) - 1) seconds.
    fc.assert(fc.property(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (k, n, q) => {
      const value = histogramQuantile(new Map([[k, n]]), q)!;
      expect(value).toBeGreaterThanOrEqual(2 ** (k / 4) - 1 - 1e-9);
      expect(value).toBeLessThanOrEqual(2 ** ((k + 1) / 4) - 1 + 1e-9);
    }));
    expect(histogramQuantile(new Map(), 0.5)).toBeNull();
    const median = histogramQuantile(new Map([[10, 30], [20, 15]]), 0.5)!;
    expect(median).toBeGreaterThan(2 ** 2.5 - 1);
    expect(median).toBeLessThan(2 ** 2.75 - 1);
  });

  it('compares each arm to the control and says when a winner rule is met', () => {
    const arms = [
      row('entered', 1000, { variant: 'holdout' }), row('converted', 100, { variant: 'holdout' }),
      row('entered', 1000, { variant: 'a' }), row('converted', 160, { variant: 'a' }),
      row('entered', 1000, { variant: 'b' }), row('converted', 110, { variant: 'b' }),
      row('entered', 7, { variant: 'unassigned' }),
    ];
    const report = experimentReport(arms, ['holdout', 'a', 'b'], 'holdout', { winner: { metric: 'conversion_rate', minSamples: 500, auto: false }, now: 0 });
    expect(report.arms.map((a) => [a.variant, a.entered, a.converted, a.vsControl?.verdict])).toEqual([
      ['holdout', 1000, 100, undefined],
      ['a', 1000, 160, 'better'],
      ['b', 1000, 110, 'no_difference'],
    ]);
    expect(report.winner).toMatchObject({ ready: true, winner: 'a' });
    const early = experimentReport(arms, ['holdout', 'a', 'b'], 'holdout', { winner: { metric: 'conversion_rate', minSamples: 5000, auto: false }, now: 0 });
    expect(early.winner).toMatchObject({ ready: false, winner: null, reason: 'waiting for 5000 entrants in every arm' });
    expect(early.arms[1]!.vsControl!.verdict).toBe('not_enough_data');
  });

  it('reads engaged time per session from its own buckets, beside time to engage', () => {
    const funnel = funnelOf([...rows, message('engaged_time:30', 8), message('engaged_time:40', 2)]);
    expect(funnel.timeToEngage.count).toBe(45);
    expect(funnel.engagedTime.count).toBe(10);
    // Median in bucket 30 ([2^7.5 - 1, 2^7.75 - 1) s), p90 at the edge of bucket 40 ([2^10 - 1, ...)).
    expect(funnel.engagedTime.medianSeconds!).toBeGreaterThanOrEqual(2 ** 7.5 - 1);
    expect(funnel.engagedTime.medianSeconds!).toBeLessThan(2 ** 7.75 - 1);
    expect(funnel.engagedTime.p90Seconds!).toBeGreaterThanOrEqual(2 ** 10 - 1);
    expect(funnelOf(rows).engagedTime).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
  });

  it('measures the programme: the global control group against every treated arm, leaving the holdout out', () => {
    const arms = [
      row('entered', 50, { variant: 'global-control' }), row('converted', 5, { variant: 'global-control' }),
      row('entered', 100, { variant: 'holdout' }), row('converted', 10, { variant: 'holdout' }),
      row('entered', 400, { variant: 'a' }), row('converted', 60, { variant: 'a' }),
      row('entered', 450, { variant: 'b' }), row('converted', 70, { variant: 'b' }),
      message('converted', 99, { variant: 'a' }),
    ];
    const programme = programmeUplift(arms)!;
    expect(programme.control).toBe('global-control');
    expect(programme.arms.map((a) => [a.variant, a.entered, a.converted])).toEqual([['global-control', 50, 5], ['treated', 850, 130]]);
    expect(programme.arms[1]!.vsControl!.absoluteUplift).toBeCloseTo(130 / 850 - 0.1, 12);
    expect(programme.arms[1]!.vsControl!.zTest).toEqual(twoProportionZTest({ entered: 850, converted: 130 }, { entered: 50, converted: 5 }));
    // Under the minimum sample (100 by default) the group of 50 gives no verdict.
    expect(programme.arms[1]!.vsControl!.verdict).toBe('not_enough_data');
    expect(programmeUplift(arms.filter((r) => r.variant !== 'global-control'))).toBeNull();
  });

  it('pools the global control group and the treated entries of every covered campaign, per entry', () => {
    const campaign = (control: [number, number], treated: [number, number]) =>
      programmeUplift([
        row('entered', control[0], { variant: 'global-control' }), row('converted', control[1], { variant: 'global-control' }),
        row('entered', treated[0], { variant: 'a' }), row('converted', treated[1], { variant: 'a' }),
        row('entered', 40, { variant: 'holdout' }), row('converted', 9, { variant: 'holdout' }),
      ]);
    const pooled = pooledProgrammeUplift([campaign([60, 6], [500, 70]), null, campaign([70, 4], [600, 90])])!;
    expect(pooled.arms.map((a) => [a.variant, a.entered, a.converted])).toEqual([['global-control', 130, 10], ['treated', 1100, 160]]);
    expect(pooled.arms[1]!.vsControl!.zTest).toEqual(twoProportionZTest({ entered: 1100, converted: 160 }, { entered: 130, converted: 10 }));
    expect(pooled.arms[1]!.vsControl!.verdict).not.toBe('not_enough_data');
    // Each campaign alone is under the minimum sample of 100 in the group; pooled, it is not.
    expect(campaign([60, 6], [500, 70])!.arms[1]!.vsControl!.verdict).toBe('not_enough_data');
    expect(pooledProgrammeUplift([null, null])).toBeNull();
    expect(pooledProgrammeUplift([])).toBeNull();
  });
});
