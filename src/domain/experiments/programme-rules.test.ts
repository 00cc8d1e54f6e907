import type { Campaign } from '../campaign/campaign-model';
import { deliveryPolicySchema } from '../campaign/campaign-schema';
import { withProgrammeRules } from './programme-rules';

const campaign = (category: string): Campaign => ({
  id: 'c', version: 1, name: 'C', category, entry: { event: 'E', filters: [], conditions: [] }, reentry: { mode: 'every_time' },
  allowConcurrent: false, exitOn: [], templates: {}, steps: [{ id: 'x', type: 'exit', next: -1 }],
});
const policy = (globalControl: unknown) => deliveryPolicySchema.parse({ frequencyCap: { perDay: 3 }, globalControl });

describe('withProgrammeRules', () => {
  it('covers every category but transactional by default, and only the listed ones when listed', () => {
    const all = policy({ percent: 5 });
    expect(withProgrammeRules(campaign('marketing'), all, undefined).globalControl).toEqual({ percent: 5, salt: 'global-control' });
    expect(withProgrammeRules(campaign('transactional'), all, undefined).globalControl).toBeUndefined();
    const listed = policy({ percent: 5, categories: ['marketing'], salt: 's' });
    expect(withProgrammeRules(campaign('marketing'), listed, undefined).globalControl).toEqual({ percent: 5, salt: 's' });
    expect(withProgrammeRules(campaign('product'), listed, undefined).globalControl).toBeUndefined();
    expect(withProgrammeRules(campaign('marketing'), policy({ percent: 0 }), undefined).globalControl).toBeUndefined();
    expect(withProgrammeRules(campaign('marketing'), undefined, undefined)).toEqual(campaign('marketing'));
  });

  it('adds the decided winner', () => {
    expect(withProgrammeRules(campaign('marketing'), undefined, { variant: 'b', decidedAt: '2026-01-01T00:00:00.000Z' }).decidedWinner).toEqual({
      variant: 'b', decidedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it.each([
    [{ percent: 120 }, 'globalControl.percent', /percentage from 0 to 100/],
    [{ percent: -1 }, 'globalControl.percent', /percentage from 0 to 100/],
    [{ percent: 5, categories: ['transactional'] }, 'globalControl.categories.0', /never held back/],
    [{ percent: 5, categories: [] }, 'globalControl.categories', /at least one category/],
    [{ percent: 5, share: 3 }, 'globalControl', /share/],
  ])('rejects %j with its path', (globalControl, path, reason) => {
    const result = deliveryPolicySchema.safeParse({ frequencyCap: { perDay: 3 }, globalControl });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    expect(issues).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(reason) }]));
  });
});
