import fc from 'fast-check';
import { assignVariant, splitBucket } from './split';

describe('splitBucket and assignVariant', () => {
  it('gives a user the same variant every time', () => {
    const variants = [{ name: 'a', percent: 50 }, { name: 'b', percent: 50 }];
    fc.assert(
      fc.property(fc.string(), (pseudonym) => {
        const first = assignVariant(variants, splitBucket(pseudonym, 'c', 's'));
        expect(assignVariant(variants, splitBucket(pseudonym, 'c', 's'))).toBe(first);
      }),
    );
  });

  it('keeps buckets within [0, 100)', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (p, c, s) => {
      const bucket = splitBucket(p, c, s);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(100);
    }));
  });

  it('splits 10,000 users close to the shares asked for', () => {
    const variants = [{ name: 'a', percent: 20 }, { name: 'b', percent: 30 }, { name: 'c', percent: 50 }];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) counts[assignVariant(variants, splitBucket(`user-${i}`, 'campaign', 'split')).name]! += 1;
    expect(counts.a).toBeGreaterThan(1800);
    expect(counts.a).toBeLessThan(2200);
    expect(counts.b).toBeGreaterThan(2750);
    expect(counts.b).toBeLessThan(3250);
    expect(counts.c).toBeGreaterThan(4700);
    expect(counts.c).toBeLessThan(5300);
  });

  it('never picks a variant with a 0% share', () => {
    const variants = [{ name: 'never', percent: 0 }, { name: 'always', percent: 100 }];
    fc.assert(fc.property(fc.string(), (p) => expect(assignVariant(variants, splitBucket(p, 'c', 's')).name).toBe('always')));
  });
});
