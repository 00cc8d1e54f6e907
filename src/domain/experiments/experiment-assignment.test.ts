import fc from 'fast-check';
import type { Campaign } from '../campaign/campaign-model';
import { assignVariant, splitBucket } from '../split';
import { assignExperiment, controlArm, experimentArms, GLOBAL_CONTROL_ARM, inGlobalControl } from './experiment-assignment';

const message = (variants?: { name: string; percent: number }[]) => ({
  id: 'offer',
  type: 'message' as const,
  template: 't',
  channel: 'email' as const,
  variables: {},
  next: -1,
  ...(variants && { variants: variants.map((v) => ({ ...v, template: 't', channel: 'email' as const, variables: {} })) }),
});

const campaign = (over: Partial<Campaign>): Pick<Campaign, 'id' | 'steps' | 'holdout' | 'salt' | 'globalControl' | 'decidedWinner'> => ({ id: 'c', steps: [message()], ...over });

describe('assignExperiment', () => {
  const twoVariants = [message([{ name: 'a', percent: 50 }, { name: 'b', percent: 50 }])];

  it('is stable per user and changes only with the salt', () => {
    fc.assert(fc.property(fc.string(), (pseudonym) => {
      const c = campaign({ holdout: 10, steps: twoVariants });
      expect(assignExperiment(c, pseudonym)).toEqual(assignExperiment(c, pseudonym));
    }));
    const moved = Array.from({ length: 1000 }, (_, i) => `u${i}`).filter(
      (p) => assignExperiment(campaign({ holdout: 50, steps: twoVariants }), p).variant !== assignExperiment(campaign({ holdout: 50, steps: twoVariants, salt: 'new' }), p).variant,
    );
    expect(moved.length).toBeGreaterThan(400);
  });

  it('holds out close to the share asked for, evenly across variants', () => {
    const c = campaign({ holdout: 10, steps: twoVariants });
    const counts: Record<string, number> = { holdout: 0, a: 0, b: 0 };
    for (let i = 0; i < 20_000; i++) counts[assignExperiment(c, `user-${i}`).variant]! += 1;
    expect(counts.holdout).toBeGreaterThan(1800);
    expect(counts.holdout).toBeLessThan(2200);
    expect(counts.a).toBeGreaterThan(8600);
    expect(counts.b).toBeGreaterThan(8600);
  });

  it('keeps the bucket a split step always had when there is no salt', () => {
    const split = { id: 'ab', type: 'split' as const, next: -1, variants: [{ name: 'x', percent: 30, next: -1 }, { name: 'y', percent: 70, next: -1 }] };
    fc.assert(fc.property(fc.string(), (pseudonym) => {
      expect(assignExperiment(campaign({ steps: [split] }), pseudonym).variant).toBe(assignVariant(split.variants, splitBucket(pseudonym, 'c', 'ab')).name);
    }));
  });

  it('names the arms and the control', () => {
    expect(experimentArms(campaign({ holdout: 10, steps: twoVariants }))).toEqual(['holdout', 'a', 'b']);
    expect(controlArm(campaign({ holdout: 10, steps: twoVariants }))).toBe('holdout');
    expect(experimentArms(campaign({ holdout: 10 }))).toEqual(['holdout', 'treatment']);
    expect(controlArm(campaign({ steps: twoVariants }))).toBe('a');
    expect(experimentArms(campaign({}))).toEqual(['all']);
    expect(controlArm(campaign({}))).toBeUndefined();
    expect(assignExperiment(campaign({ holdout: 100 }), 'p')).toEqual({ variant: 'holdout', heldOut: true });
    expect(assignExperiment(campaign({}), 'p')).toEqual({ variant: 'all', heldOut: false });
  });

  const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

  it('puts the global control group first, the same users for every campaign it covers, at about its share', () => {
    const globalControl = { percent: 5, salt: 'gc' };
    const a = campaign({ id: 'a', holdout: 10, steps: twoVariants, globalControl });
    const b = campaign({ id: 'b', steps: [message()], globalControl });
    const inA = users.filter((p) => assignExperiment(a, p).variant === GLOBAL_CONTROL_ARM);
    const inB = users.filter((p) => assignExperiment(b, p).variant === GLOBAL_CONTROL_ARM);
    expect(inA).toEqual(inB);
    expect(inA.every((p) => assignExperiment(a, p).heldOut)).toBe(true);
    expect(inA.length / users.length).toBeGreaterThan(0.035);
    expect(inA.length / users.length).toBeLessThan(0.065);
    // Outside the group, the campaign's own arms are as they would be without it.
    for (const p of users.filter((u) => !inA.includes(u))) expect(assignExperiment(a, p)).toEqual(assignExperiment({ ...a, globalControl: undefined }, p));
    expect(users.filter((p) => inGlobalControl({ percent: 5, salt: 'other' }, p))).not.toEqual(inA);
    expect(users.some((p) => inGlobalControl({ percent: 0, salt: 'gc' }, p))).toBe(false);
  });

  it('sends everyone not held out down the decided winner; holdout and global control stay', () => {
    const decided = campaign({ holdout: 10, steps: twoVariants, globalControl: { percent: 5, salt: 'gc' }, decidedWinner: { variant: 'b', decidedAt: '2026-01-01T00:00:00Z' } });
    const before = { ...decided, decidedWinner: undefined };
    for (const p of users) {
      const was = assignExperiment(before, p);
      expect(assignExperiment(decided, p)).toEqual(was.heldOut ? was : { variant: 'b', heldOut: false });
    }
    // A decision naming no variant of this version changes nothing.
    const stale = { ...decided, decidedWinner: { variant: 'gone', decidedAt: '2026-01-01T00:00:00Z' } };
    for (const p of users.slice(0, 200)) expect(assignExperiment(stale, p)).toEqual(assignExperiment(before, p));
  });
});
