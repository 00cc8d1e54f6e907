import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Campaign } from '../../src/domain/campaign/campaign-model';
import {
  journeyEndedSignal,
  journeyQuery,
  journeyWorkflowId,
  stateQuery,
  traitsSignal,
  userWorkflowId,
  type EventSignal,
  type JourneyEndedSignal,
} from '../../src/workflows/messages';
import { beckonJourneyStatus, beckonStep } from '../../src/workflows/search-attributes';
import { userWorkflow } from '../../src/workflows/user-workflow';
import {
  compile,
  eventAt,
  fakeActivities,
  seedCampaigns,
  settledResult,
  sendEvent,
  startedWorkflow,
  timeSkippingPerTest,
  waitFor,
  withWorker,
  workflowExists,
} from '../support/workflow-env';

const HOUR = 3_600_000;
const currentEnv = timeSkippingPerTest();
const send = (queue: string, pseudonym: string, signal: EventSignal) => sendEvent(env, queue, pseudonym, signal);
const exists = (workflowId: string) => workflowExists(env, workflowId);
const started = (workflowId: string) => startedWorkflow(env, workflowId);
let env: TestWorkflowEnvironment;
beforeEach(() => {
  env = currentEnv();
});
const seeds = { current: { revision: 1, campaigns: seedCampaigns() } };



function identify(taskQueue: string, pseudonym: string, traits: Record<string, unknown>) {
  return env.client.workflow.signalWithStart(userWorkflow, {
    workflowId: userWorkflowId(pseudonym),
    taskQueue,
    args: [{ version: 1, pseudonym }],
    signal: traitsSignal,
    signalArgs: [{ version: 1, traits }],
  });
}

/** Waits until the user workflow has folded `count` events, so the next step of the test sees their effect. */
async function folded(pseudonym: string, count: number) {
  const handle = env.client.workflow.getHandle(userWorkflowId(pseudonym));
  await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents === count);
  return handle.query(stateQuery);
}

/** Moves the test server's clock to an absolute instant. */
async function travelTo(iso: string) {
  const now = await env.currentTimeMs();
  const target = Date.parse(iso);
  if (target > now) await env.sleep(target - now);
}

describe('advanced features viewed without engagement', () => {
  it('72h of silence: in-app, 4h later a push, the next day at 10:00 New York an email, across the DST change', async () => {
    const { activities, deliveries } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      await travelTo('2027-03-10T12:00:00Z'); // a Wednesday; US clocks go forward on Sunday 2027-03-14
      await identify(queue, 'p-adv', { timezone: 'America/New_York' });
      await send(queue, 'p-adv', await eventAt(env, 'Viewed Advanced Features'));
      await folded('p-adv', 1);
      await env.sleep(72 * HOUR);
      const journey = await started(journeyWorkflowId('advanced-features-nudge', 'p-adv', 1));
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', delivered: 3, path: ['in-app', 'wait-4h', 'push', 'next-morning', 'email'] });
    });
    const sent = deliveries.map((d) => ({ step: d.input.stepId, channel: d.input.channel, at: d.at.toISOString().slice(0, 16) }));
    expect(sent).toEqual([
      { step: 'in-app', channel: 'in_app', at: '2027-03-13T12:00' },
      { step: 'push', channel: 'push', at: '2027-03-13T16:00' },
      // 10:00 EDT (UTC-4) on Sunday 14 March, the first day of daylight saving time.
      { step: 'email', channel: 'email', at: '2027-03-14T14:00' },
    ]);
  });

  it('engagement at hour 71 disarms the rule: no journey, nothing sent', async () => {
    const { activities, deliveries } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-71', await eventAt(env, 'Viewed Advanced Features'));
      await folded('p-71', 1);
      await env.sleep(71 * HOUR);
      await send(queue, 'p-71', await eventAt(env, 'Opened App'));
      const view = await folded('p-71', 2);
      expect(view.state.armed).toEqual({});
      await env.sleep(3 * HOUR);
      expect(await exists(journeyWorkflowId('advanced-features-nudge', 'p-71', 1))).toBe(false);
    });
    expect(deliveries).toEqual([]);
  });

  it('a later view re-arms the rule: the 72h count from the latest view', async () => {
    const { activities, deliveries } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-rearm', await eventAt(env, 'Viewed Advanced Features'));
      await folded('p-rearm', 1);
      await env.sleep(48 * HOUR);
      const second = await eventAt(env, 'Viewed Advanced Features');
      await send(queue, 'p-rearm', second);
      await folded('p-rearm', 2);
      await env.sleep(48 * HOUR); // 96h after the first view, 48h after the second
      expect(await exists(journeyWorkflowId('advanced-features-nudge', 'p-rearm', 1))).toBe(false);
      await env.sleep(25 * HOUR);
      const journey = await started(journeyWorkflowId('advanced-features-nudge', 'p-rearm', 1));
      await journey.result();
      expect(deliveries[0]!.at.getTime() - Date.parse(second.event.timestamp)).toBeGreaterThanOrEqual(72 * HOUR);
      expect(deliveries[0]!.at.getTime() - Date.parse(second.event.timestamp)).toBeLessThan(72 * HOUR + 60_000);
    });
  });

  it('engagement during the 4h wait ends the sequence at once', async () => {
    const { activities, deliveries } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-4h', await eventAt(env, 'Viewed Advanced Features'));
      await folded('p-4h', 1);
      await env.sleep(72 * HOUR);
      const journey = await started(journeyWorkflowId('advanced-features-nudge', 'p-4h', 1));
      await waitFor(async () => (await journey.query(journeyQuery)).step === 'wait-4h');
      await env.sleep(HOUR);
      await send(queue, 'p-4h', await eventAt(env, 'Used Advanced Feature'));
      await expect(journey.result()).resolves.toMatchObject({
        status: 'exited',
        reason: 'exit event "Used Advanced Feature"',
        path: ['in-app', 'wait-4h'],
        delivered: 1,
      });
      const view = await folded('p-4h', 2);
      expect(view.state.running).toEqual({});
    });
    expect(deliveries.map((d) => d.input.stepId)).toEqual(['in-app']);
  });
});

describe('returning user viewed pricing and did not buy', () => {
  async function returningUserViewsPricing(queue: string, pseudonym: string) {
    await send(queue, pseudonym, await eventAt(env, 'Session Started'));
    await send(queue, pseudonym, await eventAt(env, 'Session Started'));
    await send(queue, pseudonym, await eventAt(env, 'Viewed Pricing', { plan: 'pro' }));
    return started(journeyWorkflowId('pricing-no-purchase', pseudonym, 1));
  }

  it('no purchase within 48h: the offer goes out at hour 48, and only listened events reach the journey', async () => {
    const { activities, deliveries } = fakeActivities(seeds);
    let enteredAt = 0;
    // p-offer-3 is in the campaign's percent-off arm (experiment-assignment.ts); p-offer is held out (the next test).
    await withWorker(env, activities, async (queue) => {
      const journey = await returningUserViewsPricing(queue, 'p-offer-3');
      enteredAt = await env.currentTimeMs();
      await send(queue, 'p-offer-3', await eventAt(env, 'Page Viewed'));
      await folded('p-offer-3', 4);
      expect((await journey.query(journeyQuery)).heard).toBe(0);
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', path: ['wait-for-purchase', 'offer'], converted: false });
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.input).toMatchObject({ stepId: 'offer', channel: 'email', context: { entry: { plan: 'pro' }, variables: { code: 'PRICING20' } } });
    expect(deliveries[0]!.at.getTime() - enteredAt).toBeGreaterThanOrEqual(48 * HOUR - 60_000);
    expect(deliveries[0]!.at.getTime() - enteredAt).toBeLessThan(48 * HOUR + 60_000);
  });

  it('a held-out user walks the same journey and is sent no offer', async () => {
    const { activities, deliveries, experiments } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      const journey = await returningUserViewsPricing(queue, 'p-offer');
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', path: ['wait-for-purchase', 'offer'], delivered: 0 });
    });
    expect(deliveries).toEqual([]);
    expect(experiments.entries).toMatchObject([{ campaignId: 'pricing-no-purchase', pseudonym: 'p-offer', variant: 'holdout', heldOut: true }]);
  });

  it('a purchase at hour 47 ends the journey: converted, no offer', async () => {
    const { activities, deliveries } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      const journey = await returningUserViewsPricing(queue, 'p-bought');
      await env.sleep(47 * HOUR);
      await send(queue, 'p-bought', await eventAt(env, 'Completed Purchase'));
      await expect(journey.result()).resolves.toMatchObject({ status: 'exited', converted: true, delivered: 0 });
    });
    expect(deliveries).toEqual([]);
  });

  it('a first-time visitor (one session) does not enter', async () => {
    const { activities } = fakeActivities(seeds);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-new', await eventAt(env, 'Session Started'));
      await send(queue, 'p-new', await eventAt(env, 'Viewed Pricing'));
      const view = await folded('p-new', 2);
      expect(view.state.entries).toEqual({});
      expect(await exists(journeyWorkflowId('pricing-no-purchase', 'p-new', 1))).toBe(false);
    });
  });
});

describe('races and versions', () => {
  const confirmFlow = {
    id: 'confirm',
    name: 'Confirm',
    entry: { event: 'Requested' },
    templates: { ask: { channel: 'in_app', title: 'Please confirm', body: '.' }, thanks: { channel: 'in_app', title: 'Thanks', body: '.' } },
    steps: [
      { id: 'ask', type: 'message', template: 'ask' },
      { id: 'wait', type: 'wait_for_event', event: 'Confirmed', matchEntry: { property: 'requestId', entryProperty: 'requestId' }, timeout: '1h', onEvent: 'thanks', onTimeout: 'exit' },
      { id: 'thanks', type: 'message', template: 'thanks' },
    ],
  };

  it('an event that arrives before the journey reaches its wait still counts', async () => {
    const catalog = { current: { revision: 1, campaigns: [compile(confirmFlow)] } };
    const { activities, deliveries } = fakeActivities(catalog);
    // The first message is held until the journey has heard both confirmations: they arrive before its wait, whatever the machine's speed.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const holdingAsk: typeof activities = {
      ...activities,
      async deliverMessage(input) {
        if (input.stepId === 'ask') await held;
        return activities.deliverMessage(input);
      },
    };
    await withWorker(env, holdingAsk, async (queue) => {
      await send(queue, 'p-race', await eventAt(env, 'Requested', { requestId: 'r-1' }));
      const journey = await started(journeyWorkflowId('confirm', 'p-race', 1));
      await send(queue, 'p-race', await eventAt(env, 'Confirmed', { requestId: 'other' }));
      await send(queue, 'p-race', await eventAt(env, 'Confirmed', { requestId: 'r-1' }));
      await waitFor(async () => (await journey.query(journeyQuery)).heard === 2);
      expect(await journey.query(journeyQuery)).toMatchObject({ step: 'ask', status: 'running' });
      release();
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', path: ['ask', 'wait', 'thanks'] });
    });
    expect(deliveries.map((d) => d.input.stepId)).toEqual(['ask', 'thanks']);
  });

  it('an edit makes a new version: running journeys finish on theirs, new entries take the new one', async () => {
    const v1 = { ...confirmFlow, id: 'edited', steps: [{ id: 'pause', type: 'wait', duration: '4h' }, { id: 'ask', type: 'message', template: 'ask' }] };
    const v2 = { ...v1, templates: { ...v1.templates, ask: { channel: 'in_app', title: 'Please confirm (v2)', body: '.' } } };
    const catalog: { current: { revision: number; campaigns: Campaign[] } } = { current: { revision: 1, campaigns: [compile(v1, 1)] } };
    const { activities, deliveries } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-old', await eventAt(env, 'Requested'));
      await send(queue, 'p-new-version', await eventAt(env, 'Hello'));
      const oldJourney = await started(journeyWorkflowId('edited', 'p-old', 1));
      await folded('p-new-version', 1);

      catalog.current = { revision: 2, campaigns: [compile(v2, 2)] };
      const entry = await eventAt(env, 'Requested');
      await send(queue, 'p-new-version', { ...entry, catalogRevision: 2 });
      const newJourney = await started(journeyWorkflowId('edited', 'p-new-version', 1));
      // One result() at a time: the time-skipping server's lock is shared (STYLE.md, Tests).
      await oldJourney.result();
      await newJourney.result();
    });
    const byUser = Object.fromEntries(deliveries.map((d) => [d.input.pseudonym, { version: d.input.campaignVersion, title: (d.input.template as { title: string }).title }]));
    expect(byUser).toEqual({ 'p-old': { version: 1, title: 'Please confirm' }, 'p-new-version': { version: 2, title: 'Please confirm (v2)' } });
  });

  it('branches on what the user did and splits users stably by percentage', async () => {
    const flow = compile({
      id: 'routes',
      name: 'Routes',
      entry: { event: 'Go' },
      allowConcurrent: true,
      templates: { a: { channel: 'in_app', title: 'A', body: '.' }, b: { channel: 'in_app', title: 'B', body: '.' }, buyer: { channel: 'in_app', title: 'Buyer', body: '.' } },
      steps: [
        { id: 'bought', type: 'branch', condition: { type: 'did', event: 'Completed Purchase', within: '30 days' }, then: 'buyer', else: 'ab' },
        { id: 'ab', type: 'split', variants: [{ name: 'a', percent: 50, next: 'a' }, { name: 'b', percent: 50, next: 'b' }] },
        { id: 'a', type: 'message', template: 'a', next: 'exit' },
        { id: 'b', type: 'message', template: 'b', next: 'exit' },
        { id: 'buyer', type: 'message', template: 'buyer' },
      ],
    });
    const catalog = { current: { revision: 1, campaigns: [flow] } };
    const { activities } = fakeActivities(catalog);
    const paths: Record<string, string[]> = {};
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-buyer', await eventAt(env, 'Completed Purchase'));
      await send(queue, 'p-buyer', await eventAt(env, 'Go'));
      paths.buyer = (await (await started(journeyWorkflowId('routes', 'p-buyer', 1))).result()).path;
      for (const user of ['p-s1', 'p-s2', 'p-s3', 'p-s4', 'p-s5', 'p-s6']) {
        await send(queue, user, await eventAt(env, 'Go'));
        await send(queue, user, await eventAt(env, 'Go'));
        const first = (await (await started(journeyWorkflowId('routes', user, 1))).result()).path;
        const second = (await (await started(journeyWorkflowId('routes', user, 2))).result()).path;
        expect(second).toEqual(first); // the same user lands in the same variant every time
        paths[user] = first;
      }
    });
    expect(paths.buyer).toEqual(['bought', 'buyer']);
    const variants = new Set(Object.entries(paths).filter(([user]) => user !== 'buyer').map(([, path]) => path[2]));
    expect(variants).toEqual(new Set(['ab=a', 'ab=b']));
  });

  const stoppable = {
    id: 'stoppable',
    name: 'Stoppable',
    entry: { event: 'Start' },
    exitOn: [{ event: 'Stop' }],
    templates: { hello: { channel: 'in_app', title: 'Hello', body: '.' } },
    steps: [{ id: 'pause', type: 'wait', duration: '1h' }, { id: 'hello', type: 'message', template: 'hello' }],
  };

  it('frees the campaign when a journey exits on an event it was forwarded, so the user can enter again', async () => {
    const catalog = { current: { revision: 1, campaigns: [compile(stoppable)] } };
    const { activities } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-again', await eventAt(env, 'Start'));
      const first = await started(journeyWorkflowId('stoppable', 'p-again', 1));
      await send(queue, 'p-again', await eventAt(env, 'Stop'));
      await expect(settledResult(env, first.workflowId)).resolves.toMatchObject({ status: 'exited' });
      await waitFor(async () => Object.keys((await env.client.workflow.getHandle(userWorkflowId('p-again')).query(stateQuery)).state.running).length === 0);
      await send(queue, 'p-again', await eventAt(env, 'Start'));
      await started(journeyWorkflowId('stoppable', 'p-again', 2));
    });
  });

  it('a failed journey ends as failed at step end, and tells its user workflow so, which frees the campaign', async () => {
    const catalog = { current: { revision: 1, campaigns: [compile({ ...stoppable, steps: [{ id: 'hello', type: 'message', template: 'hello' }] })] } };
    const { activities } = fakeActivities(catalog);
    const failing = {
      ...activities,
      async deliverMessage() {
        throw ApplicationFailure.nonRetryable('template does not render', 'TemplateError');
      },
    };
    await withWorker(env, failing, async (queue) => {
      await send(queue, 'p-failed', await eventAt(env, 'Start'));
      const journey = await started(journeyWorkflowId('stoppable', 'p-failed', 1));
      await expect(journey.result()).rejects.toThrow(WorkflowFailedError);
      await waitFor(async () => Object.keys((await env.client.workflow.getHandle(userWorkflowId('p-failed')).query(stateQuery)).state.running).length === 0);
      expect(await shownAs(journey.workflowId)).toEqual({ step: 'end', status: 'failed' });
      expect(await journeyEndsHeard('p-failed')).toEqual([{ campaignId: 'stoppable', entry: 1, status: 'failed' }]);
    });
  });

  it('a cancelled journey ends as cancelled at step end, and tells its user workflow so, which frees the campaign', async () => {
    const catalog = { current: { revision: 1, campaigns: [compile(stoppable)] } };
    const { activities, deliveries } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-cancelled', await eventAt(env, 'Start'));
      const journey = await started(journeyWorkflowId('stoppable', 'p-cancelled', 1));
      await waitFor(async () => (await journey.query(journeyQuery)).status === 'waiting');
      expect(await shownAs(journey.workflowId)).toEqual({ step: 'pause', status: 'waiting' });
      await journey.cancel();
      await expect(settledResult(env, journey.workflowId)).rejects.toThrow(WorkflowFailedError);
      await waitFor(async () => Object.keys((await env.client.workflow.getHandle(userWorkflowId('p-cancelled')).query(stateQuery)).state.running).length === 0);
      expect(await shownAs(journey.workflowId)).toEqual({ step: 'end', status: 'cancelled' });
      expect(await journeyEndsHeard('p-cancelled')).toEqual([{ campaignId: 'stoppable', entry: 1, status: 'cancelled' }]);
      await send(queue, 'p-cancelled', await eventAt(env, 'Start'));
      await started(journeyWorkflowId('stoppable', 'p-cancelled', 2));
    });
    expect(deliveries).toEqual([]);
  });
});

/** The step and status a journey shows in its search attributes (what ops and the Web UI see). */
async function shownAs(workflowId: string) {
  const attributes = (await env.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;
  return { step: attributes.get(beckonStep), status: attributes.get(beckonJourneyStatus) };
}

/** The journeyEnded signals a user workflow received, as its history holds them. */
async function journeyEndsHeard(pseudonym: string): Promise<Omit<JourneyEndedSignal, 'version'>[]> {
  const { events } = await env.client.workflow.getHandle(userWorkflowId(pseudonym)).fetchHistory();
  return (events ?? [])
    .map((event) => event.workflowExecutionSignaledEventAttributes)
    .filter((signaled) => signaled?.signalName === journeyEndedSignal.name)
    .map((signaled) => {
      const { campaignId, entry, status } = defaultPayloadConverter.fromPayload<JourneyEndedSignal>(signaled!.input!.payloads![0]!);
      return { campaignId, entry, status };
    });
}
