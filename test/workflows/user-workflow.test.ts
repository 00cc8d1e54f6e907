import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { absorbSignal, journeyWorkflowId, stateQuery, userWorkflowId, type EventSignal, type JourneyWorkflowInput } from '../../src/workflows/messages';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { userWorkflow } from '../../src/workflows/user-workflow';
import { workflowLog } from '../support/quiet-sdk';
import { eventAt, fakeActivities, seedCampaigns, sendEvent, settledResult, startedWorkflow, timeSkippingPerTest, waitFor, withWorker } from '../support/workflow-env';

const currentEnv = timeSkippingPerTest();
const send = (queue: string, pseudonym: string, signal: EventSignal) => sendEvent(env, queue, pseudonym, signal);
const started = (workflowId: string) => startedWorkflow(env, workflowId);
let env: TestWorkflowEnvironment;
beforeEach(() => {
  env = currentEnv();
});
const catalog = { current: { revision: 1, campaigns: seedCampaigns() } };



async function totalEvents(handle: WorkflowHandle<typeof userWorkflow>, expected: number) {
  await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents === expected, 120_000);
  return handle.query(stateQuery);
}

describe('userWorkflow', () => {
  it('enters the welcome campaign on Signed Up once, and the journey delivers its in-app message', async () => {
    const { activities, deliveries } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-welcome', await eventAt(env, 'Page Viewed'));
      await send(queue, 'p-welcome', await eventAt(env, 'Signed Up'));
      const journey = await started(journeyWorkflowId('welcome', 'p-welcome', 1));
      await expect(settledResult(env, journey.workflowId)).resolves.toMatchObject({ status: 'completed', delivered: 1, path: ['welcome'] });
      // reentry: once
      await send(queue, 'p-welcome', await eventAt(env, 'Signed Up'));
      const view = await totalEvents(env.client.workflow.getHandle(userWorkflowId('p-welcome')), 3);
      expect(view.state.entries).toEqual({ welcome: 1 });
      expect(view.state.running).toEqual({});
    });
    expect(deliveries.map((d) => d.input.deliveryKey)).toEqual(['welcome:v1:p-welcome:1:welcome']);
    expect(deliveries[0]!.input).toMatchObject({ channel: 'in_app', campaignVersion: 1, template: { title: 'Welcome aboard!' } });
  });

  it('drops a retried event with the same messageId', async () => {
    const { activities, deliveries } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      const signedUp = await eventAt(env, 'Signed Up', {}, 'dup-1');
      await send(queue, 'p-dup', signedUp);
      await send(queue, 'p-dup', signedUp);
      await send(queue, 'p-dup', await eventAt(env, 'Marker'));
      await totalEvents(env.client.workflow.getHandle(userWorkflowId('p-dup')), 2);
      await (await started(journeyWorkflowId('welcome', 'p-dup', 1))).result();
    });
    expect(deliveries).toHaveLength(1);
  });

  /** What the API does for an alias: signal-with-start `absorb` on the known user's workflow. */
  const absorb = (queue: string, pseudonym: string, from: string) =>
    env.client.workflow.signalWithStart(userWorkflow, {
      workflowId: userWorkflowId(pseudonym),
      taskQueue: queue,
      args: [{ version: 1, pseudonym }],
      signal: absorbSignal,
      signalArgs: [{ version: 1, from }],
    });

  it('hands a visitor over to the known user: its counts move, its workflow ends, each step is logged', async () => {
    const { activities } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      await send(queue, 'p-visitor', await eventAt(env, 'Session Started'));
      await send(queue, 'p-visitor', await eventAt(env, 'Session Started'));
      const visitor = env.client.workflow.getHandle(userWorkflowId('p-visitor'));
      await totalEvents(visitor, 2);
      await send(queue, 'p-known', await eventAt(env, 'Page Viewed'));
      await absorb(queue, 'p-known', 'p-visitor');
      await visitor.result();
      const view = await totalEvents(env.client.workflow.getHandle(userWorkflowId('p-known')), 3);
      expect(view.state.events['Session Started']?.count).toBe(2);
    });
    expect(workflowLog(userWorkflowId('p-known'))).toEqual(
      expect.arrayContaining([
        { level: 'INFO', message: 'asked visitor p-visitor to hand over' },
        { level: 'INFO', message: 'merged visitor p-visitor: 0 queued events taken over' },
      ]),
    );
    expect(workflowLog(userWorkflowId('p-visitor'))).toContainEqual({ level: 'INFO', message: "handed over to p-known with 0 queued events; this visitor's workflow ends" });
  });

  it('a signal to a workflow that is not running is logged as not delivered, and the sender goes on', async () => {
    const { activities } = fakeActivities(catalog);
    await withWorker(env, activities, async (queue) => {
      // A visitor that never had a workflow: nothing to absorb.
      await absorb(queue, 'p-absorbs-nobody', 'p-nobody');
      await send(queue, 'p-absorbs-nobody', await eventAt(env, 'Page Viewed'));
      await totalEvents(env.client.workflow.getHandle(userWorkflowId('p-absorbs-nobody')), 1);
      // A journey whose user workflow is gone (never started here): it still completes, and says it could not tell it.
      const welcome = catalog.current.campaigns.find((c) => c.id === 'welcome')!;
      const input: JourneyWorkflowInput = { version: 1, pseudonym: 'p-gone', campaign: welcome, entry: 1, entryEvent: (await eventAt(env, 'Signed Up')).event, history: { events: {}, traits: {} } };
      const journey = await env.client.workflow.start(journeyWorkflow, { workflowId: journeyWorkflowId('welcome', 'p-gone', 1), taskQueue: queue, args: [input] });
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', delivered: 1 });
    });
    expect(workflowLog(userWorkflowId('p-absorbs-nobody'))).toEqual(
      expect.arrayContaining([
        { level: 'INFO', message: 'signal handOver not delivered: user:p-nobody is not running' },
        { level: 'INFO', message: 'visitor p-nobody has no running workflow: nothing to absorb' },
      ]),
    );
    expect(workflowLog(journeyWorkflowId('welcome', 'p-gone', 1))).toContainEqual({ level: 'INFO', message: 'signal journeyEnded not delivered: user:p-gone is not running' });
  });
});
