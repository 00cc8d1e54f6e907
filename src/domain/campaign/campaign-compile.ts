import type { UserCondition } from '../conditions';
import { END, type Campaign, type CampaignStep } from './campaign-model';
import type { CampaignDefinition, WrittenCondition } from './campaign-schema';
import { parseDuration } from '../time';

// Compiling turns a validated definition into the form workflows run; kept apart from `campaign.ts` so workflows do not bundle zod.

/** Milliseconds of a duration the schema has already checked. */
function ms(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.ms;
}

/** Turns a written condition into the evaluable form, durations in milliseconds. */
export function compileCondition(written: WrittenCondition): UserCondition {
  switch (written.type) {
    case 'trait':
    case 'group_trait':
      return { type: written.type, filter: written.filter };
    case 'did': {
      const withinMs = written.within === undefined ? undefined : ms(written.within);
      return { type: 'did', event: written.event, ...(withinMs !== undefined && { withinMs }), ...(written.atLeast !== undefined && { atLeast: written.atLeast }) };
    }
    case 'did_not': {
      const withinMs = written.within === undefined ? undefined : ms(written.within);
      return { type: 'did_not', event: written.event, ...(withinMs !== undefined && { withinMs }) };
    }
    case 'event_count':
      return written;
    case 'all':
    case 'any':
      return { type: written.type, conditions: written.conditions.map(compileCondition) };
    case 'not':
      return { type: 'not', condition: compileCondition(written.condition) };
  }
}

/** Compiles a validated definition (see `validateCampaign`) into the form workflows run. */
export function compileCampaign(definition: CampaignDefinition, version: number): Campaign {
  const indexById = new Map(definition.steps.map((step, index) => [step.id, index]));
  const resolve = (target: string | undefined, index: number): number => {
    if (target === 'exit') return END;
    if (target === undefined || target === 'next') return index + 1 < definition.steps.length ? index + 1 : END;
    const found = indexById.get(target);
    if (found === undefined) throw new Error(`steps[${index}]: "${target}" is not a step id (validate before compiling)`);
    return found;
  };
  const steps = definition.steps.map((step, index): CampaignStep => {
    switch (step.type) {
      case 'message': {
        const channelOf = (name: string) => {
          const template = definition.templates[name];
          if (!template) throw new Error(`steps[${index}]: template "${name}" is missing (validate before compiling)`);
          return template.channel;
        };
        const variants = step.variants?.map((variant) => ({
          name: variant.name,
          percent: variant.percent,
          template: variant.template,
          channel: channelOf(variant.template),
          variables: variant.variables ?? {},
        }));
        const first = variants?.[0];
        const template = step.template ?? first?.template ?? '';
        return {
          id: step.id,
          type: 'message',
          template,
          channel: first?.channel ?? channelOf(template),
          variables: first?.variables ?? step.variables ?? {},
          ...(variants && { variants }),
          next: resolve(step.next, index),
        };
      }
      case 'wait':
        return { id: step.id, type: 'wait', duration: step.duration, durationMs: ms(step.duration), next: resolve(step.next, index) };
      case 'wait_until':
        return {
          id: step.id,
          type: 'wait_until',
          at: step.at,
          fallbackTimezone: step.fallbackTimezone,
          ...(step.weekdays && { weekdays: step.weekdays }),
          nextDay: step.nextDay,
          next: resolve(step.next, index),
        };
      case 'wait_for_event':
        return {
          id: step.id,
          type: 'wait_for_event',
          event: step.event,
          filters: step.filters ?? [],
          ...(step.matchEntry && { matchEntry: step.matchEntry }),
          timeout: step.timeout,
          timeoutMs: ms(step.timeout),
          onEvent: resolve(step.onEvent, index),
          onTimeout: resolve(step.onTimeout, index),
          next: END,
        };
      case 'branch':
        return { id: step.id, type: 'branch', condition: compileCondition(step.condition), then: resolve(step.then, index), else: resolve(step.else, index), next: END };
      case 'split':
        return {
          id: step.id,
          type: 'split',
          variants: step.variants.map((variant) => ({ name: variant.name, percent: variant.percent, next: resolve(variant.next, index) })),
          next: END,
        };
      case 'exit':
        return { id: step.id, type: 'exit', next: END };
    }
  });
  const { entry } = definition;
  return {
    id: definition.id,
    version,
    name: definition.name,
    category: definition.category,
    entry: {
      event: entry.event,
      filters: entry.filters ?? [],
      conditions: (entry.conditions ?? []).map(compileCondition),
      ...(entry.absence && { absence: { events: entry.absence.events, within: entry.absence.within, withinMs: ms(entry.absence.within) } }),
    },
    reentry: definition.reentry.mode === 'once_per' ? { mode: 'once_per', periodMs: ms(definition.reentry.period) } : definition.reentry,
    allowConcurrent: definition.allowConcurrent,
    exitOn: definition.exitOn.map((exit) => ({ event: exit.event, filters: exit.filters ?? [] })),
    ...(definition.goal && {
      goal: {
        event: definition.goal.event,
        withinMs: ms(definition.goal.within),
        exit: definition.goal.exit,
        ...(definition.goal.filters && { filters: definition.goal.filters }),
        ...(definition.goal.attribution && definition.goal.attribution !== 'last_touch' && { attribution: definition.goal.attribution }),
      },
    }),
    ...(definition.holdout !== undefined && definition.holdout > 0 && { holdout: definition.holdout }),
    ...(definition.salt !== undefined && { salt: definition.salt }),
    ...(definition.winner && {
      winner: {
        metric: definition.winner.metric,
        auto: definition.winner.auto,
        ...(definition.winner.minSamples !== undefined && { minSamples: definition.winner.minSamples }),
        ...(definition.winner.after !== undefined && { after: definition.winner.after, afterMs: ms(definition.winner.after) }),
      },
    }),
    ...(definition.delivery && { delivery: definition.delivery }),
    templates: definition.templates,
    steps,
  };
}

