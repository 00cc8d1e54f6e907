import fc from 'fast-check';
import { formatPath, validateCampaign } from './campaign-validation';

/** A valid campaign to vary: each test breaks one thing. */
function campaign(overrides: Record<string, unknown> = {}) {
  return {
    id: 'offer',
    name: 'Offer',
    entry: { event: 'Viewed Pricing' },
    templates: {
      inbox: { channel: 'in_app', title: 'Hi', body: 'There' },
      mail: { channel: 'email', subject: 'Hi', text: 'There' },
    },
    steps: [
      { id: 'first', type: 'message', template: 'inbox' },
      { id: 'pause', type: 'wait', duration: '4 hours' },
      { id: 'second', type: 'message', template: 'mail' },
    ],
    ...overrides,
  };
}

function problemsOf(input: unknown) {
  const result = validateCampaign(input);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('validateCampaign', () => {
  it('accepts a valid campaign and fills the defaults', () => {
    const result = validateCampaign(campaign());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.definition.reentry).toEqual({ mode: 'every_time' });
      expect(result.definition.category).toBe('marketing');
      expect(result.definition.allowConcurrent).toBe(false);
    }
  });

  it.each([
    ['a duration that does not parse', { steps: [{ id: 'w', type: 'wait', duration: '4 hourz' }] }, 'steps[0].duration', /"4 hourz" is not a duration/],
    ['an unknown channel', { templates: { t: { channel: 'fax', title: 'x', body: 'y' } }, steps: [{ id: 's', type: 'message', template: 't' }] }, 'templates.t.channel', /in_app, push, email, webhook/],
    ['an unknown template', { steps: [{ id: 's', type: 'message', template: 'nope' }] }, 'steps[0].template', /"nope" is not a template of this campaign \(known: inbox, mail\)/],
    ['an unknown filter operator', { entry: { event: 'X', filters: [{ property: 'plan', op: 'like', value: 'pro' }] } }, 'entry.filters[0].op', /must be one of equals, not_equals/],
    ['a filter without its value', { entry: { event: 'X', filters: [{ property: 'plan', op: 'equals' }] } }, 'entry.filters[0].value', /is required for "equals"/],
    ['an unknown step type', { steps: [{ id: 's', type: 'teleport' }] }, 'steps[0].type', /message, wait, wait_until/],
    ['an unknown field', { steps: [{ id: 's', type: 'wait', duration: '1h', durations: '2h' }] }, 'steps[0]', /durations/],
    ['a bad local time', { steps: [{ id: 's', type: 'wait_until', at: '25:00' }] }, 'steps[0].at', /24-hour time/],
    ['a bad time zone', { steps: [{ id: 's', type: 'wait_until', at: '10:00', fallbackTimezone: 'Mars/Olympus' }] }, 'steps[0].fallbackTimezone', /IANA time zone/],
    ['a jump to a missing step', { steps: [{ id: 'a', type: 'wait', duration: '1h', next: 'zzz' }] }, 'steps[0].next', /"zzz" is not a step id/],
    ['a duplicate step id', { steps: [{ id: 'a', type: 'wait', duration: '1h' }, { id: 'a', type: 'wait', duration: '2h' }] }, 'steps[1].id', /already the id of steps\[0\]/],
    ['a split that does not add up to 100', { steps: [{ id: 's', type: 'split', variants: [{ name: 'a', percent: 50, next: 'exit' }, { name: 'b', percent: 40, next: 'exit' }] }] }, 'steps[0].variants', /add up to 90, not 100/],
    ['an unreachable step', { steps: [{ id: 'a', type: 'exit' }, { id: 'b', type: 'wait', duration: '1h' }] }, 'steps[1]', /step "b" is unreachable/],
    ['a loop back to an earlier step', { steps: [{ id: 'a', type: 'wait', duration: '1h' }, { id: 'b', type: 'branch', condition: { type: 'did', event: 'X' }, then: 'a', else: 'exit' }] }, 'steps[1].then', /leads back to an earlier step/],
    ['a step that jumps to itself', { steps: [{ id: 'a', type: 'wait', duration: '1h', next: 'a' }] }, 'steps[0].next', /leads back/],
    ['a reserved step id', { steps: [{ id: 'exit', type: 'wait', duration: '1h' }] }, 'steps[0].id', /reserved/],
    ['a template that is not Liquid', { templates: { inbox: { channel: 'in_app', title: 'Hi {{ oops', body: 'x' }, mail: { channel: 'email', subject: 'Hi', text: 'There' } } }, 'templates.inbox.title', /not a valid Liquid template/],
    ['a bad re-entry mode', { reentry: { mode: 'sometimes' } }, 'reentry.mode', /once, every_time or once_per/],
    // Found by the fuzz (test/fuzz): a duration this long passed, and the user workflow's absence deadline (now + within) was no date: a workflow task failure for every user who entered.
    ['an absence window past any date', { entry: { event: 'X', absence: { events: ['Y'], within: '14285000 weeks' } } }, 'entry.absence.within', /longer than 36500 days/],
    ['a wait past 100 years', { steps: [{ id: 'w', type: 'wait', duration: '36501 days' }] }, 'steps[0].duration', /longer than 36500 days \(100 years\)/],
    // Found by the fuzz (test/fuzz): a `next` on a step that jumps by its own fields was ignored without a word, even naming no step.
    ['a next on a step that jumps by its own fields', { steps: [{ id: 'w', type: 'wait_for_event', event: 'Bought', timeout: '1h', onEvent: 'exit', onTimeout: 'exit', next: 'nowhere' }] }, 'steps[0].next', /wait_for_event step goes on by onEvent and onTimeout/],
  ])('rejects %s with its path and reason', (_label, overrides, path, reason) => {
    const problems = problemsOf(campaign(overrides));
    expect(problems).toEqual(expect.arrayContaining([{ path, reason: expect.stringMatching(reason) }]));
  });

  it('follows every branch when checking reachability', () => {
    const result = validateCampaign(
      campaign({
        steps: [
          { id: 'wait', type: 'wait_for_event', event: 'Bought', timeout: '48h', onEvent: 'thanks', onTimeout: 'offer' },
          { id: 'offer', type: 'message', template: 'mail', next: 'exit' },
          { id: 'thanks', type: 'message', template: 'inbox' },
        ],
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('never throws, whatever it is given, and names a path for each problem', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateCampaign(value);
        if (!result.ok) for (const problem of result.problems) expect(typeof problem.path).toBe('string');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.record({ steps: fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), type: fc.constantFrom('wait', 'exit', 'split', 'branch'), duration: fc.string(), next: fc.constantFrom('a', 'b', 'next', 'exit', 'x') }, { requiredKeys: ['id', 'type'] })) }), (partial) => {
        const result = validateCampaign(campaign(partial));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets', () => {
    expect(formatPath(['steps', 2, 'variants', 0, 'next'])).toBe('steps[2].variants[0].next');
    expect(formatPath([])).toBe('');
  });
});

describe('group traits and event context in conditions', () => {
  it('accepts group_trait conditions and $context filters', () => {
    const entry = {
      event: 'Viewed Pricing',
      filters: [{ property: '$context.deviceType', op: 'equals', value: 'ios' }],
      conditions: [{ type: 'group_trait', filter: { property: 'plan', op: 'equals', value: 'enterprise' } }],
    };
    expect(validateCampaign(campaign({ entry })).ok).toBe(true);
  });

  it('rejects a bad group_trait and an unknown context field, naming the path', () => {
    const entry = {
      event: 'Viewed Pricing',
      filters: [{ property: '$context.device', op: 'equals', value: 'ios' }],
      conditions: [{ type: 'group_trait', filter: { property: 'plan', op: 'is' } }, { type: 'group_trait', property: 'plan' }],
    };
    expect(problemsOf(campaign({ entry }))).toEqual([
      { path: 'entry.filters[0].property', reason: '"$context." must be followed by one of deviceType, os, appVersion, locale, utmCampaign' },
      { path: 'entry.conditions[0].filter.op', reason: expect.stringMatching(/^must be one of equals/) },
      { path: 'entry.conditions[1].filter', reason: expect.any(String) },
      { path: 'entry.conditions[1]', reason: 'Unrecognized key: "property"' },
    ]);
  });
});

describe('delivery settings and template variables', () => {
  it('accepts a campaign cap and a quiet-hours choice, and rejects bad ones with their path', () => {
    expect(validateCampaign(campaign({ delivery: { perDay: 1, duringQuietHours: 'skip' } })).ok).toBe(true);
    expect(problemsOf(campaign({ delivery: { perDay: 0, duringQuietHours: 'later' } }))).toEqual([
      { path: 'delivery.perDay', reason: 'must be at least 1' },
      { path: 'delivery.duringQuietHours', reason: 'must be defer or skip' },
    ]);
  });

  it('rejects a variable no campaign provides, naming the template field', () => {
    const templates = { inbox: { channel: 'in_app', title: 'Hi {{ user.name }}', body: 'There' }, mail: { channel: 'email', subject: 'Hi', text: 'x' } };
    expect(problemsOf(campaign({ templates }))).toEqual([
      { path: 'templates.inbox.title', reason: '"user" is not a template variable (use traits, entry, variables, unsubscribeUrl)' },
    ]);
  });

  it('rejects a step variable that a step using the template does not set', () => {
    const templates = { inbox: { channel: 'in_app', title: 'Code {{ variables.code }}', body: 'B' }, mail: { channel: 'email', subject: 'S', text: 'T' } };
    const steps = [
      { id: 'first', type: 'message', template: 'inbox', variables: { code: 'A1' } },
      { id: 'second', type: 'message', template: 'inbox' },
      { id: 'third', type: 'message', template: 'mail' },
    ];
    expect(problemsOf(campaign({ templates, steps }))).toEqual([
      { path: 'templates.inbox.title', reason: 'variables.code is not set by step "second", which uses this template' },
    ]);
  });

  it('checks the leaves of a webhook body and keeps unsubscribeUrl to email', () => {
    const templates = {
      inbox: { channel: 'in_app', title: '{{ unsubscribeUrl }}', body: 'B' },
      mail: { channel: 'webhook', url: 'https://example.test/hook', body: { deep: { list: ['{{ secret }}'] } } },
    };
    expect(problemsOf(campaign({ templates }))).toEqual([
      { path: 'templates.inbox.title', reason: 'unsubscribeUrl exists only in email templates' },
      { path: 'templates.mail.body.deep.list[0]', reason: '"secret" is not a template variable (use traits, entry, variables, unsubscribeUrl)' },
    ]);
  });

  it('accepts traits and entry properties, with or without a default, and loop variables', () => {
    const templates = {
      inbox: { channel: 'in_app', title: "{{ traits.firstName | default: 'there' }} {{ entry.plan }}", body: '{% for p in entry.items %}{{ p.name }}{% endfor %}' },
      mail: { channel: 'email', subject: 'S', text: 'T {{ unsubscribeUrl }}' },
    };
    expect(validateCampaign(campaign({ templates })).ok).toBe(true);
  });
});
