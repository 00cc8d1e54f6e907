import { DateTime, IANAZone } from 'luxon';

// Pure time arithmetic for workflows: no clock, no I/O; `now` is always an argument.
// Wall-clock times are handled as "wall ms": the local date and time encoded as if it were UTC,
// so calendar steps are plain additions and only the offset lookups need the zone.
// luxon's DateTime.fromObject/set are avoided for local -> instant: in a fall-back overlap they
// pick the occurrence from the offset of Date.now() (or of the DateTime being set), not a fixed rule.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
/** In ISO order, so `WEEKDAYS[luxonWeekday - 1]` is that day. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string };

const UNIT_MS: Readonly<Record<string, number>> = {
  s: SECOND_MS, sec: SECOND_MS, secs: SECOND_MS, second: SECOND_MS, seconds: SECOND_MS,
  m: MINUTE_MS, min: MINUTE_MS, mins: MINUTE_MS, minute: MINUTE_MS, minutes: MINUTE_MS,
  h: HOUR_MS, hr: HOUR_MS, hrs: HOUR_MS, hour: HOUR_MS, hours: HOUR_MS,
  d: DAY_MS, day: DAY_MS, days: DAY_MS,
  w: WEEK_MS, week: WEEK_MS, weeks: WEEK_MS,
};

// Digits and letters alternate, so the repetition cannot backtrack badly.
const HUMAN_DURATION = /^(?:\d+\s*[a-z]+\s*)+$/;
const HUMAN_PART = /(\d+)\s*([a-z]+)/g;
// Only fixed-length ISO units: months and years have no single length in milliseconds.
const ISO_DURATION = /^p(?=\d|t\d)(?:(\d+)w)?(?:(\d+)d)?(?:t(?=\d)(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)?$/;

/** "48h", "4 hours", "1 day 4 hours", "1d4h", "PT4H" -> milliseconds; zero, negative and unknown units are errors. */
export function parseDuration(text: string): DurationResult {
  const input = text.trim().toLowerCase();
  const notADuration: DurationResult = {
    ok: false,
    reason: `"${text}" is not a duration (try "4 hours", "48h", "PT4H")`,
  };

  let ms: number | undefined;
  const iso = ISO_DURATION.exec(input);
  if (iso) {
    const [, weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0] = iso;
    ms = Number(weeks) * WEEK_MS + Number(days) * DAY_MS + Number(hours) * HOUR_MS
      + Number(minutes) * MINUTE_MS + Number(seconds) * SECOND_MS;
  } else if (HUMAN_DURATION.test(input)) {
    ms = 0;
    for (const [, count, unit] of input.matchAll(HUMAN_PART)) {
      const unitMs = UNIT_MS[unit ?? ''];
      if (unitMs === undefined) return notADuration;
      ms += Number(count) * unitMs;
    }
  }

  if (ms === undefined) return notADuration;
  if (ms === 0) return { ok: false, reason: `"${text}" is zero; a duration must be longer than that (try "4 hours")` };
  if (!Number.isSafeInteger(ms)) return { ok: false, reason: `"${text}" is too long to be a duration` };
  return { ok: true, ms };
}

/** True for IANA names the runtime knows ("Europe/London", "UTC"); luxon asks Intl, which also accepts links and any case. */
export function isValidTimeZone(zone: string): boolean {
  return typeof zone === 'string' && IANAZone.isValidZone(zone);
}

/** The zone to use: `timezone` if valid, else `fallback`. */
export function effectiveZone(timezone: string | undefined, fallback: string): string {
  return timezone !== undefined && isValidTimeZone(timezone) ? timezone : fallback;
}

/** "HH:mm" (24h; the hour may be one digit) -> minutes after midnight, or undefined if malformed. */
export function parseClockTime(text: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return undefined;
  return hours * 60 + minutes;
}

function requireZone(name: string): IANAZone {
  if (!isValidTimeZone(name)) throw new Error(`"${name}" is not an IANA time zone (e.g. "Europe/London")`);
  return IANAZone.create(name);
}

function requireClockTime(text: string): number {
  const minutes = parseClockTime(text);
  if (minutes === undefined) throw new Error(`"${text}" is not a clock time (expected "HH:mm", e.g. "09:30")`);
  return minutes;
}

/** Wall ms of local midnight on the date the wall clock in `zone` shows at `instantMs`. */
function localMidnightAt(zone: IANAZone, instantMs: number): number {
  const wallMs = instantMs + zone.offset(instantMs) * MINUTE_MS;
  return Math.floor(wallMs / DAY_MS) * DAY_MS;
}

function weekdayOfWallMs(wallMs: number): Weekday {
  // getUTCDay counts from Sunday; WEEKDAYS starts on Monday.
  return WEEKDAYS[(new Date(wallMs).getUTCDay() + 6) % 7] ?? 'mon';
}

/** Instants whose wall clock in `zone` reads `wallMs`, ascending: two in a fall-back overlap, none in a spring-forward gap. */
function instantsAtWallTime(zone: IANAZone, wallMs: number): number[] {
  // Offsets a day either side cover any transition near the wall time (offsets stay within ±14h).
  const nearbyOffsets = new Set([zone.offset(wallMs - DAY_MS), zone.offset(wallMs), zone.offset(wallMs + DAY_MS)]);
  const instants = [...nearbyOffsets]
    .map((offsetMinutes) => wallMs - offsetMinutes * MINUTE_MS)
    .filter((instantMs) => wallMs === instantMs + zone.offset(instantMs) * MINUTE_MS);
  return [...new Set(instants)].sort((a, b) => a - b);
}

/** The first instant the wall clock reaches `wallMs`: its first occurrence, or the end of the gap that skips it. */
function firstInstantReaching(zone: IANAZone, wallMs: number): number {
  const first = instantsAtWallTime(zone, wallMs)[0];
  if (first !== undefined) return first;
  // In a gap: before the transition the old (smaller) offset applies, after it the new one; bisect to the millisecond.
  const offsetBefore = zone.offset(wallMs - DAY_MS);
  const offsetAfter = zone.offset(wallMs + DAY_MS);
  let low = wallMs - offsetAfter * MINUTE_MS;
  let high = wallMs - offsetBefore * MINUTE_MS;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (zone.offset(middle) === offsetBefore) low = middle;
    else high = middle;
  }
  return high;
}

export interface LocalTimeSpec {
  at: string;                 // "HH:mm"
  timezone?: string;          // the user's IANA zone, may be missing or invalid
  fallbackTimezone: string;   // used when timezone is missing or invalid
  weekdays?: readonly Weekday[]; // allowed local weekdays; undefined/empty = every day
}

/**
 * The first instant strictly after `now` whose local wall-clock time in the zone is `at` on an allowed weekday.
 * Each local day offers one candidate: `at` itself, the first instant after a spring-forward gap that skips it,
 * or the first of its two fall-back occurrences (so a daily send happens once, even if `now` sits between them).
 * Throws only for a malformed `at` or an invalid fallbackTimezone.
 */
export function nextLocalTime(now: Date, spec: LocalTimeSpec): Date {
  const atMinutes = requireClockTime(spec.at);
  // The fallback is configuration, so it is checked even when the user's own zone is valid.
  requireZone(spec.fallbackTimezone);
  const zone = requireZone(effectiveZone(spec.timezone, spec.fallbackTimezone));
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new Error('nextLocalTime needs a valid `now`');
  const allowed = new Set(spec.weekdays !== undefined && spec.weekdays.length > 0 ? spec.weekdays : WEEKDAYS);

  const today = localMidnightAt(zone, nowMs);
  // Today plus seven days reaches every weekday again, including today's once its time has passed.
  for (let dayOffset = 0; dayOffset <= 7; dayOffset++) {
    const midnight = today + dayOffset * DAY_MS;
    if (!allowed.has(weekdayOfWallMs(midnight))) continue;
    const candidate = firstInstantReaching(zone, midnight + atMinutes * MINUTE_MS);
    if (candidate > nowMs) return new Date(candidate);
  }
  throw new Error('unreachable: every allowed weekday recurs within 7 days');
}

export interface QuietHours { start: string; end: string; }  // "22:00" to "08:00" wraps midnight; start == end means none

/** If `now` is inside the quiet window in `zone` (start inclusive, end exclusive, by wall clock), the instant it ends; else undefined. */
export function quietHoursEnd(now: Date, quiet: QuietHours, zone: string): Date | undefined {
  const startMinutes = requireClockTime(quiet.start);
  const endMinutes = requireClockTime(quiet.end);
  const ianaZone = requireZone(zone);
  if (startMinutes === endMinutes) return undefined;

  const nowMs = now.getTime();
  const today = localMidnightAt(ianaZone, nowMs);
  const nowMinutes = Math.floor((nowMs + ianaZone.offset(nowMs) * MINUTE_MS - today) / MINUTE_MS);
  const wraps = startMinutes > endMinutes;
  const inside = wraps
    ? nowMinutes >= startMinutes || nowMinutes < endMinutes
    : nowMinutes >= startMinutes && nowMinutes < endMinutes;
  if (!inside) return undefined;

  // A wrapping window entered before midnight ends tomorrow; otherwise it ends today.
  const endDay = wraps && nowMinutes >= startMinutes ? today + DAY_MS : today;
  const endWallMs = endDay + endMinutes * MINUTE_MS;
  // In a fall-back overlap `now` may already be past the first occurrence of the end; the window ends at the next one.
  const endMs = instantsAtWallTime(ianaZone, endWallMs).find((instantMs) => instantMs > nowMs)
    ?? firstInstantReaching(ianaZone, endWallMs);
  return new Date(endMs);
}

/** The first instant of the local day after `now`'s in `zone`: midnight, or the end of a gap that skips it. */
export function startOfNextLocalDay(now: Date, zone: string): Date {
  const ianaZone = requireZone(zone);
  const tomorrowMidnight = localMidnightAt(ianaZone, now.getTime()) + DAY_MS;
  return new Date(firstInstantReaching(ianaZone, tomorrowMidnight));
}

/** The user's calendar day "YYYY-MM-DD" in `zone` at `now` (for daily frequency caps). */
export function localDay(now: Date, zone: string): string {
  const day = DateTime.fromMillis(now.getTime(), { zone: requireZone(zone) }).toISODate();
  if (day === null) throw new Error('localDay needs a valid `now`');
  return day;
}
