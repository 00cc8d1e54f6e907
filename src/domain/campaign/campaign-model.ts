import type { PropertyFilter, UserCondition } from '../conditions';
import type { Channel, TemplateDefinition } from './campaign-schema';
import type { Weekday } from '../time';

/**
 * A campaign version as workflows run it: durations in milliseconds, conditions compiled. It is
 * serialisable (it travels in journey inputs), so a journey keeps the version it started with.
 */
export interface Campaign {
  id: string;
  version: number;
  name: string;
  category: string;
  entry: {
    event: string;
    filters: PropertyFilter[];
    conditions: UserCondition[];
    absence?: { events: string[]; withinMs: number; within: string };
  };
  reentry: { mode: 'once' } | { mode: 'every_time' } | { mode: 'once_per'; periodMs: number };
  allowConcurrent: boolean;
  exitOn: { event: string; filters: PropertyFilter[] }[];
  /** `filters` is absent in versions published before goals had them. */
  goal?: { event: string; withinMs: number; exit: boolean; filters?: PropertyFilter[]; attribution?: 'first_touch' | 'none' };
  /** Percent of entrants held out (the control group); absent or 0 for none. */
  holdout?: number;
  /** Mixed into assignment; absent: the campaign id alone. */
  salt?: string;
  /** When the experiment's winner is decided, and whether later entrants follow it. */
  winner?: { metric: 'conversion_rate'; minSamples?: number; afterMs?: number; after?: string; auto: boolean };
  /**
   * Added by the catalog, not the definition: the policy's global control group when it covers this
   * campaign's category, and the winner the auto rule decided for this version. Journeys get both in their input.
   */
  globalControl?: { percent: number; salt: string };
  decidedWinner?: { variant: string; decidedAt: string };
  /** The campaign's own delivery rules; absent in versions published before they existed. */
  delivery?: { perDay?: number; duringQuietHours?: 'defer' | 'skip' };
  templates: Record<string, TemplateDefinition>;
  steps: CampaignStep[];
}

export interface MessageVariant {
  name: string;
  percent: number;
  template: string;
  channel: Channel;
  variables: Record<string, unknown>;
}

interface StepBase {
  id: string;
  /** Index of the step that follows, or -1 for the end of the journey. */
  next: number;
}

export type CampaignStep =
  | (StepBase & {
      type: 'message';
      /** With variants: the first variant's, so code that knows no variants still has a template to read. */
      template: string;
      channel: Channel;
      variables: Record<string, unknown>;
      /** A message A/B test: one of these templates by the entry's variant. */
      variants?: MessageVariant[];
    })
  | (StepBase & { type: 'wait'; durationMs: number; duration: string })
  | (StepBase & { type: 'wait_until'; at: string; fallbackTimezone: string; weekdays?: Weekday[]; nextDay: boolean })
  | (StepBase & {
      type: 'wait_for_event';
      event: string;
      filters: PropertyFilter[];
      matchEntry?: { property: string; entryProperty: string };
      timeoutMs: number;
      timeout: string;
      onEvent: number;
      onTimeout: number;
    })
  | (StepBase & { type: 'branch'; condition: UserCondition; then: number; else: number })
  | (StepBase & { type: 'split'; variants: { name: string; percent: number; next: number }[] })
  | (StepBase & { type: 'exit' });

/** Where the journey ends; a step index otherwise. */
export const END = -1;

/** Event names a running journey of this campaign must hear about: exits, the goal, awaited events, branch conditions. */
export function eventsListenedTo(campaign: Campaign): string[] {
  const names = new Set<string>(campaign.exitOn.map((exit) => exit.event));
  if (campaign.goal) names.add(campaign.goal.event);
  const fromCondition = (condition: UserCondition): void => {
    if (condition.type === 'did' || condition.type === 'did_not' || condition.type === 'event_count') names.add(condition.event);
    else if (condition.type === 'all' || condition.type === 'any') condition.conditions.forEach(fromCondition);
    else if (condition.type === 'not') fromCondition(condition.condition);
  };
  for (const step of campaign.steps) {
    if (step.type === 'wait_for_event') names.add(step.event);
    if (step.type === 'branch') fromCondition(step.condition);
  }
  return [...names].sort();
}

/** Deterministic key of one send: the same (campaign version, user, entry, step) never sends twice. */
export function deliveryKey(campaign: Pick<Campaign, 'id' | 'version'>, pseudonym: string, entry: number, step: string | number): string {
  return `${campaign.id}:v${campaign.version}:${pseudonym}:${entry}:${step}`;
}
