import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { journeyWorkflowId, stateQuery, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import type { userWorkflow } from '../../src/workflows/user-workflow';
import { eventAt, fakeActivities, seedCampaigns, sendEvent, startedWorkflow, timeSkippingPerTest, waitFor, withWorker } from '../support/workflow-env';

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
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', delivered: 1, path: ['welcome'] });
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
});
