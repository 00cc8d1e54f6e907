/** A provider's hint beyond this is taken as this: a bogus header must not park a send for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

const bounded = (ms: number): number | undefined => (Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined);

/**
 * An HTTP `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) in milliseconds from `now`;
 * undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return bounded(Number(value) * 1000);
  // An HTTP-date names its weekday and month; Date.parse alone would read "-5" as a year.
  const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : bounded(Math.max(0, at - now));
}

/**
 * SMTP has no Retry-After; servers that greylist or throttle say it in the reply text
 * ("4.7.0 Try again in 5 minutes", "greylisted, please retry in 300 seconds").
 */
export function smtpRetryAfterMs(reply: string): number | undefined {
  const match = /\b(?:try|retry)(?:\s+again)?\s+(?:in|after)\s+(\d+)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|h)\b/i.exec(reply);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  const factor = unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1_000;
  return bounded(Number(match[1]) * factor);
}
