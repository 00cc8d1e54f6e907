import { compileCampaign } from './campaign-compile';
import { validateCampaign } from './campaign-validation';

/** A campaign with a goal and an offer in two variants; each test breaks one thing. */
function experiment(overrides: Record<string, unknown> = {}) {
  return {
    id: 'offer',
    name: 'Offer',
    entry: { event: 'Viewed Pricing' },
    goal: { event: 'Completed Purchase', within: '7 days', filters: [{ property: 'total', op: 'gt', value: 0 }] },
    holdout: 10,
    templates: {
      ten: { channel: 'email', subject: '10% off', text: 'Code {{ variables.code }}' },
      twenty: { channel: 'email', subject: '20% off', text: 'Code {{ variables.code }}' },
    },
    steps: [
      {
        id: 'offer',
        type: 'message',
        variants: [
          { name: 'ten', percent: 50, template: 'ten', variables: { code: 'TEN' } },
          { name: 'twenty', percent: 50, template: 'twenty', variables: { code: 'TWENTY' } },
        ],
      },
    ],
    winner: { metric: 'conversion_rate', minSamples: 500 },
    ...overrides,
  };
}

function problemsOf(input: unknown) {
  const result = validateCampaign(input);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('experiments in campaign definitions', () => {
  it('accepts a holdout, message variants, a goal with filters and a winner rule, and compiles them', () => {
    const result = validateCampaign(experiment());
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const campaign = compileCampaign(result.definition, 3);
    expect(campaign.holdout).toBe(10);
    expect(campaign.goal).toEqual({ event: 'Completed Purchase', withinMs: 7 * 86_400_000, exit: true, filters: [{ property: 'total', op: 'gt', value: 0 }] });
    expect(campaign.winner).toEqual({ metric: 'conversion_rate', minSamples: 500, auto: false });
    const step = campaign.steps[0]!;
    expect(step.type === 'message' && step.variants?.map((v) => [v.name, v.template, v.channel, v.variables])).toEqual([
      ['ten', 'ten', 'email', { code: 'TEN' }],
      ['twenty', 'twenty', 'email', { code: 'TWENTY' }],
    ]);
  });

  it('leaves a campaign without an experiment as it compiled before', () => {
    const result = validateCampaign(experiment({ holdout: 0, winner: undefined, steps: [{ id: 'offer', type: 'message', template: 'ten', variables: { code: 'X' } }] }));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const campaign = compileCampaign(result.definition, 1);
    expect('holdout' in campaign).toBe(false);
    expect('variants' in campaign.steps[0]!).toBe(false);
  });

  it('accepts an automatic winner and first-touch attribution; last touch, the default, compiles to nothing', () => {
    const result = validateCampaign(experiment({
      goal: { event: 'Completed Purchase', within: '7 days', attribution: 'first_touch' },
      winner: { metric: 'conversion_rate', after: '3 days', auto: true },
    }));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const campaign = compileCampaign(result.definition, 1);
    expect(campaign.winner).toEqual({ metric: 'conversion_rate', after: '3 days', afterMs: 3 * 86_400_000, auto: true });
    expect(campaign.goal?.attribution).toBe('first_touch');
    const last = validateCampaign(experiment({ goal: { event: 'Completed Purchase', within: '7 days', attribution: 'last_touch' } }));
    expect(last.ok && compileCampaign(last.definition, 1).goal).toEqual({ event: 'Completed Purchase', withinMs: 7 * 86_400_000, exit: true });
  });

  it.each([
    ['a holdout over 100', { holdout: 120 }, 'holdout', /percentage from 0 to 100/],
    ['a negative holdout', { holdout: -1 }, 'holdout', /percentage from 0 to 100/],
    ['a holdout that is no number', { holdout: 'ten' }, 'holdout', /percentage/],
    ['a goal on an unknown field', { goal: { event: 'Completed Purchase', within: '7 days', windw: '2 days' } }, 'goal', /windw/],
    ['a goal filter with a bad operator', { goal: { event: 'Completed Purchase', within: '7 days', filters: [{ property: 'x', op: 'near', value: 1 }] } }, 'goal.filters[0].op', /must be one of/],
    [
      'message variant shares that do not add up',
      { steps: [{ id: 'offer', type: 'message', variants: [{ name: 'a', percent: 50, template: 'ten', variables: { code: 'A' } }, { name: 'b', percent: 30, template: 'twenty', variables: { code: 'B' } }] }] },
      'steps[0].variants',
      /add up to 80, not 100/,
    ],
    [
      'a message variant naming a missing template',
      { steps: [{ id: 'offer', type: 'message', variants: [{ name: 'a', percent: 50, template: 'ten', variables: { code: 'A' } }, { name: 'b', percent: 50, template: 'fifty', variables: { code: 'B' } }] }] },
      'steps[0].variants[1].template',
      /"fifty" is not a template/,
    ],
    [
      'a message step with both a template and variants',
      { steps: [{ id: 'offer', type: 'message', template: 'ten', variants: [{ name: 'a', percent: 50, template: 'ten' }, { name: 'b', percent: 50, template: 'twenty' }] }] },
      'steps[0]',
      /either a template or variants/,
    ],
    [
      'a variant called like the held-out group',
      { steps: [{ id: 'offer', type: 'message', variants: [{ name: 'holdout', percent: 50, template: 'ten', variables: { code: 'A' } }, { name: 'b', percent: 50, template: 'twenty', variables: { code: 'B' } }] }] },
      'steps[0].variants[0].name',
      /name of a control group/,
    ],
    [
      'a variant that does not set a variable its template uses',
      { steps: [{ id: 'offer', type: 'message', variants: [{ name: 'a', percent: 50, template: 'ten' }, { name: 'b', percent: 50, template: 'twenty', variables: { code: 'B' } }] }] },
      'templates.ten.text',
      /variables.code is not set by step "offer=a"/,
    ],
    [
      'two steps with variants',
      {
        steps: [
          { id: 'ab', type: 'split', variants: [{ name: 'a', percent: 50, next: 'next' }, { name: 'b', percent: 50, next: 'next' }] },
          { id: 'offer', type: 'message', variants: [{ name: 'c', percent: 50, template: 'ten', variables: { code: 'A' } }, { name: 'd', percent: 50, template: 'twenty', variables: { code: 'B' } }] },
        ],
      },
      'steps[1].variants',
      /only one step may have variants/,
    ],
    ['a winner rule that never decides', { winner: { metric: 'conversion_rate' } }, 'winner', /minSamples .* or after/],
    ['a winner on an unknown metric', { winner: { metric: 'opens', minSamples: 10 } }, 'winner.metric', /must be conversion_rate/],
    ['a winner without a goal', { goal: undefined }, 'winner', /needs a goal/],
    ['an automatic winner without a metric', { winner: { minSamples: 10, auto: true } }, 'winner.metric', /must be conversion_rate/],
    ['an automatic winner that never decides', { winner: { metric: 'conversion_rate', auto: true } }, 'winner', /minSamples .* or after/],
    ['an automatic winner without variants', { steps: [{ id: 'offer', type: 'message', template: 'ten', variables: { code: 'A' } }], winner: { metric: 'conversion_rate', minSamples: 10, auto: true } }, 'winner', /needs variants/],
    ['an unknown attribution', { goal: { event: 'Completed Purchase', within: '7 days', attribution: 'linear' } }, 'goal.attribution', /must be one of last_touch, first_touch, none/],
  ])('rejects %s with its path and reason', (_label, overrides, path, reason) => {
    expect(problemsOf(experiment(overrides))).toEqual(expect.arrayContaining([{ path, reason: expect.stringMatching(reason) }]));
  });
});
