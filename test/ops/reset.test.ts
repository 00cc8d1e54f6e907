import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createInAppSender } from '../../src/activities/channels/in-app-sender';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import type { TrackedEvent } from '../../src/domain/events';
import { journeyWorkflowId, type JourneyWorkflowInput } from '../../src/workflows/messages';
import { startJourneyWith } from '../../src/activities/journey-activities';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { testTemporalAddress, workflowBundle } from '../support/env';
import { eventually, opsEnvPerFile, publishCampaign } from '../support/ops-env';

const env = opsEnvPerFile('ops-reset', { worker: false });

/**
 * Reset of a failed journey: its message step fails for good once (a send the worker refuses), the
 * journey fails; reset takes it back to the last good workflow task and the step runs again, once.
 */
describe('reset a failed journey', () => {
  it('retries from the last good workflow task and completes, delivering once', async () => {
    const id = `reset-${Date.now().toString(36)}`;
    const text = `id: ${id}\nname: Reset test\nentry: { event: Reset Test }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps:\n  - { id: short, type: wait, duration: 1 second }\n  - { id: t, type: message, template: t }\n`;
    await publishCampaign(env().pool, text);
    const campaign = compileCampaign(parseCampaignText(text, 'test'), 1);
    const real = createActivities({ pool: env().pool, senders: { in_app: createInAppSender({ pool: env().pool }) } });
    let refusals = 0;
    const activities = {
      ...real,
      // The first send is refused for good, as a provider rejecting the message would; the retry after the reset goes through.
      async deliverMessage(input: Parameters<typeof real.deliverMessage>[0]) {
        if (refusals++ === 0) throw ApplicationFailure.nonRetryable('provider refused the message', 'ProviderRefused');
        return real.deliverMessage(input);
      },
    };
    const taskQueue = `${id}-queue`;
    const connection = await NativeConnection.connect({ address: testTemporalAddress() });
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: workflowBundle(), activities });
    const pseudonym = `reset-p-${Date.now().toString(36)}`;
    // The send path delivers only to a user it has a profile of.
    await env().pool.query('INSERT INTO users (pseudonym, user_id) VALUES ($1, $1)', [pseudonym]);
    const workflowId = journeyWorkflowId(id, pseudonym, 1);
    try {
      await worker.runUntil(async () => {
        const at = new Date().toISOString();
        const entryEvent: TrackedEvent = { messageId: 'm', event: 'Reset Test', properties: {}, timestamp: at, receivedAt: at };
        const journey: JourneyWorkflowInput = { version: 2, pseudonym, campaign, entry: 1, entryEvent, history: { events: {}, traits: {} } };
        await startJourneyWith(env().temporal, { workflowId, taskQueue, journey });
        const handle = env().temporal.workflow.getHandle<typeof journeyWorkflow>(workflowId);
        await expect(handle.result()).rejects.toThrow(/Workflow execution failed/);

        const ops = env().as('operate');
        const reset = await env().http({ method: 'POST', url: `/v1/ops/journeys/${workflowId}/reset`, headers: ops, payload: { reason: 'provider fixed' } });
        expect(reset.statusCode).toBe(200);
        expect(reset.json()).toEqual({ workflowId, runId: expect.any(String), resetToEventId: expect.any(Number) });
        const newRun = env().temporal.workflow.getHandle(workflowId, reset.json().runId);
        await expect(newRun.result()).resolves.toMatchObject({ status: 'completed', delivered: 1, path: ['short', 't'] });
        // The wait before the failed step is not waited again: the reset resumes after it.
        const events = (await newRun.fetchHistory()).events ?? [];
        expect(events.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED)).toHaveLength(1);
        expect(refusals).toBe(2);

        const again = await env().http({ method: 'POST', url: `/v1/ops/journeys/${workflowId}/reset`, headers: ops });
        expect(again.statusCode).toBe(409);
        expect(again.json().message).toMatch(/is completed; only a failed, timed-out or terminated journey is reset/);
      });
    } finally {
      await connection.close();
    }
    const inbox = await eventually(async () => (await env().pool.query('SELECT count(*)::int AS n FROM inbox_messages WHERE campaign_id = $1', [id])).rows[0].n, (n) => n === 1);
    expect(inbox).toBe(1);
  });
});
