import fc from 'fast-check';
import { experimentReport, funnelOf, groupedFunnels, histogramQuantile, type StatsRow } from './campaign-metrics';

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
});
