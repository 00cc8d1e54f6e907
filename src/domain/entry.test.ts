import fc from 'fast-check';
import type { Campaign } from './campaign/campaign-model';
import { compileCampaign } from './campaign/campaign-compile';
import { validateCampaign } from './campaign/campaign-validation';
import { nextDeadline, planForDeadlines, planForEvent } from './entry';
import type { TrackedEvent } from './events';
import { applyEvent, initialUserState, journeyEnded, type UserState } from './user-state';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-06-01T12:00:00Z');
const idFor = (campaignId: string, entry: number) => `journey:${campaignId}:p:${entry}`;

function campaign(overrides: Record<string, unknown>): Campaign {
  const result = validateCampaign({
    id: 'c',
    name: 'C',
    entry: { event: 'Go' },
    templates: { t: { channel: 'in_app', title: 'T', body: 'B' } },
    steps: [{ id: 's', type: 'message', template: 't' }],
    ...overrides,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return compileCampaign(result.definition, 1);
}

let sequence = 0;
function event(name: string, at: number, properties: Record<string, unknown> = {}): TrackedEvent {
  const iso = new Date(at).toISOString();
  return { messageId: `m${++sequence}`, event: name, properties, timestamp: iso, receivedAt: iso };
}

/** What the user workflow does with one event: fold it in, then plan. */
function receive(state: UserState, campaigns: Campaign[], e: TrackedEvent, now = Date.parse(e.timestamp)) {
  return planForEvent(applyEvent(state, e).state, campaigns, e, now, idFor);
}

describe('planForEvent: entry', () => {
  it('enters on the entry event when filters and conditions hold', () => {
    const c = campaign({
      entry: { event: 'Go', filters: [{ property: 'plan', op: 'equals', value: 'pro' }], conditions: [{ type: 'event_count', event: 'Session Started', op: 'gt', value: 1 }] },
    });
    let state = initialUserState();
    state = receive(state, [c], event('Session Started', T0)).state;
    expect(receive(state, [c], event('Go', T0, { plan: 'pro' })).start).toEqual([]); // one session only
    state = receive(state, [c], event('Session Started', T0)).state;
    expect(receive(state, [c], event('Go', T0, { plan: 'free' })).start).toEqual([]); // filter fails
    const plan = receive(state, [c], event('Go', T0, { plan: 'pro' }));
    expect(plan.start.map((s) => s.workflowId)).toEqual(['journey:c:p:1']);
    expect(plan.state.running.c).toEqual([expect.objectContaining({ entry: 1, workflowId: 'journey:c:p:1' })]);
  });

  it("filters on the event's context with $context paths: viewed pricing on mobile", () => {
    const c = campaign({ entry: { event: 'Viewed Pricing', filters: [{ property: '$context.deviceType', op: 'in', value: ['ios', 'android'] }] } });
    const onPhone = { ...event('Viewed Pricing', T0), context: { deviceType: 'ios', os: 'iOS' } };
    const onDesktop = { ...event('Viewed Pricing', T0), context: { os: 'Mac OS X' } };
    expect(receive(initialUserState(), [c], onPhone).start).toHaveLength(1);
    expect(receive(initialUserState(), [c], onDesktop).start).toEqual([]);
    // An event without context (and a property that is merely named like the context) does not match.
    expect(receive(initialUserState(), [c], event('Viewed Pricing', T0, { $context: { deviceType: 'ios' } })).start).toEqual([]);
  });

  it('keeps one running journey per user and campaign unless concurrency is allowed', () => {
    const single = campaign({});
    const many = campaign({ id: 'many', allowConcurrent: true });
    let state = initialUserState();
    const first = receive(state, [single, many], event('Go', T0));
    state = first.state;
    const second = receive(state, [single, many], event('Go', T0 + 1));
    expect(second.start.map((s) => s.workflowId)).toEqual(['journey:many:p:2']);
    state = journeyEnded(second.state, 'c', 1);
    expect(receive(state, [single], event('Go', T0 + 2)).start.map((s) => s.workflowId)).toEqual(['journey:c:p:2']);
  });

  it('honours re-entry: once, once per period, every time', () => {
    const once = campaign({ id: 'once', reentry: { mode: 'once' } });
    const weekly = campaign({ id: 'weekly', reentry: { mode: 'once_per', period: '7 days' } });
    let state = initialUserState();
    const entriesAt = (at: number) => {
      const plan = receive(state, [once, weekly], event('Go', at));
      state = plan.state;
      for (const start of plan.start) state = journeyEnded(state, start.campaign.id, start.entry);
      return plan.start.map((s) => s.campaign.id);
    };
    expect(entriesAt(T0)).toEqual(['once', 'weekly']);
    expect(entriesAt(T0 + 6 * 24 * HOUR)).toEqual([]);
    expect(entriesAt(T0 + 7 * 24 * HOUR)).toEqual(['weekly']);
  });

  it('forwards an event only to running journeys that listen to it', () => {
    const c = campaign({ exitOn: [{ event: 'Stop' }] });
    const state = receive(initialUserState(), [c], event('Go', T0)).state;
    expect(receive(state, [c], event('Noise', T0 + 1)).forwardTo).toEqual([]);
    expect(receive(state, [c], event('Stop', T0 + 1)).forwardTo).toEqual(['journey:c:p:1']);
    // Still forwarded after the campaign left the catalog: the journey runs on its own version.
    expect(receive(state, [], event('Stop', T0 + 1)).forwardTo).toEqual(['journey:c:p:1']);
  });
});

describe('absence rules', () => {
  const nudge = () => campaign({ entry: { event: 'Viewed', absence: { events: ['Engaged'], within: '72h' } } });

  it('arm, disarm, re-arm and fire at the deadline', () => {
    const c = nudge();
    let state = receive(initialUserState(), [c], event('Viewed', T0)).state;
    expect(nextDeadline(state)).toBe(T0 + 72 * HOUR);
    state = receive(state, [c], event('Engaged', T0 + 71 * HOUR)).state;
    expect(nextDeadline(state)).toBeUndefined();
    state = receive(state, [c], event('Viewed', T0 + 80 * HOUR)).state;
    state = receive(state, [c], event('Viewed', T0 + 90 * HOUR)).state;
    expect(nextDeadline(state)).toBe(T0 + 162 * HOUR);
    expect(planForDeadlines(state, [c], T0 + 161 * HOUR, idFor).start).toEqual([]);
    const fired = planForDeadlines(state, [c], T0 + 162 * HOUR, idFor);
    expect(fired.start).toHaveLength(1);
    expect(fired.start[0]!.entryEvent.timestamp).toBe(new Date(T0 + 90 * HOUR).toISOString());
    expect(nextDeadline(fired.state)).toBeUndefined();
  });

  it('drops an armed rule whose campaign has left the catalog, so no deadline stays due', () => {
    const c = nudge();
    const state = receive(initialUserState(), [c], event('Viewed', T0)).state;
    const fired = planForDeadlines(state, [], T0 + 72 * HOUR, idFor);
    expect(fired.start).toEqual([]);
    expect(nextDeadline(fired.state)).toBeUndefined();
  });

  it('whatever the order of events, fires exactly when the last view was followed by 72h without engagement', () => {
    const c = nudge();
    const arbitrary = fc.array(fc.record({ name: fc.constantFrom('Viewed', 'Engaged', 'Other'), gapHours: fc.integer({ min: 0, max: 100 }) }), { maxLength: 30 });
    fc.assert(
      fc.property(arbitrary, (steps) => {
        let state = initialUserState();
        let now = T0;
        let armedFrom: number | undefined;
        for (const step of steps) {
          now += step.gapHours * HOUR;
          if (armedFrom !== undefined && now >= armedFrom + 72 * HOUR) {
            state = planForDeadlines(state, [c], armedFrom + 72 * HOUR, idFor).state;
            state = journeyEnded(state, 'c', state.entries.c ?? 0);
            armedFrom = undefined;
          }
          state = receive(state, [c], event(step.name, now)).state;
          if (step.name === 'Viewed') armedFrom = now;
          if (step.name === 'Engaged') armedFrom = undefined;
          expect(nextDeadline(state)).toBe(armedFrom === undefined ? undefined : armedFrom + 72 * HOUR);
        }
      }),
    );
  });
});
