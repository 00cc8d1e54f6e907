import fc from 'fast-check';
import {
  compareToControl,
  confidenceSequence,
  differenceInterval,
  experimentResults,
  normalUpperTail,
  relativeUplift,
  sequentialPValue,
  twoProportionZTest,
  wilsonInterval,
  Z_95,
} from './experiment-stats';

/**
 * Reference values computed independently with Python's standard library (statistics.NormalDist,
 * math.erfc) by scripts/reference/experiment-stats-reference.py; pasted here as it printed them.
 * The Wilson figure agrees with statsmodels' proportion_confint(method="wilson") to the digits it documents.
 */
const REFERENCE = [
  {
    variant: [120, 1000], control: [100, 1000],
    wilsonVariant: [0.10129926060130913, 0.14160907584771273],
    newcombe: [-0.007492167515211052, 0.04755066745633904],
    katz: [0.19999999999999996, -0.06589424893700613, 0.5415813448973077],
    z: [1.4293008498232314, 0.15291778186394622],
    cs: [-0.02704634807883663, 0.06704634807883661],
    sequentialP: 0.8589946354171981,
  },
  {
    variant: [15, 200], control: [10, 210],
    wilsonVariant: [0.045974917184382, 0.12004361023629455],
    newcombe: [-0.020280187283325084, 0.07731447344830465],
    katz: [0.575, -0.2753815900481208, 2.423353541576089],
    z: [1.158149847766902, 0.2468028906998938],
    cs: [-0.09254337501381234, 0.1473052797757171],
    sequentialP: 0.9775971449817553,
  },
  {
    variant: [300, 2000], control: [200, 2000],
    wilsonVariant: [0.13502252494970823, 0.16631940814716878],
    newcombe: [0.029549718345395565, 0.07049034838667088],
    katz: [0.4999999999999998, 0.2682320194649006, 0.7741233192876893],
    z: [4.780914437337573, 1.7449962508298e-6],
    cs: [0.01742421075818297, 0.08257578924181701],
    sequentialP: 0.00032675798613079324,
  },
  {
    variant: [1, 50], control: [3, 60],
    wilsonVariant: [0.0035392592716462293, 0.1049544358963781],
    newcombe: [-0.1185486006713109, 0.06108463858696954],
    katz: [-0.6000000000000001, -0.9570675212331416, 2.726782254266475],
    z: [-0.8369418726012027, 0.4026252422331531],
    cs: [-0.32927221712796567, 0.2692722171279656],
    sequentialP: 1.0,
  },
  {
    variant: [150, 1000], control: [100, 1000],
    wilsonVariant: [0.1292100725130883, 0.17346865842680032],
    newcombe: [0.02104619704533231, 0.07903213816878465],
    katz: [0.4999999999999998, 0.18305690016605092, 0.9018527339506619],
    z: [3.3806170189140654, 0.0007232327164301555],
    cs: [0.0003897834373939382, 0.09961021656260605],
    sequentialP: 0.04733573898568018,
  },
] as const;

const arm = ([converted, entered]: readonly [number, number]) => ({ converted, entered });

/** Relative closeness: the reference and the code are two implementations in double precision. */
const close = (actual: number, expected: number, digits = 10) => expect(actual).toBeCloseTo(expected, digits);

describe('experiment statistics against the reference implementation', () => {
  it.each(REFERENCE)('variant $variant vs control $control', (ref) => {
    const variant = arm(ref.variant);
    const control = arm(ref.control);
    const [wl, wh] = wilsonInterval(variant.converted, variant.entered);
    close(wl, ref.wilsonVariant[0]);
    close(wh, ref.wilsonVariant[1]);
    const diff = differenceInterval(variant, control);
    close(diff.interval[0], ref.newcombe[0]);
    close(diff.interval[1], ref.newcombe[1]);
    const relative = relativeUplift(variant, control)!;
    close(relative.uplift, ref.katz[0]);
    close(relative.interval[0], ref.katz[1]);
    close(relative.interval[1], ref.katz[2]);
    const z = twoProportionZTest(variant, control);
    close(z.z, ref.z[0]);
    expect(z.pValue / ref.z[1]).toBeCloseTo(1, 8);
    const [cl, ch] = confidenceSequence(variant, control);
    close(cl, ref.cs[0]);
    close(ch, ref.cs[1]);
    close(sequentialPValue(variant, control), ref.sequentialP, 8);
  });

  it('computes the normal tail to double precision', () => {
    // Python: 0.5 * math.erfc(z / math.sqrt(2))
    const reference: [number, number][] = [
      [0, 0.5], [0.5, 0.3085375387259869], [1, 0.15865525393145707], [Z_95, 0.02500000000000002],
      [2.5, 0.006209665325776139], [3, 0.0013498980316300957], [4, 3.1671241833119965e-5],
      [6, 9.865876450377012e-10], [8, 6.220960574271819e-16],
    ];
    for (const [z, tail] of reference) expect(normalUpperTail(z) / tail).toBeCloseTo(1, 12);
    expect(normalUpperTail(-1)).toBeCloseTo(1 - 0.15865525393145707, 14);
  });

  it('flags the fifth case by the z-test but, looked at any time, only just by the sequence', () => {
    const result = compareToControl(arm(REFERENCE[4].variant), arm(REFERENCE[4].control));
    expect(result.zTest.pValue).toBeLessThan(0.001);
    expect(result.significant).toBe(true);
    expect(result.verdict).toBe('better');
    const weaker = compareToControl(arm(REFERENCE[0].variant), arm(REFERENCE[0].control));
    expect(weaker.verdict).toBe('no_difference');
  });
});

const counts = fc
  .tuple(fc.integer({ min: 1, max: 50_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([entered, share]) => ({ entered, converted: Math.round(entered * share) }));

describe('experiment statistics, properties', () => {
  it('keeps the Wilson interval inside [0, 1] around the observed rate', () => {
    fc.assert(fc.property(counts, ({ converted, entered }) => {
      const [low, high] = wilsonInterval(converted, entered);
      const p = converted / entered;
      expect(low).toBeGreaterThanOrEqual(0);
      expect(high).toBeLessThanOrEqual(1);
      expect(low).toBeLessThanOrEqual(p + 1e-12);
      expect(high).toBeGreaterThanOrEqual(p - 1e-12);
    }));
  });

  it('puts the observed difference inside its interval and the sequence around the fixed-sample interval', () => {
    fc.assert(fc.property(counts, counts, (variant, control) => {
      const { difference, interval } = differenceInterval(variant, control);
      expect(interval[0]).toBeLessThanOrEqual(difference + 1e-12);
      expect(interval[1]).toBeGreaterThanOrEqual(difference - 1e-12);
      const [low, high] = confidenceSequence(variant, control);
      const p1 = variant.converted / variant.entered;
      const p0 = control.converted / control.entered;
      const wald = Z_95 * Math.sqrt((p1 * (1 - p1)) / variant.entered + (p0 * (1 - p0)) / control.entered);
      // Valid at every sample size at once costs width: never narrower than the one-look Wald interval.
      expect(high - difference).toBeGreaterThanOrEqual(wald - 1e-12);
      expect(difference - low).toBeGreaterThanOrEqual(wald - 1e-12);
    }));
  });

  it('gives p-values in [0, 1] that do not depend on which arm is called the variant', () => {
    fc.assert(fc.property(counts, counts, (a, b) => {
      const ab = twoProportionZTest(a, b);
      const ba = twoProportionZTest(b, a);
      expect(ab.pValue).toBeGreaterThanOrEqual(0);
      expect(ab.pValue).toBeLessThanOrEqual(1);
      expect(ab.pValue).toBeCloseTo(ba.pValue, 12);
      expect(ab.z).toBeCloseTo(-ba.z, 10);
      const sequential = sequentialPValue(a, b);
      expect(sequential).toBeGreaterThanOrEqual(0);
      expect(sequential).toBeLessThanOrEqual(1);
    }));
  });

  it('agrees with itself: significant exactly when the sequential p-value is under 5%', () => {
    fc.assert(fc.property(counts, counts, (a, b) => {
      const result = compareToControl(a, b, { minSamples: 1 });
      const p = result.sequential.pValue;
      // Bisection to 60 halvings: only p within 1e-12 of the threshold could disagree.
      fc.pre(Math.abs(p - 0.05) > 1e-9);
      expect(result.significant).toBe(p < 0.05);
    }));
  });

  it('gives no verdict under the minimum sample', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 99 }), counts, (entered, control) => {
      const result = compareToControl({ entered, converted: Math.floor(entered / 2) }, control);
      expect(result.verdict).toBe('not_enough_data');
      expect(result.significant).toBeNull();
    }));
  });

  it('reports every arm and compares all but the control', () => {
    const results = experimentResults(
      [{ variant: 'control', entered: 1000, converted: 100 }, { variant: 'a', entered: 1000, converted: 150 }, { variant: 'b', entered: 0, converted: 0 }],
      'control',
    );
    expect(results.map((r) => [r.variant, r.rate, r.vsControl?.verdict])).toEqual([
      ['control', 0.1, undefined],
      ['a', 0.15, 'better'],
      ['b', 0, 'not_enough_data'],
    ]);
  });
});
