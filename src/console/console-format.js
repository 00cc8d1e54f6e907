// Numbers in the browser's locale, and the one way a figure enters the page: `figure()` keeps where it came from.

const locale = undefined; // the browser's own
const counts = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const percents = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2 });
const signedPercents = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2, signDisplay: 'exceptZero' });
const pValues = new Intl.NumberFormat(locale, { maximumSignificantDigits: 3 });
const units = {
  second: new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 1 }),
  minute: new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 1 }),
  hour: new Intl.NumberFormat(locale, { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 }),
  day: new Intl.NumberFormat(locale, { style: 'unit', unit: 'day', unitDisplay: 'short', maximumFractionDigits: 1 }),
};
const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
const dateTimes = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });

/** Seconds in the largest unit that keeps the number readable. */
export function formatSeconds(seconds) {
  if (seconds < 60) return units.second.format(seconds);
  if (seconds < 3600) return units.minute.format(seconds / 60);
  if (seconds < 86_400) return units.hour.format(seconds / 3600);
  return units.day.format(seconds / 86_400);
}

export const FORMATS = {
  count: (value) => counts.format(value),
  percent: (value) => percents.format(value),
  uplift: (value) => signedPercents.format(value),
  pvalue: (value) => pValues.format(value),
  seconds: formatSeconds,
};

/** What a figure the API left out (null: no denominator, under the minimum sample) shows. */
export const NO_VALUE = '–';

export function format(kind, value) {
  return value === null || value === undefined ? NO_VALUE : FORMATS[kind](value);
}

/** A UTC day (YYYY-MM-DD) for people. */
export const formatDay = (day) => dates.format(new Date(`${day}T00:00:00Z`));
export const formatDateTime = (iso) => dateTimes.format(new Date(iso));

/**
 * An element showing one figure of a stats answer. `path` is where in that answer the value sits
 * (a list of keys; `{ key }` picks a group, `{ variant }` an arm); the nearest `data-stats` ancestor
 * names the answer. The console test reads these back and compares them with the API's own answer.
 */
export function figure(tag, kind, value, path, extra = {}) {
  const element = document.createElement(tag);
  element.textContent = format(kind, value);
  element.className = `figure ${extra.className ?? ''}`.trim();
  element.dataset.path = JSON.stringify(path);
  element.dataset.format = kind;
  element.dataset.value = JSON.stringify(value ?? null);
  if (extra.absent) element.dataset.absent = 'true';
  if (extra.label) element.setAttribute('aria-label', extra.label);
  return element;
}
