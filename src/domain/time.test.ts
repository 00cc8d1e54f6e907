import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import {
  WEEKDAYS,
  type Weekday,
  effectiveZone,
  isValidTimeZone,
  localDay,
  nextLocalTime,
  parseClockTime,
  parseDuration,
  quietHoursEnd,
  startOfNextLocalDay,
} from './time';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const utc = (iso: string): Date => new Date(iso);
const iso = (date: Date | undefined): string | undefined => date?.toISOString();

describe('parseDuration', () => {
  it.each([
    ['48h', 48 * HOUR],
    ['4 hours', 4 * HOUR],
    ['1 hour', HOUR],
    ['1hr', HOUR],
    ['3 hrs', 3 * HOUR],
    ['1 day', DAY],
    ['30 minutes', 30 * MINUTE],
    ['15 min', 15 * MINUTE],
    ['1m', MINUTE],
    ['90s', 90_000],
    ['1 sec', 1_000],
    ['2 seconds', 2_000],
    ['2d 4h', 2 * DAY + 4 * HOUR],
    ['1 day 4 hours', DAY + 4 * HOUR],
    ['1d4h', DAY + 4 * HOUR],
    ['1h 1h', 2 * HOUR],
    ['1 week', 7 * DAY],
    ['2w', 14 * DAY],
    ['  4 HOURS ', 4 * HOUR],
    ['PT4H', 4 * HOUR],
    ['pt90s', 90_000],
    ['PT1H30M', 90 * MINUTE],
    ['P1D', DAY],
    ['P1DT12H', 36 * HOUR],
    ['P2W', 14 * DAY],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each(['4 hourz', '', '   ', 'NaN', '-4h', '4', 'hours', '1.5h', '4 ms', '4h!', 'P1M', 'P1Y', 'P', 'PT', 'P1DT', '1 day, 4 hours'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toEqual({ ok: false, reason: `"${text}" is not a duration (try "4 hours", "48h", "PT4H")` });
    },
  );

  it('names the exact reason for a misspelt unit', () => {
    expect(parseDuration('4 hourz')).toEqual({ ok: false, reason: '"4 hourz" is not a duration (try "4 hours", "48h", "PT4H")' });
  });

  it.each(['0h', '0 days 0 hours', 'PT0S'])('%j is zero, which is an error', (text) => {
    expect(parseDuration(text)).toEqual({ ok: false, reason: `"${text}" is zero; a duration must be longer than that (try "4 hours")` });
  });

  it('rejects a duration past the safe integer range', () => {
    expect(parseDuration('99999999999999999999 weeks')).toEqual({ ok: false, reason: '"99999999999999999999 weeks" is too long to be a duration' });
  });

  it('sums any mix of spelt units, spacing and case', () => {
    const unitSpellings: [string, number][] = [
      ['s', 1_000], ['sec', 1_000], ['seconds', 1_000], ['m', MINUTE], ['min', MINUTE], ['minutes', MINUTE],
      ['h', HOUR], ['hr', HOUR], ['hours', HOUR], ['d', DAY], ['day', DAY], ['w', 7 * DAY], ['weeks', 7 * DAY],
    ];
    const part = fc.record({
      count: fc.integer({ min: 1, max: 1000 }),
      unit: fc.constantFrom(...unitSpellings),
      space: fc.constantFrom('', ' ', '  '),
      upper: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.map(({ count, unit, space, upper }) => `${count}${space}${upper ? unit[0].toUpperCase() : unit[0]}`).join(' ');
        const expected = parts.reduce((sum, { count, unit }) => sum + count * unit[1], 0);
        expect(parseDuration(text)).toEqual({ ok: true, ms: expected });
      }),
    );
  });
});

describe('parseClockTime', () => {
  it.each([
    ['00:00', 0],
    ['9:00', 540],
    ['09:05', 545],
    ['12:30', 750],
    ['23:59', 1439],
  ])('%j is %d minutes after midnight', (text, minutes) => {
    expect(parseClockTime(text)).toBe(minutes);
  });

  it.each(['24:00', '9:5', '10:60', '', '0900', ' 9:00', '9:00 ', '09:00:00', '-1:00', '123:00', 'ab:cd', '9.00'])('%j is malformed', (text) => {
    expect(parseClockTime(text)).toBeUndefined();
  });
});

describe('isValidTimeZone and effectiveZone', () => {
  it.each(['America/New_York', 'Europe/London', 'Pacific/Chatham', 'UTC'])('%j is valid', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus', 'America/NewYork', '+05:00', 'local'])('%j is not valid', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });

  it('uses the user zone when valid, else the fallback', () => {
    expect(effectiveZone('Asia/Kolkata', 'UTC')).toBe('Asia/Kolkata');
    expect(effectiveZone('Mars/Olympus', 'UTC')).toBe('UTC');
    expect(effectiveZone('', 'UTC')).toBe('UTC');
    expect(effectiveZone(undefined, 'Europe/London')).toBe('Europe/London');
  });
});

describe('nextLocalTime', () => {
  const newYork = { fallbackTimezone: 'UTC', timezone: 'America/New_York' };

  it.each([
    // [now, at, expected, why]
    ['2026-03-07T16:00:00Z', '10:00', '2026-03-08T14:00:00.000Z', 'Sat 11:00 EST -> Sun 10:00 EDT across spring-forward'],
    ['2026-10-31T16:00:00Z', '10:00', '2026-11-01T15:00:00.000Z', 'Sat 12:00 EDT -> Sun 10:00 EST across fall-back'],
    ['2026-03-07T16:00:00Z', '02:30', '2026-03-08T07:00:00.000Z', '02:30 is skipped on Mar 8: the first instant after the gap, 03:00 EDT'],
    ['2026-03-08T07:00:00Z', '02:30', '2026-03-09T06:30:00.000Z', 'the day after the gap, 02:30 EDT exists again'],
    ['2026-10-31T16:00:00Z', '01:30', '2026-11-01T05:30:00.000Z', '01:30 occurs twice on Nov 1: the first (EDT)'],
    ['2026-11-01T05:45:00Z', '01:30', '2026-11-02T06:30:00.000Z', 'between the two 01:30s, Nov 1 is used up: once per local day'],
    ['2026-01-05T15:00:00Z', '10:00', '2026-01-06T15:00:00.000Z', 'exactly at 10:00 -> tomorrow'],
    ['2026-01-05T14:59:59.999Z', '10:00', '2026-01-05T15:00:00.000Z', 'a millisecond before 10:00 -> today'],
  ])('New York: %s at %s -> %s (%s)', (now, at, expected) => {
    expect(iso(nextLocalTime(utc(now), { ...newYork, at }))).toBe(expected);
  });

  it.each([
    // Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
    ['Europe/London', '2026-03-28T12:00:00Z', '09:00', '2026-03-29T08:00:00.000Z'],
    ['Europe/London', '2026-03-28T12:00:00Z', '01:30', '2026-03-29T01:00:00.000Z'],
    ['Europe/London', '2026-10-24T12:00:00Z', '01:30', '2026-10-25T00:30:00.000Z'],
    ['Europe/London', '2026-10-24T12:00:00Z', '09:00', '2026-10-25T09:00:00.000Z'],
    // Australia/Sydney: 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT.
    ['Australia/Sydney', '2026-04-04T00:00:00Z', '10:00', '2026-04-05T00:00:00.000Z'],
    ['Australia/Sydney', '2026-04-04T00:00:00Z', '02:30', '2026-04-04T15:30:00.000Z'],
    ['Australia/Sydney', '2026-10-03T00:00:00Z', '10:00', '2026-10-03T23:00:00.000Z'],
    ['Australia/Sydney', '2026-10-03T00:00:00Z', '02:30', '2026-10-03T16:00:00.000Z'],
    // Pacific/Chatham moves 45 minutes off the hour: 2026-09-27 02:45 +12:45 -> 03:45 +13:45.
    ['Pacific/Chatham', '2026-09-26T00:00:00Z', '03:00', '2026-09-26T14:00:00.000Z'],
  ])('%s: %s at %s -> %s', (timezone, now, at, expected) => {
    expect(iso(nextLocalTime(utc(now), { timezone, fallbackTimezone: 'UTC', at }))).toBe(expected);
  });

  it('waits for an allowed weekday', () => {
    const friday7am = utc('2026-03-06T12:00:00Z');
    expect(iso(nextLocalTime(friday7am, { ...newYork, at: '10:00', weekdays: ['mon'] }))).toBe('2026-03-09T14:00:00.000Z');
    expect(iso(nextLocalTime(friday7am, { ...newYork, at: '10:00', weekdays: ['fri'] }))).toBe('2026-03-06T15:00:00.000Z');
    expect(iso(nextLocalTime(friday7am, { ...newYork, at: '06:00', weekdays: ['fri'] }))).toBe('2026-03-13T10:00:00.000Z');
    expect(iso(nextLocalTime(friday7am, { ...newYork, at: '10:00', weekdays: ['sat', 'sun'] }))).toBe('2026-03-07T15:00:00.000Z');
    expect(iso(nextLocalTime(friday7am, { ...newYork, at: '10:00', weekdays: [] }))).toBe('2026-03-06T15:00:00.000Z');
  });

  it('judges the weekday in the local zone, not UTC', () => {
    // 2026-03-09T20:00Z is still Monday in UTC but already Tuesday 07:00 in Sydney.
    const now = utc('2026-03-09T20:00:00Z');
    expect(iso(nextLocalTime(now, { timezone: 'Australia/Sydney', fallbackTimezone: 'UTC', at: '10:00', weekdays: ['tue'] })))
      .toBe('2026-03-09T23:00:00.000Z');
  });

  it('falls back when the user zone is missing or invalid', () => {
    const now = utc('2026-07-01T00:00:00Z');
    const london10am = '2026-07-01T09:00:00.000Z';
    expect(iso(nextLocalTime(now, { at: '10:00', fallbackTimezone: 'Europe/London' }))).toBe(london10am);
    expect(iso(nextLocalTime(now, { at: '10:00', timezone: 'Mars/Olympus', fallbackTimezone: 'Europe/London' }))).toBe(london10am);
    expect(iso(nextLocalTime(now, { at: '10:00', timezone: 'Asia/Kolkata', fallbackTimezone: 'Europe/London' }))).toBe('2026-07-01T04:30:00.000Z');
  });

  it('throws only for a malformed time or an invalid fallback zone', () => {
    const now = utc('2026-07-01T00:00:00Z');
    expect(() => nextLocalTime(now, { at: '24:00', fallbackTimezone: 'UTC' })).toThrow('"24:00" is not a clock time');
    expect(() => nextLocalTime(now, { at: '10:00', fallbackTimezone: 'Mars/Olympus' })).toThrow('"Mars/Olympus" is not an IANA time zone');
    expect(() => nextLocalTime(now, { at: '10:00', timezone: 'UTC', fallbackTimezone: 'Nowhere' })).toThrow('"Nowhere" is not an IANA time zone');
  });

  describe('properties', () => {
    const ZONES = [
      'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Sydney', 'Pacific/Chatham',
      'America/Sao_Paulo', 'UTC', 'Australia/Lord_Howe', 'America/Santiago', 'America/Havana',
    ];
    const FIRST_YEAR = 2020;
    const LAST_YEAR = 2035;

    const clockText = (minutes: number): string =>
      `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    const wallClock = (ms: number, zone: string) => {
      const local = DateTime.fromMillis(ms, { zone });
      return { day: local.toISODate() ?? '', time: clockText(local.hour * 60 + local.minute), weekday: WEEKDAYS[local.weekday - 1] };
    };
    const addDays = (day: string, days: number): string => DateTime.fromISO(day, { zone: 'UTC' }).plus({ days }).toISODate() ?? '';
    const weekdayOf = (day: string): Weekday | undefined => WEEKDAYS[DateTime.fromISO(day, { zone: 'UTC' }).weekday - 1];

    /** Brute force, minute by minute: the first instant on local `day` whose clock reads `at` or later. */
    function firstInstantOnDayReaching(day: string, at: string, zone: string): number {
      const wallMs = Date.parse(`${day}T${at}:00Z`);
      // The answer lies between the wall time read with the largest and smallest offset in use around it.
      const offsets = [-DAY, 0, DAY].map((shift) => IANAZone.create(zone).offset(wallMs + shift));
      for (let ms = wallMs - Math.max(...offsets) * MINUTE; ms <= wallMs - Math.min(...offsets) * MINUTE; ms += MINUTE) {
        const local = wallClock(ms, zone);
        if (local.day === day && local.time >= at) return ms;
      }
      throw new Error(`no instant on ${day} reaches ${at} in ${zone}`);
    }

    /** Every offset change of `zone` in the years, to the millisecond, so runs can start near one. */
    function offsetTransitions(zone: string): number[] {
      const ianaZone = IANAZone.create(zone);
      const transitions: number[] = [];
      for (let ms = Date.UTC(FIRST_YEAR, 0, 1); ms < Date.UTC(LAST_YEAR + 1, 0, 1); ms += DAY) {
        if (ianaZone.offset(ms) === ianaZone.offset(ms + DAY)) continue;
        let [before, after] = [ms, ms + DAY];
        while (after - before > 1) {
          const middle = Math.floor((before + after) / 2);
          if (ianaZone.offset(middle) === ianaZone.offset(before)) before = middle;
          else after = middle;
        }
        transitions.push(after);
      }
      return transitions;
    }

    const TRANSITIONS = ZONES.flatMap((zone) => offsetTransitions(zone).map((ms) => ({ zone, ms })));

    it('the transition finder sees the 2026 New York changes', () => {
      const newYork2026 = TRANSITIONS.filter(({ zone, ms }) => zone === 'America/New_York' && new Date(ms).getUTCFullYear() === 2026);
      expect(newYork2026.map(({ ms }) => new Date(ms).toISOString())).toEqual(['2026-03-08T07:00:00.000Z', '2026-11-01T06:00:00.000Z']);
    });

    const anyCase = fc.record({
      zone: fc.constantFrom(...ZONES),
      nowMs: fc.integer({ min: Date.UTC(FIRST_YEAR, 0, 1), max: Date.UTC(LAST_YEAR, 11, 31) }),
      atMinutes: fc.integer({ min: 0, max: 24 * 60 - 1 }),
      weekdays: fc.subarray([...WEEKDAYS]),
    });
    // Starts up to two days before a transition, with `at` within two hours of the changing wall time.
    const nearTransition = fc
      .record({
        transition: fc.constantFrom(...TRANSITIONS),
        nowShift: fc.integer({ min: -2 * DAY, max: DAY }),
        atShift: fc.integer({ min: -120, max: 120 }),
        weekdays: fc.subarray([...WEEKDAYS]),
      })
      .map(({ transition, nowShift, atShift, weekdays }) => {
        const local = DateTime.fromMillis(transition.ms - 1, { zone: transition.zone });
        const atMinutes = (local.hour * 60 + local.minute + 1 + atShift + 24 * 60) % (24 * 60);
        return { zone: transition.zone, nowMs: transition.ms + nowShift, atMinutes, weekdays };
      });

    it.each([
      ['any instant 2020-2035', anyCase],
      ['near an offset change', nearTransition],
    ])('holds for %s', (_label, cases) => {
      fc.assert(
        fc.property(cases, ({ zone, nowMs, atMinutes, weekdays }) => {
          const at = clockText(atMinutes);
          const allowed = weekdays.length > 0 ? weekdays : WEEKDAYS;
          const result = nextLocalTime(new Date(nowMs), { at, timezone: zone, fallbackTimezone: 'UTC', weekdays }).getTime();
          const local = wallClock(result, zone);

          expect(result).toBeGreaterThan(nowMs);
          expect(result - nowMs).toBeLessThanOrEqual(8 * DAY + HOUR);
          expect(allowed).toContain(local.weekday);
          if (local.time !== at) {
            // Only a gap skips `at`: a millisecond earlier the clock read before it, and now reads after it.
            const justBefore = wallClock(result - 1, zone);
            expect(`${justBefore.day} ${justBefore.time}` < `${local.day} ${at}`).toBe(true);
            expect(local.time > at).toBe(true);
          }
          expect(result).toBe(firstInstantOnDayReaching(local.day, at, zone));

          // No allowed day between `now` and the result has its own candidate inside (now, result).
          for (let day = addDays(wallClock(nowMs, zone).day, -1); day < local.day; day = addDays(day, 1)) {
            const weekday = weekdayOf(day);
            if (weekday === undefined || !allowed.includes(weekday)) continue;
            const candidate = firstInstantOnDayReaching(day, at, zone);
            expect(candidate <= nowMs || candidate >= result).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('quietHoursEnd', () => {
  const overnight = { start: '22:00', end: '08:00' };

  it.each([
    // London in summer (BST, +1), a window within one day.
    ['2026-07-01T13:00:00Z', { start: '13:00', end: '15:00' }, 'Europe/London', '2026-07-01T14:00:00.000Z'],
    ['2026-07-01T12:00:00Z', { start: '13:00', end: '15:00' }, 'Europe/London', '2026-07-01T14:00:00.000Z'],
    ['2026-07-01T14:00:00Z', { start: '13:00', end: '15:00' }, 'Europe/London', undefined],
    ['2026-07-01T11:59:59.999Z', { start: '13:00', end: '15:00' }, 'Europe/London', undefined],
    // New York in winter (EST, -5), wrapping midnight.
    ['2026-01-16T04:30:00Z', overnight, 'America/New_York', '2026-01-16T13:00:00.000Z'],
    ['2026-01-16T08:00:00Z', overnight, 'America/New_York', '2026-01-16T13:00:00.000Z'],
    ['2026-01-16T03:00:00Z', overnight, 'America/New_York', '2026-01-16T13:00:00.000Z'],
    ['2026-01-16T02:59:00Z', overnight, 'America/New_York', undefined],
    ['2026-01-16T13:00:00Z', overnight, 'America/New_York', undefined],
    // Across DST: the night is an hour shorter in spring and longer in autumn.
    ['2026-03-08T04:00:00Z', overnight, 'America/New_York', '2026-03-08T12:00:00.000Z'],
    ['2026-11-01T03:00:00Z', overnight, 'America/New_York', '2026-11-01T13:00:00.000Z'],
    // An end inside the spring gap ends at the gap's end, 03:00 EDT.
    ['2026-03-08T06:00:00Z', { start: '22:00', end: '02:30' }, 'America/New_York', '2026-03-08T07:00:00.000Z'],
    // An end inside the autumn overlap: the next 01:30 after now, whichever occurrence that is.
    ['2026-11-01T05:00:00Z', { start: '00:00', end: '01:30' }, 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['2026-11-01T06:10:00Z', { start: '00:00', end: '01:30' }, 'America/New_York', '2026-11-01T06:30:00.000Z'],
    ['2026-11-01T05:45:00Z', { start: '00:00', end: '01:30' }, 'America/New_York', undefined],
    // start == end means no quiet hours.
    ['2026-01-16T04:30:00Z', { start: '22:00', end: '22:00' }, 'America/New_York', undefined],
  ])('%s in %j (%s) -> %s', (now, quiet, zone, expected) => {
    expect(iso(quietHoursEnd(utc(now), quiet, zone))).toBe(expected);
  });

  it('throws for a malformed window or zone', () => {
    const now = utc('2026-01-16T04:30:00Z');
    expect(() => quietHoursEnd(now, { start: '22:00', end: '8' }, 'UTC')).toThrow('"8" is not a clock time');
    expect(() => quietHoursEnd(now, overnight, 'Mars/Olympus')).toThrow('"Mars/Olympus" is not an IANA time zone');
  });
});

describe('localDay', () => {
  it.each([
    ['2026-03-08T04:59:59.999Z', 'America/New_York', '2026-03-07'],
    ['2026-03-08T05:00:00.000Z', 'America/New_York', '2026-03-08'],
    ['2026-03-07T18:29:59.999Z', 'Asia/Kolkata', '2026-03-07'],
    ['2026-03-07T18:30:00.000Z', 'Asia/Kolkata', '2026-03-08'],
    ['2026-03-08T04:00:00.000Z', 'Asia/Kolkata', '2026-03-08'],
    ['2026-03-08T04:00:00.000Z', 'America/New_York', '2026-03-07'],
  ])('%s in %s is %s', (now, zone, expected) => {
    expect(localDay(utc(now), zone)).toBe(expected);
  });

  it('throws for an invalid zone', () => {
    expect(() => localDay(utc('2026-03-08T04:00:00Z'), 'Mars/Olympus')).toThrow('"Mars/Olympus" is not an IANA time zone');
  });
});

describe('startOfNextLocalDay', () => {
  it.each([
    ['2026-03-07T16:00:00Z', 'America/New_York', '2026-03-08T05:00:00.000Z'],
    ['2026-03-08T04:59:59.999Z', 'America/New_York', '2026-03-08T05:00:00.000Z'],
    ['2026-03-08T05:00:00Z', 'America/New_York', '2026-03-09T04:00:00.000Z'],
    ['2026-11-01T12:00:00Z', 'America/New_York', '2026-11-02T05:00:00.000Z'],
    ['2026-03-07T18:30:00Z', 'Asia/Kolkata', '2026-03-08T18:30:00.000Z'],
    // Chile springs forward at midnight: 2026-09-06 starts at 01:00 -03, there is no 00:00.
    ['2026-09-05T12:00:00Z', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
  ])('after %s in %s -> %s', (now, zone, expected) => {
    expect(iso(startOfNextLocalDay(utc(now), zone))).toBe(expected);
  });
});
