import { percentile, summarise } from './stats';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 100)]).toEqual([50, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
  });

  it('summarises rate and spread', () => {
    expect(summarise([30, 10, 20], 1000)).toEqual({ count: 3, perSecond: 3, p50: 20, p95: 30, p99: 30, max: 30 });
  });
});
