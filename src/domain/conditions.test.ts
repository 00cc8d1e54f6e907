import fc from 'fast-check';
import { evaluateCondition, FILTER_OPERATORS, GROUP_TRAITS, type FilterOperator, type HistoryView, type PropertyFilter, type UserCondition } from './conditions';

// User conditions over a history; property filters and dot paths are in conditions.filters.test.ts.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.parse('2026-03-01T12:00:00.000Z');

function filter(property: string, op: FilterOperator, value?: unknown): PropertyFilter {
  return { property, op, value };
}

describe('evaluateCondition', () => {
  const history: HistoryView = {
    events: {
      'Session Started': { count: 3, lastAt: '2026-03-01T11:00:00.000Z' },
      'Signed Up': { count: 1, lastAt: '2026-01-01T00:00:00.000Z' },
      'Viewed Pricing': { count: 2, lastAt: '2026-03-01T12:30:00+01:00' },
      Corrupt: { count: 1, lastAt: 'yesterday' },
    },
    traits: { plan: 'pro', company: { size: 50 } },
  };
  const didPurchase: UserCondition = { type: 'did', event: 'Purchased' };
  const isPro: UserCondition = { type: 'trait', filter: filter('plan', 'equals', 'pro') };
  const returning: UserCondition = { type: 'event_count', event: 'Session Started', op: 'gt', value: 1 };

  it.each<[string, UserCondition, boolean]>([
    ['trait holds', isPro, true],
    ['trait on a dot path', { type: 'trait', filter: filter('company.size', 'gte', 50) }, true],
    ['trait missing', { type: 'trait', filter: filter('country', 'exists') }, false],
    ['did: done once', { type: 'did', event: 'Signed Up' }, true],
    ['did: never done', didPurchase, false],
    ['did: latest exactly at the window start', { type: 'did', event: 'Session Started', withinMs: HOUR }, true],
    ['did: latest just before the window', { type: 'did', event: 'Session Started', withinMs: HOUR - 1 }, false],
    ['did: latest long ago', { type: 'did', event: 'Signed Up', withinMs: 7 * DAY }, false],
    ['did: lastAt with an offset is an instant', { type: 'did', event: 'Viewed Pricing', withinMs: 30 * 60_000 }, true],
    ['did: at least as often as done', { type: 'did', event: 'Session Started', atLeast: 3 }, true],
    ['did: not often enough', { type: 'did', event: 'Session Started', atLeast: 4 }, false],
    ['did: often enough but not recently', { type: 'did', event: 'Session Started', atLeast: 3, withinMs: 30 * 60_000 }, false],
    ['did: an unreadable lastAt proves no recency', { type: 'did', event: 'Corrupt', withinMs: 100 * 365 * DAY }, false],
    ['did: an unreadable lastAt still counts ever', { type: 'did', event: 'Corrupt' }, true],
    ['did: constructor is not an event', { type: 'did', event: 'constructor' }, false],
    ['did: toString is not an event', { type: 'did', event: 'toString' }, false],
    ['did_not: never done', { type: 'did_not', event: 'Purchased' }, true],
    ['did_not: done', { type: 'did_not', event: 'Signed Up' }, false],
    ['did_not: done, but outside the window', { type: 'did_not', event: 'Signed Up', withinMs: 7 * DAY }, true],
    ['did_not: done inside the window', { type: 'did_not', event: 'Session Started', withinMs: HOUR }, false],
    ['did_not: constructor', { type: 'did_not', event: 'constructor' }, true],
    ['event_count: returning user', returning, true],
    ['event_count gt: at the bound', { type: 'event_count', event: 'Session Started', op: 'gt', value: 3 }, false],
    ['event_count gte', { type: 'event_count', event: 'Session Started', op: 'gte', value: 3 }, true],
    ['event_count lt', { type: 'event_count', event: 'Session Started', op: 'lt', value: 4 }, true],
    ['event_count lte', { type: 'event_count', event: 'Session Started', op: 'lte', value: 2 }, false],
    ['event_count equals', { type: 'event_count', event: 'Session Started', op: 'equals', value: 3 }, true],
    ['event_count: never done equals 0', { type: 'event_count', event: 'Purchased', op: 'equals', value: 0 }, true],
    ['event_count: constructor counts 0', { type: 'event_count', event: 'constructor', op: 'lt', value: 1 }, true],
    ['all: empty holds', { type: 'all', conditions: [] }, true],
    ['any: empty fails', { type: 'any', conditions: [] }, false],
    ['all: every part holds', { type: 'all', conditions: [isPro, returning] }, true],
    ['all: one part fails', { type: 'all', conditions: [isPro, returning, didPurchase] }, false],
    ['any: one part holds', { type: 'any', conditions: [didPurchase, isPro] }, true],
    ['any: no part holds', { type: 'any', conditions: [didPurchase, { type: 'not', condition: isPro }] }, false],
    ['not', { type: 'not', condition: didPurchase }, true],
    ['not not', { type: 'not', condition: { type: 'not', condition: didPurchase } }, false],
    [
      'nested: returning pro-or-large user who has not bought this week',
      {
        type: 'all',
        conditions: [
          returning,
          { type: 'any', conditions: [{ type: 'trait', filter: filter('plan', 'in', ['pro', 'team']) }, { type: 'trait', filter: filter('company.size', 'gt', 100) }] },
          { type: 'not', condition: { type: 'did', event: 'Purchased', withinMs: 7 * DAY } },
        ],
      },
      true,
    ],
    [
      'nested: fails when the inner any fails',
      {
        type: 'all',
        conditions: [returning, { type: 'any', conditions: [didPurchase, { type: 'trait', filter: filter('company.size', 'gt', 100) }] }],
      },
      false,
    ],
  ])('%s', (_description, condition, expected) => {
    expect(evaluateCondition(history, condition, now)).toBe(expected);
  });
});

describe('group_trait', () => {
  const history = (traits: Record<string, unknown>): HistoryView => ({ events: {}, traits });
  const enterprise: UserCondition = { type: 'group_trait', filter: filter('plan', 'equals', 'enterprise') };

  it("holds when any of the user's groups has the trait, not on the user's own traits", () => {
    const groups = { [GROUP_TRAITS]: { acme: { plan: 'free' }, globex: { plan: 'enterprise', seats: 40 } } };
    expect(evaluateCondition(history(groups), enterprise, now)).toBe(true);
    expect(evaluateCondition(history({ [GROUP_TRAITS]: { acme: { plan: 'free' } } }), enterprise, now)).toBe(false);
    expect(evaluateCondition(history({ plan: 'enterprise' }), enterprise, now)).toBe(false);
    expect(evaluateCondition(history(groups), { type: 'group_trait', filter: filter('seats', 'gte', 40) }, now)).toBe(true);
  });

  it('matches nothing for a user in no group or with malformed group traits', () => {
    expect(evaluateCondition(history({}), enterprise, now)).toBe(false);
    expect(evaluateCondition(history({ [GROUP_TRAITS]: 'acme' }), enterprise, now)).toBe(false);
    expect(evaluateCondition(history({ [GROUP_TRAITS]: { acme: null } }), enterprise, now)).toBe(false);
    expect(evaluateCondition(history({ [GROUP_TRAITS]: {} }), { type: 'not', condition: enterprise }, now)).toBe(true);
  });
});

describe('condition properties', () => {
  const keys = ['a', 'b', 'c'] as const;
  const paths = ['a', 'b', 'c', 'a.b', 'a.0', 'b.c.0', 'missing'];
  const eventNames = ['A', 'B', 'C', 'constructor'];
  const isoArb = fc
    .date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true })
    .map((date) => date.toISOString());
  const historyArb: fc.Arbitrary<HistoryView> = fc.record({
    events: fc.dictionary(fc.constantFrom('A', 'B', 'C'), fc.record({ count: fc.integer({ min: 1, max: 5 }), lastAt: isoArb })),
    traits: fc.dictionary(fc.constantFrom(...keys), fc.jsonValue()),
  });
  const nowArb = fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') });
  const windowArb = fc.option(fc.integer({ min: 0, max: 400 * DAY }), { nil: undefined });


  const conditionArb = fc.letrec<{ condition: UserCondition }>((tie) => ({
    condition: fc.oneof(
      { depthSize: 'small' },
      fc.record({
        type: fc.constant('trait' as const),
        filter: fc.record({ property: fc.constantFrom(...paths), op: fc.constantFrom(...FILTER_OPERATORS), value: fc.jsonValue() }),
      }),
      fc.record({
        type: fc.constant('did' as const),
        event: fc.constantFrom(...eventNames),
        withinMs: windowArb,
        atLeast: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      }),
      fc.record({ type: fc.constant('did_not' as const), event: fc.constantFrom(...eventNames), withinMs: windowArb }),
      fc.record({
        type: fc.constant('event_count' as const),
        event: fc.constantFrom(...eventNames),
        op: fc.constantFrom('gt' as const, 'gte' as const, 'lt' as const, 'lte' as const, 'equals' as const),
        value: fc.integer({ min: 0, max: 6 }),
      }),
      fc.record({ type: fc.constant('all' as const), conditions: fc.array(tie('condition'), { maxLength: 3 }) }),
      fc.record({ type: fc.constant('any' as const), conditions: fc.array(tie('condition'), { maxLength: 3 }) }),
      fc.record({ type: fc.constant('not' as const), condition: tie('condition') }),
    ),
  })).condition;

  it('not negates its condition', () => {
    fc.assert(
      fc.property(historyArb, conditionArb, nowArb, (history, condition, at) => {
        expect(evaluateCondition(history, { type: 'not', condition }, at)).toBe(!evaluateCondition(history, condition, at));
      }),
    );
  });

  it('did_not negates did with the same window', () => {
    fc.assert(
      fc.property(historyArb, fc.constantFrom(...eventNames), windowArb, nowArb, (history, event, withinMs, at) => {
        const did = evaluateCondition(history, { type: 'did', event, withinMs }, at);
        expect(evaluateCondition(history, { type: 'did_not', event, withinMs }, at)).toBe(!did);
      }),
    );
  });

  it('did within a smaller window implies did within a larger one, and without one', () => {
    const windows = fc.tuple(fc.integer({ min: 0, max: 400 * DAY }), fc.integer({ min: 0, max: 400 * DAY }));
    const atLeastArb = fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined });
    fc.assert(
      fc.property(historyArb, fc.constantFrom(...eventNames), windows, atLeastArb, nowArb, (history, event, [first, second], atLeast, at) => {
        const [smaller, larger] = first <= second ? [first, second] : [second, first];
        const inSmaller = evaluateCondition(history, { type: 'did', event, withinMs: smaller, atLeast }, at);
        const inLarger = evaluateCondition(history, { type: 'did', event, withinMs: larger, atLeast }, at);
        const ever = evaluateCondition(history, { type: 'did', event, atLeast }, at);
        if (inSmaller) expect(inLarger).toBe(true);
        if (inLarger) expect(ever).toBe(true);
      }),
    );
  });
});
