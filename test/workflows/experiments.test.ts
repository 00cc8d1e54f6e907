import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { assignExperiment } from '../../src/domain/experiments/experiment-assignment';
import { journeyWorkflowId, stateQuery, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { compile, eventAt, fakeActivities, sendEvent, settledResult, startedWorkflow, timeSkippingPerTest, waitFor, withWorker } from '../support/workflow-env';

const currentEnv = timeSkippingPerTest();
let env: TestWorkflowEnvironment;
beforeEach(() => {
  env = currentEnv();
});
const send = (queue: string, pseudonym: string, signal: EventSignal) => sendEvent(env, queue, pseudonym, signal);

/** An offer in two variants, a 30% holdout, and a purchase goal watched for 7 days after entry. */
const offer = compile({
  id: 'offer-test',
  name: 'Offer test',
  entry: { event: 'Viewed Pricing' },
  holdout: 30,
  goal: { event: 'Completed Purchase', within: '7 days', exit: false, filters: [{ property: 'total', op: 'gt', value: 0 }] },
  templates: {
    ten: { channel: 'in_app', title: '10% off', body: 'ten' },
    twenty: { channel: 'in_app', title: '20% off', body: 'twenty' },
  },
  steps: [
    { id: 'offer', type: 'message', variants: [{ name: 'ten', percent: 50, template: 'ten' }, { name: 'twenty', percent: 50, template: 'twenty' }] },
  ],
});
const catalog = { current: { revision: 1, campaigns: [offer] } };

/** The first pseudonym of the form `<prefix>-<n>` in the given arm. */
function userIn(arm: string, prefix: string): string {
  for (let i = 0; ; i++) if (assignExperiment(offer, `${prefix}-${i}`).variant === arm) return `${prefix}-${i}`;
}

describe('experiments in workflows', () => {
  it('sends each entrant its variant, holds out the control, and records conversions after the journey once per entry within the window', async () => {
    const { activities, deliveries, experiments } = fakeActivities(catalog);
    const treated = userIn('twenty', 'p-treated');
    const heldOut = userIn('holdout', 'p-held');
    const late = userIn('ten', 'p-late');
    await withWorker(env, activities, async (queue) => {
      for (const pseudonym of [treated, heldOut, late]) {
        await send(queue, pseudonym, await eventAt(env, 'Viewed Pricing'));
        await settledResult(env, (await startedWorkflow(env, journeyWorkflowId('offer-test', pseudonym, 1))).workflowId);
      }
      // After the journeys ended: a purchase of nothing (filtered out), then real ones, one of them twice.
      await env.sleep('1 day');
      await send(queue, treated, await eventAt(env, 'Completed Purchase', { total: 0 }));
      await send(queue, treated, await eventAt(env, 'Completed Purchase', { total: 20 }));
      await send(queue, treated, await eventAt(env, 'Completed Purchase', { total: 30 }));
      await send(queue, heldOut, await eventAt(env, 'Completed Purchase', { total: 10 }));
      await env.sleep('7 days');
      await send(queue, late, await eventAt(env, 'Completed Purchase', { total: 10 }));
      for (const [pseudonym, events] of [[treated, 4], [heldOut, 2], [late, 2]] as const) {
        await waitFor(async () => (await env.client.workflow.getHandle(userWorkflowId(pseudonym)).query(stateQuery)).state.totalEvents === events, 60_000);
      }
      const lateState = await env.client.workflow.getHandle(userWorkflowId(late)).query(stateQuery);
      expect(lateState.state.goalWindows).toEqual({});
    });
    expect(deliveries.map((d) => [d.input.pseudonym, d.input.template])).toEqual([
      [treated, { channel: 'in_app', title: '20% off', body: 'twenty' }],
      [late, { channel: 'in_app', title: '10% off', body: 'ten' }],
    ]);
    // Journeys of shape 3 start with an in-app message: the entry rides in that send's transaction; the held-out one records it alone.
    expect(deliveries.map((d) => d.input.entry && [d.input.entry.pseudonym, d.input.entry.variant])).toEqual([[treated, 'twenty'], [late, 'ten']]);
    expect(experiments.entries.map((e) => [e.pseudonym, e.variant, e.heldOut])).toEqual([
      [treated, 'twenty', false],
      [heldOut, 'holdout', true],
      [late, 'ten', false],
    ]);
    expect(experiments.ends.map((e) => [e.pseudonym, e.status])).toEqual([[treated, 'completed'], [heldOut, 'completed'], [late, 'completed']]);
    expect(experiments.conversions.map((c) => [c.pseudonym, c.campaignId, c.entry, c.variant, c.event])).toEqual([
      [treated, 'offer-test', 1, 'twenty', 'Completed Purchase'],
      [heldOut, 'offer-test', 1, 'holdout', 'Completed Purchase'],
    ]);
    const [first] = experiments.conversions;
    expect(Date.parse(first!.convertedAt) - Date.parse(first!.enteredAt)).toBeGreaterThanOrEqual(86_400_000);
  });
});
