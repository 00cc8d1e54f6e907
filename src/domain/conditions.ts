// Campaign conditions: pure and deterministic, because Temporal workflow code imports this module.

export const FILTER_OPERATORS = ['equals', 'not_equals', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists', 'contains'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** A test on one property; `property` is a dot path into the object ("plan", "cart.total", "items.0.sku"). */
export interface PropertyFilter {
  property: string;
  op: FilterOperator;
  value?: unknown;
}

/** What the user workflow knows about a user's history (a subset of UserState; the caller passes its state). */
export interface HistoryView {
  /** Per event name: total count over the user's life and the ISO timestamp of the latest. */
  events: Record<string, { count: number; lastAt: string }>;
  /** Latest traits (from identify), any JSON. */
  traits: Record<string, unknown>;
}

/**
 * The trait under which the user workflow keeps the traits of the user's groups (Segment `group` calls), by group ID.
 * An identify trait of this name is not passed on, so the two never mix.
 */
export const GROUP_TRAITS = '$groups';

export type UserCondition =
  | { type: 'trait'; filter: PropertyFilter } // e.g. { property: 'plan', op: 'equals', value: 'pro' }
  | { type: 'group_trait'; filter: PropertyFilter } // holds when any of the user's groups has the trait: { property: 'plan', op: 'equals', value: 'enterprise' }
  | { type: 'did'; event: string; withinMs?: number; atLeast?: number } // at least N times ever; the latest within the window if given
  | { type: 'did_not'; event: string; withinMs?: number } // not ever, or not in the window
  | { type: 'event_count'; event: string; op: 'gt' | 'gte' | 'lt' | 'lte' | 'equals'; value: number } // returning user: 'Session Started' gt 1
  | { type: 'all'; conditions: UserCondition[] }
  | { type: 'any'; conditions: UserCondition[] }
  | { type: 'not'; condition: UserCondition };

const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** Reads a dot path; undefined when any part is missing. Own properties only (no prototype walk: "__proto__", "constructor" give undefined). */
export function readPath(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    // Whether "__proto__" is an own key depends on how the object was built (JSON.parse vs literal), so it never matches.
    if (segment === '__proto__') return undefined;
    // Arrays expose only their elements: "items.length" is not JSON data.
    if (Array.isArray(current) && !ARRAY_INDEX.test(segment)) return undefined;
    if (!hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Strict equality for primitives, structural equality for arrays and plain objects (key order ignored). */
function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => deepEqual(item, right[index]));
  }
  const leftRecord = left as Record<string, unknown>;
  const rightRecord = right as Record<string, unknown>;
  const leftKeys = Object.keys(leftRecord);
  if (leftKeys.length !== Object.keys(rightRecord).length) return false;
  return leftKeys.every((key) => hasOwn(rightRecord, key) && deepEqual(leftRecord[key], rightRecord[key]));
}

/** An instant split into whole seconds and fractional digits, so sub-millisecond precision compares exactly. */
interface Instant {
  epochSeconds: number;
  /** Fraction-of-second digits without trailing zeros: digit strings then compare like the numbers they are. */
  fraction: string;
}

// An explicit offset is required: a local-time string would depend on the machine's time zone.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm); avoids Date.UTC's two-digit-year quirk. */
function daysFromCivil(year: number, month: number, day: number): number {
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** Parses an ISO-8601 date-time with offset ("2026-01-31T09:00:00.5+01:00"); undefined for anything else or an impossible date. */
function parseInstant(text: string): Instant | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  // Absent seconds and offset groups read as 0.
  const field = (index: number): number => Number(match[index] ?? 0);
  const [year, month, day, hour, minute, second] = [field(1), field(2), field(3), field(4), field(5), field(6)];
  const [offsetHour, offsetMinute] = [field(9), field(10)];
  const dateValid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  if (!dateValid || hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return undefined;
  const offsetSeconds = (match[8] === '-' ? -1 : 1) * (offsetHour * 3600 + offsetMinute * 60);
  const epochSeconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return { epochSeconds, fraction: (match[7] ?? '').replace(/0+$/, '') };
}

function compareInstants(left: Instant, right: Instant): number {
  if (left.epochSeconds !== right.epochSeconds) return left.epochSeconds < right.epochSeconds ? -1 : 1;
  if (left.fraction === right.fraction) return 0;
  return left.fraction < right.fraction ? -1 : 1;
}

function instantToEpochMs(instant: Instant): number {
  return instant.epochSeconds * 1000 + Number(`0.${instant.fraction || '0'}`) * 1000;
}

/** Orders two values of one comparable kind; undefined when they cannot be ordered (mixed kinds, NaN, Infinity, objects). */
function compareOrdered(left: unknown, right: unknown): number | undefined {
  if (typeof left === 'number' && typeof right === 'number') {
    if (!Number.isFinite(left) || !Number.isFinite(right)) return undefined;
    return left === right ? 0 : left < right ? -1 : 1;
  }
  if (typeof left === 'string' && typeof right === 'string') {
    const leftInstant = parseInstant(left);
    const rightInstant = parseInstant(right);
    // Only two date-times compare as instants: "+01:00" and "Z" spellings of one moment are equal.
    if (leftInstant && rightInstant) return compareInstants(leftInstant, rightInstant);
    return left === right ? 0 : left < right ? -1 : 1;
  }
  return undefined;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** True when the filter holds; a missing property fails every test except not_equals, not_in and not_exists. */
export function matchesFilter(source: unknown, filter: PropertyFilter): boolean {
  const actual = readPath(source, filter.property);
  const expected = filter.value;
  switch (filter.op) {
    case 'equals':
      return actual !== undefined && deepEqual(actual, expected);
    case 'not_equals':
      return actual === undefined || !deepEqual(actual, expected);
    case 'in':
      return Array.isArray(expected) && actual !== undefined && expected.some((candidate) => deepEqual(actual, candidate));
    case 'not_in':
      // A malformed list matches nothing, so a bad campaign cannot enrol every user.
      return Array.isArray(expected) && (actual === undefined || !expected.some((candidate) => deepEqual(actual, candidate)));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const order = compareOrdered(actual, expected);
      if (order === undefined) return false;
      if (filter.op === 'gt') return order > 0;
      if (filter.op === 'gte') return order >= 0;
      if (filter.op === 'lt') return order < 0;
      return order <= 0;
    }
    case 'exists':
      return isPresent(actual);
    case 'not_exists':
      return !isPresent(actual);
    case 'contains':
      if (typeof actual === 'string') return typeof expected === 'string' && actual.includes(expected);
      if (Array.isArray(actual)) return actual.some((element) => deepEqual(element, expected));
      return false;
  }
  // Unreachable for typed input; an unknown operator from unvalidated data matches nothing.
  return false;
}

/** True when every filter holds; no filters means no restriction. */
export function matchesAllFilters(source: unknown, filters: readonly PropertyFilter[] | undefined): boolean {
  return (filters ?? []).every((filter) => matchesFilter(source, filter));
}

function eventStats(history: HistoryView, event: string): { count: number; lastAt: string } | undefined {
  // Event names are user data: "constructor" must not find Object.prototype.constructor.
  return hasOwn(history.events, event) ? history.events[event] : undefined;
}

/** Whether the latest occurrence falls in [now - withinMs, ...); no window means any occurrence counts. */
function occurredWithin(stats: { lastAt: string } | undefined, withinMs: number | undefined, now: number): boolean {
  if (!stats) return false;
  if (withinMs === undefined) return true;
  const lastAt = parseInstant(stats.lastAt);
  // An unreadable timestamp cannot prove recency.
  return lastAt !== undefined && instantToEpochMs(lastAt) >= now - withinMs;
}

function compareCount(count: number, op: 'gt' | 'gte' | 'lt' | 'lte' | 'equals', value: number): boolean {
  switch (op) {
    case 'gt':
      return count > value;
    case 'gte':
      return count >= value;
    case 'lt':
      return count < value;
    case 'lte':
      return count <= value;
    case 'equals':
      return count === value;
  }
  return false;
}

/** Evaluates a condition at `now` (ms since epoch). `did` with withinMs: latest occurrence at or after now - withinMs. */
export function evaluateCondition(history: HistoryView, condition: UserCondition, now: number): boolean {
  switch (condition.type) {
    case 'trait':
      return matchesFilter(history.traits, condition.filter);
    case 'group_trait': {
      const groups = hasOwn(history.traits, GROUP_TRAITS) ? history.traits[GROUP_TRAITS] : undefined;
      if (typeof groups !== 'object' || groups === null) return false;
      return Object.values(groups).some((traits) => matchesFilter(traits, condition.filter));
    }
    case 'did': {
      const stats = eventStats(history, condition.event);
      return occurredWithin(stats, condition.withinMs, now) && (stats?.count ?? 0) >= (condition.atLeast ?? 1);
    }
    case 'did_not':
      return !occurredWithin(eventStats(history, condition.event), condition.withinMs, now);
    case 'event_count':
      return compareCount(eventStats(history, condition.event)?.count ?? 0, condition.op, condition.value);
    case 'all':
      return condition.conditions.every((inner) => evaluateCondition(history, inner, now));
    case 'any':
      return condition.conditions.some((inner) => evaluateCondition(history, inner, now));
    case 'not':
      return !evaluateCondition(history, condition.condition, now);
  }
  // Unreachable for typed input; an unknown condition type from unvalidated data matches nothing.
  return false;
}
