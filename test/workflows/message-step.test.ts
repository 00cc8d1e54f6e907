import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DeliverMessageInput, DeliveryOutcome } from '../../src/activities/message-activities';
import { journeyWorkflowId } from '../../src/workflows/messages';
import { workflowLog } from '../support/quiet-sdk';
import { compile, eventAt, fakeActivities, sendEvent, startedWorkflow, timeSkippingPerTest, withWorker } from '../support/workflow-env';

const HOUR = 3_600_000;
const currentEnv = timeSkippingPerTest();

/** How a journey handles what the send activity answers: quiet-hours deferral and failures the provider made final. */
describe('message steps in a journey', () => {
  const nightly = {
    id: 'nightly',
    name: 'Nightly',
    entry: { event: 'Start' },
    exitOn: [{ event: 'Stop' }],
    templates: { ping: { channel: 'push', title: 'Ping', body: '.' }, note: { channel: 'in_app', title: 'Note', body: '.' } },
    steps: [{ id: 'ping', type: 'message', template: 'ping' }, { id: 'note', type: 'message', template: 'note' }],
  };

  /** Answers `deferred` for 10 hours the first time each key is asked, then `sent`; records when each call was scheduled. */
  function deferringActivities() {
    const catalog = { current: { revision: 1, campaigns: [compile(nightly)] } };
    const { activities } = fakeActivities(catalog);
    const calls: { key: string; at: number }[] = [];
    return {
      calls,
      activities: {
        ...activities,
        async deliverMessage(input: DeliverMessageInput): Promise<DeliveryOutcome> {
          const at = activityInfo().currentAttemptScheduledTimestampMs;
          const first = !calls.some((call) => call.key === input.deliveryKey);
          calls.push({ key: input.deliveryKey, at });
          if (input.channel === 'push' && first) return { status: 'deferred', until: new Date(at + 10 * HOUR).toISOString() };
          if (input.stepId === 'note' && input.pseudonym === 'p-fail') throw ApplicationFailure.nonRetryable('550 no such user', 'DeliveryFailed');
          return { status: 'sent', providerId: input.deliveryKey };
        },
      },
    };
  }

  it('waits out quiet hours on a durable timer and asks again with the same key', async () => {
    const env = currentEnv();
    const { activities, calls } = deferringActivities();
    await withWorker(env, activities, async (queue) => {
      await sendEvent(env, queue, 'p-night', await eventAt(env, 'Start'));
      const journey = await startedWorkflow(env, journeyWorkflowId('nightly', 'p-night', 1));
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', delivered: 2, path: ['ping', 'note'] });
    });
    const pings = calls.filter((call) => call.key.endsWith(':ping'));
    expect(pings).toHaveLength(2);
    expect(pings[1]!.at - pings[0]!.at).toBeGreaterThanOrEqual(10 * HOUR);
  });

  it('an exit during the deferral ends the journey without another send', async () => {
    const env = currentEnv();
    const { activities, calls } = deferringActivities();
    await withWorker(env, activities, async (queue) => {
      await sendEvent(env, queue, 'p-stop', await eventAt(env, 'Start'));
      const journey = await startedWorkflow(env, journeyWorkflowId('nightly', 'p-stop', 1));
      await env.sleep(2 * HOUR);
      await sendEvent(env, queue, 'p-stop', await eventAt(env, 'Stop'));
      await expect(journey.result()).resolves.toMatchObject({ status: 'exited', delivered: 0, path: ['ping'] });
    });
    expect(calls).toHaveLength(1);
  });

  it('a send the provider refused for good is noted and the journey goes on', async () => {
    const env = currentEnv();
    const { activities } = deferringActivities();
    const noteFirst = { ...nightly, id: 'nightly', steps: [{ id: 'note', type: 'message', template: 'note' }, { id: 'ping', type: 'message', template: 'ping' }] };
    const catalog = { revision: 1, campaigns: [compile(noteFirst)] };
    await withWorker(env, { ...activities, loadCatalog: async () => catalog }, async (queue) => {
      await sendEvent(env, queue, 'p-fail', await eventAt(env, 'Start'));
      const journey = await startedWorkflow(env, journeyWorkflowId('nightly', 'p-fail', 1));
      await expect(journey.result()).resolves.toMatchObject({ status: 'completed', delivered: 1, path: ['note', 'ping'] });
    });
    expect(workflowLog(journeyWorkflowId('nightly', 'p-fail', 1))).toContainEqual({ level: 'INFO', message: 'message step note not sent: failed' });
  });
});
