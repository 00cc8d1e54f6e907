import { z } from 'zod';
import type { ProfileUpdate } from '../../db/user-repository';
import { GROUP_TRAITS } from '../../domain/conditions';
import { isValidTimeZone } from '../../domain/time';
import type { FieldProblem } from '../errors';
import type { IngestMessage } from './segment-normalize';

const email = z.email({ message: 'is not an email address' });

/** The profile an identify call describes, and the traits the user workflow keeps (time zone and locale included). */
export type ProfileCheck =
  | { ok: true; update: ProfileUpdate; workflowTraits: Record<string, unknown> }
  | { ok: false; problems: FieldProblem[] };

const textAt = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/**
 * Contact points per Segment's spec: `traits.email` and `traits.phone`; the time zone and locale
 * from `context.timezone` / `context.locale` (or the same traits); a push token from
 * `context.device.token` with `context.device.type` as its platform.
 */
export function profileFromIdentify(message: IngestMessage, prefix?: string): ProfileCheck {
  const at = (path: string) => [prefix, path].filter(Boolean).join('.');
  const { traits, context } = message;
  const problems: FieldProblem[] = [];
  const update: ProfileUpdate = { traits };

  if (traits.email !== undefined && traits.email !== null) {
    const parsed = email.safeParse(traits.email);
    if (parsed.success) update.email = parsed.data.toLowerCase();
    else problems.push({ path: at('traits.email'), reason: 'is not an email address' });
  }
  if (traits.phone !== undefined && traits.phone !== null) {
    if (typeof traits.phone === 'string' && /^\+?[0-9 ().-]{4,32}$/.test(traits.phone)) update.phone = traits.phone;
    else problems.push({ path: at('traits.phone'), reason: 'is not a phone number' });
  }
  const zoneField = textAt(context.timezone) !== undefined ? 'context.timezone' : 'traits.timezone';
  const zone = textAt(context.timezone) ?? textAt(traits.timezone);
  if (zone !== undefined) {
    if (isValidTimeZone(zone)) update.timezone = zone;
    else problems.push({ path: at(zoneField), reason: 'is not an IANA time zone, e.g. "Europe/Berlin"' });
  }
  update.locale = textAt(context.locale) ?? textAt(traits.locale);
  const device = context.device as { token?: unknown; type?: unknown } | undefined;
  if (device && typeof device === 'object' && device.token !== undefined) {
    const token = textAt(device.token);
    if (token && token.length <= 4096) update.pushToken = { token, platform: textAt(device.type) };
    else problems.push({ path: at('context.device.token'), reason: 'must be a push token (non-empty text)' });
  }
  if (problems.length > 0) return { ok: false, problems };

  const workflowTraits: Record<string, unknown> = { ...traits };
  // Kept for the user's groups (group calls); an identify trait of that name would overwrite them.
  delete workflowTraits[GROUP_TRAITS];
  if (update.timezone) workflowTraits.timezone = update.timezone;
  if (update.locale) workflowTraits.locale = update.locale;
  return { ok: true, update, workflowTraits };
}
