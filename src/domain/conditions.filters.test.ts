import fc from 'fast-check';
import { matchesAllFilters, matchesFilter, readPath, type FilterOperator, type PropertyFilter } from './conditions';

// Property filters and dot paths; user conditions are in conditions.test.ts.

function filter(property: string, op: FilterOperator, value?: unknown): PropertyFilter {
  return { property, op, value };
}

describe('readPath', () => {
  const fromJson = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
  it.each<[string, unknown, string, unknown]>([
    ['a top-level key', { plan: 'pro' }, 'plan', 'pro'],
    ['a nested key', { cart: { total: 5 } }, 'cart.total', 5],
    ['a falsy leaf', { a: { b: { c: false } } }, 'a.b.c', false],
    ['null as a value', { a: null }, 'a', null],
    ['an array element', { items: [{ sku: 'a' }] }, 'items.0.sku', 'a'],
    ['an own key named constructor', { constructor: 'own' }, 'constructor', 'own'],
    ['nothing past the end of an array', { items: [{ sku: 'a' }] }, 'items.1.sku', undefined],
    ['nothing for array length', { items: [1, 2] }, 'items.length', undefined],
    ['nothing for a non-canonical index', { items: ['a', 'b'] }, 'items.01', undefined],
    ['nothing for a missing key', { plan: 'pro' }, 'tier', undefined],
    ['nothing below null', { a: null }, 'a.b', undefined],
    ['nothing inside a string', { a: 'text' }, 'a.length', undefined],
    ['nothing from a null source', null, 'a', undefined],
    ['nothing from a primitive source', 42, 'a', undefined],
    ['nothing for __proto__', {}, '__proto__', undefined],
    ['nothing for __proto__.x even when JSON made it an own key', fromJson, '__proto__.x', undefined],
    ['nothing for an inherited constructor', {}, 'constructor', undefined],
    ['nothing for constructor.name', {}, 'constructor.name', undefined],
    ['nothing for toString', {}, 'toString', undefined],
    ['nothing for an inherited key', Object.create({ inherited: 1 }) as unknown, 'inherited', undefined],
  ])('reads %s', (_description, source, path, expected) => {
    expect(readPath(source, path)).toEqual(expected);
  });
});

describe('matchesFilter', () => {
  const source = {
    plan: 'pro',
    count: 3,
    zero: 0,
    empty: '',
    off: false,
    nothing: null,
    notANumber: Number.NaN,
    infinite: Number.POSITIVE_INFINITY,
    negativeZero: -0,
    tags: ['a', 'b'],
    items: [{ sku: 'x1', qty: 2 }],
    address: { city: 'Oslo', zip: '0150' },
    greeting: 'Hello world',
    signedUpAt: '2026-01-02T00:00:00Z',
    numeric: '5',
  };

  it.each<[string, PropertyFilter, boolean]>([
    // equals / not_equals
    ['equals a string', filter('plan', 'equals', 'pro'), true],
    ['equals: a different string', filter('plan', 'equals', 'free'), false],
    ['equals: no number/string coercion', filter('count', 'equals', '3'), false],
    ['equals null', filter('nothing', 'equals', null), true],
    ['equals: missing never equals, not even undefined', filter('missing', 'equals', undefined), false],
    ['equals: missing vs a value', filter('missing', 'equals', 'x'), false],
    ['equals: arrays deeply', filter('tags', 'equals', ['a', 'b']), true],
    ['equals: array order matters', filter('tags', 'equals', ['b', 'a']), false],
    ['equals: objects ignore key order', filter('address', 'equals', { zip: '0150', city: 'Oslo' }), true],
    ['equals: an extra key differs', filter('address', 'equals', { city: 'Oslo', zip: '0150', x: 1 }), false],
    ['equals: an array is not an index-keyed object', filter('tags', 'equals', { 0: 'a', 1: 'b' }), false],
    ['equals: NaN is strict-unequal to itself', filter('notANumber', 'equals', Number.NaN), false],
    ['equals: -0 is strict-equal to 0', filter('negativeZero', 'equals', 0), true],
    ['equals through an array path', filter('items.0.sku', 'equals', 'x1'), true],
    ['not_equals: missing counts as different', filter('missing', 'not_equals', 'x'), true],
    ['not_equals: null vs a string', filter('nothing', 'not_equals', 'x'), true],
    ['not_equals: the same value', filter('plan', 'not_equals', 'pro'), false],
    ['not_equals: a deeply equal value', filter('items', 'not_equals', [{ qty: 2, sku: 'x1' }]), false],
    ['not_equals: a type mismatch', filter('count', 'not_equals', '3'), true],
    // in / not_in
    ['in a list', filter('plan', 'in', ['free', 'pro']), true],
    ['in: not listed', filter('plan', 'in', ['free', 'team']), false],
    ['in: missing', filter('missing', 'in', ['x']), false],
    ['in: deep membership', filter('address', 'in', [{ city: 'Oslo', zip: '0150' }]), true],
    ['in: null listed', filter('nothing', 'in', [null]), true],
    ['in: no coercion', filter('count', 'in', ['3']), false],
    ['in: a non-array value is malformed', filter('plan', 'in', 'pro'), false],
    ['not_in: missing', filter('missing', 'not_in', ['x']), true],
    ['not_in: not listed', filter('plan', 'not_in', ['free']), true],
    ['not_in: listed', filter('plan', 'not_in', ['pro']), false],
    ['not_in: a non-array value is malformed', filter('plan', 'not_in', 'free'), false],
    ['not_in: a non-array value is malformed even when missing', filter('missing', 'not_in', undefined), false],
    // gt / gte / lt / lte on numbers
    ['gt numbers', filter('count', 'gt', 2), true],
    ['gt: equal numbers', filter('count', 'gt', 3), false],
    ['gte: equal numbers', filter('count', 'gte', 3), true],
    ['lt numbers', filter('count', 'lt', 4), true],
    ['lte: equal numbers', filter('count', 'lte', 3), true],
    ['lte: smaller bound', filter('count', 'lte', 2), false],
    ['gt through an array path', filter('items.0.qty', 'gt', 1), true],
    ['gt: numeric string vs number', filter('numeric', 'gt', 3), false],
    ['lt: number vs numeric string', filter('count', 'lt', '5'), false],
    ['gt: NaN', filter('notANumber', 'gt', 1), false],
    ['lt: NaN', filter('notANumber', 'lt', 1), false],
    ['gt: Infinity is not finite', filter('infinite', 'gt', 1), false],
    ['gte: missing', filter('missing', 'gte', 0), false],
    ['lte: null is not zero', filter('nothing', 'lte', 0), false],
    ['gt: booleans do not order', filter('off', 'lt', true), false],
    ['gt: objects do not order', filter('address', 'gt', { city: 'A' }), false],
    // gt / gte / lt / lte on strings and date-times
    ['gt: later ISO date-time', filter('signedUpAt', 'gt', '2026-01-01T00:00:00Z'), true],
    ['lt: later ISO date-time', filter('signedUpAt', 'lt', '2026-01-01T00:00:00Z'), false],
    ['lt: offsets compare as instants, not text', filter('signedUpAt', 'lt', '2026-01-01T23:30:00-01:00'), true],
    ['gte: one instant spelled two ways', filter('signedUpAt', 'gte', '2026-01-02T01:00:00+01:00'), true],
    ['gt: one instant spelled two ways', filter('signedUpAt', 'gt', '2026-01-02T01:00:00+01:00'), false],
    ['lte: trailing fraction zeros', filter('signedUpAt', 'lte', '2026-01-02T00:00:00.000Z'), true],
    ['gt: ISO string vs epoch number', filter('signedUpAt', 'gt', 0), false],
    ['lt: ISO string vs epoch number', filter('signedUpAt', 'lt', Date.parse('2027-01-01T00:00:00Z')), false],
    ['gt: lexicographic strings', filter('plan', 'gt', 'free'), true],
    ['lt: lexicographic by code unit', filter('plan', 'lt', 'Zed'), false],
    ['gt: lexicographic, not numeric', filter('address.zip', 'gt', '02'), false],
    ['gt: ISO vs plain text compares as text', filter('signedUpAt', 'gt', '2025'), true],
    // exists / not_exists
    ['exists: a string', filter('plan', 'exists'), true],
    ['exists: zero', filter('zero', 'exists'), true],
    ['exists: empty string', filter('empty', 'exists'), true],
    ['exists: false', filter('off', 'exists'), true],
    ['exists: null', filter('nothing', 'exists'), false],
    ['exists: missing', filter('missing', 'exists'), false],
    ['exists: __proto__', filter('__proto__', 'exists'), false],
    ['not_exists: null', filter('nothing', 'not_exists'), true],
    ['not_exists: missing', filter('missing.deeper', 'not_exists'), true],
    ['not_exists: constructor', filter('constructor', 'not_exists'), true],
    ['not_exists: present', filter('zero', 'not_exists'), false],
    // contains
    ['contains a substring', filter('greeting', 'contains', 'lo w'), true],
    ['contains: case-sensitive', filter('greeting', 'contains', 'hello'), false],
    ['contains: the empty substring', filter('greeting', 'contains', ''), true],
    ['contains: a number in a string', filter('address.zip', 'contains', 150), false],
    ['contains an array element', filter('tags', 'contains', 'b'), true],
    ['contains: an absent element', filter('tags', 'contains', 'c'), false],
    ['contains an equal object element', filter('items', 'contains', { qty: 2, sku: 'x1' }), true],
    ['contains: no coercion in arrays', filter('items.0.qty', 'contains', '2'), false],
    ['contains: a number is not a container', filter('count', 'contains', 3), false],
    ['contains: an object is not a container', filter('address', 'contains', 'city'), false],
    ['contains: missing', filter('missing', 'contains', 'x'), false],
  ])('%s', (_description, tested, expected) => {
    expect(matchesFilter(source, tested)).toBe(expected);
  });

  it.each<[string, string, FilterOperator, string, boolean]>([
    ['fractions compare by value', '2026-01-01T00:00:00.5Z', 'gt', '2026-01-01T00:00:00.45Z', true],
    ['sub-millisecond precision is kept', '2026-01-01T00:00:00.0001Z', 'lt', '2026-01-01T00:00:00.0002Z', true],
    ['seconds may be omitted', '2026-01-01T00:00Z', 'lte', '2026-01-01T00:00:00.000Z', true],
    ['minutes precision orders against seconds', '2026-01-01T00:01Z', 'gt', '2026-01-01T00:00:59Z', true],
    ['offsets cross a year boundary', '2025-12-31T23:30:00-01:00', 'gt', '2026-01-01T00:00:00Z', true],
    ['two-digit years are not read as 19xx', '0099-12-31T23:00:00-02:00', 'lt', '1999-12-31T00:00:00Z', true],
    ['without an offset strings compare as text', '2026-01-01T03:00:00', 'gt', '2026-01-01T09:00:00+09:00', false],
    ['an impossible date compares as text, not rolled over', '2026-02-30T00:00:00Z', 'gt', '2026-03-01T00:00:00Z', false],
  ])('date-times: %s', (_description, actual, op, expected, result) => {
    expect(matchesFilter({ at: actual }, filter('at', op, expected))).toBe(result);
  });
});

describe('matchesAllFilters', () => {
  const source = { plan: 'pro', seats: 10 };
  it.each<[string, readonly PropertyFilter[] | undefined, boolean]>([
    ['no filters', undefined, true],
    ['an empty list', [], true],
    ['all hold', [filter('plan', 'equals', 'pro'), filter('seats', 'gte', 10)], true],
    ['one fails', [filter('plan', 'equals', 'pro'), filter('seats', 'gt', 10)], false],
  ])('%s', (_description, filters, expected) => {
    expect(matchesAllFilters(source, filters)).toBe(expected);
  });
});

describe('filter properties', () => {
  const keys = ['a', 'b', 'c'] as const;
  const paths = ['a', 'b', 'c', 'a.b', 'a.0', 'b.c.0', 'missing'];
  const sourceArb = fc.dictionary(fc.constantFrom(...keys), fc.jsonValue());

  /** Either a random value or a copy of the one at the path, so equal cases occur often. */
  function valueFor(source: unknown, property: string, random: unknown, reuse: boolean): unknown {
    return reuse ? structuredClone(readPath(source, property)) : random;
  }

  it('not_equals negates equals whenever the property exists', () => {
    fc.assert(
      fc.property(sourceArb, fc.constantFrom(...paths), fc.jsonValue(), fc.boolean(), (source, property, random, reuse) => {
        const value = valueFor(source, property, random, reuse);
        const equals = matchesFilter(source, filter(property, 'equals', value));
        const notEquals = matchesFilter(source, filter(property, 'not_equals', value));
        if (readPath(source, property) === undefined) expect([equals, notEquals]).toEqual([false, true]);
        else expect(notEquals).toBe(!equals);
      }),
    );
  });

  it('not_in negates in whenever the property exists', () => {
    fc.assert(
      fc.property(sourceArb, fc.constantFrom(...paths), fc.array(fc.jsonValue(), { maxLength: 4 }), fc.boolean(), (source, property, list, reuse) => {
        const value = reuse ? [...list, structuredClone(readPath(source, property))] : list;
        const inList = matchesFilter(source, filter(property, 'in', value));
        const notInList = matchesFilter(source, filter(property, 'not_in', value));
        if (readPath(source, property) === undefined) expect([inList, notInList]).toEqual([false, true]);
        else expect(notInList).toBe(!inList);
      }),
    );
  });

  it('exists xor not_exists', () => {
    fc.assert(
      fc.property(sourceArb, fc.constantFrom(...paths, '__proto__', 'constructor'), (source, property) => {
        expect(matchesFilter(source, filter(property, 'exists'))).toBe(!matchesFilter(source, filter(property, 'not_exists')));
      }),
    );
  });

  it('gt and lt are antisymmetric on finite numbers', () => {
    const finite = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(finite, finite, (left, right) => {
        const gt = matchesFilter({ x: left }, filter('x', 'gt', right));
        const lt = matchesFilter({ x: left }, filter('x', 'lt', right));
        expect(gt).toBe(matchesFilter({ x: right }, filter('x', 'lt', left)));
        expect(gt && lt).toBe(false);
        expect(gt || lt).toBe(left !== right);
        expect(matchesFilter({ x: left }, filter('x', 'gte', right))).toBe(!lt);
      }),
    );
  });

  it('date-times with any offset order as the instants they denote', () => {
    const instant = fc.record({
      ms: fc.integer({ min: Date.parse('1000-01-02T00:00:00Z'), max: Date.parse('9998-12-30T00:00:00Z') }),
      offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    });
    const format = ({ ms, offsetMinutes }: { ms: number; offsetMinutes: number }): string => {
      const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
      const magnitude = Math.abs(offsetMinutes);
      const pad = (part: number): string => String(part).padStart(2, '0');
      return `${local}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(magnitude / 60))}:${pad(magnitude % 60)}`;
    };
    fc.assert(
      fc.property(instant, instant, (left, right) => {
        expect(matchesFilter({ at: format(left) }, filter('at', 'gt', format(right)))).toBe(left.ms > right.ms);
        expect(matchesFilter({ at: format(left) }, filter('at', 'lte', format(right)))).toBe(left.ms <= right.ms);
      }),
    );
  });
});
