import { parseCampaignText } from '../../src/ops/campaign-files';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import type { TrackedEvent } from '../../src/domain/events';
import { campaignJourneysQuery } from '../../src/ops/visibility-queries';
import { journeyWorkflowId, type JourneyWorkflowInput } from '../../src/workflows/messages';
import { startJourneyWith } from '../../src/activities/journey-activities';
import { eventually, opsEnvPerFile, publishCampaign } from '../support/ops-env';

const env = opsEnvPerFile('ops-cancel');
const JOURNEYS = 1000;

/**
 * Cancel of a whole campaign: a thousand journeys in flight (started as the user workflow starts
 * them, waiting on a one-hour timer), ended by one Temporal batch operation whose progress the API reports.
 */
describe('cancel a campaign', () => {
  it(`ends all ${JOURNEYS} running journeys in one batch operation, with progress and a final count`, async () => {
    const id = `cancel-${Date.now().toString(36)}`;
    const text = `id: ${id}\nname: Cancel test\nentry: { event: Cancel Test }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps:\n  - { id: long-wait, type: wait, duration: 1h }\n  - { id: t, type: message, template: t }\n`;
    await publishCampaign(env().pool, text);
    const campaign = compileCampaign(parseCampaignText(text, 'test'), 1);
    const at = new Date().toISOString();
    const entryEvent: TrackedEvent = { messageId: 'm', event: 'Cancel Test', properties: {}, timestamp: at, receivedAt: at };
    const { workflow } = env().temporal;
    for (let first = 0; first < JOURNEYS; first += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, JOURNEYS - first) }, (_, i) => {
          const pseudonym = `cancel-p${first + i}`;
          const journey: JourneyWorkflowInput = { version: 2, pseudonym, campaign, entry: 1, entryEvent, history: { events: {}, traits: {} } };
          return startJourneyWith(env().temporal, { workflowId: journeyWorkflowId(id, pseudonym, 1), taskQueue: env().taskQueue, journey });
        }),
      );
    }
    const waiting = campaignJourneysQuery(id, { running: true, status: 'waiting' });
    await eventually(() => workflow.count(waiting), ({ count }) => count === JOURNEYS, 300_000);

    const ops = env().as('operate');
    const cancelStarted = Date.now();
    const started = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/cancel`, headers: ops, payload: { reason: 'test: cancel a thousand' } });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toEqual({ campaignId: id, status: 'paused', jobId: expect.any(String), query: campaignJourneysQuery(id, { running: true }) });

    const seen: string[] = [];
    const final = await eventually(
      async () => {
        const progress = (await env().http({ method: 'GET', url: `/v1/ops/batches/${started.json().jobId}`, headers: env().as('read') })).json();
        seen.push(`${progress.state} ${progress.done}/${progress.total}`);
        return progress;
      },
      (progress) => progress.state !== 'running',
      300_000,
    );
    console.log(`cancel of ${JOURNEYS} journeys: ${Date.now() - cancelStarted} ms; progress as polled: ${[...new Set(seen)].join(', ')}`);
    expect(final).toMatchObject({ kind: 'cancel', state: 'completed', total: JOURNEYS, done: JOURNEYS, failed: 0, reason: 'test: cancel a thousand' });

    await eventually(() => workflow.count(campaignJourneysQuery(id, { running: true })), ({ count }) => count === 0, 300_000);
    const cancelled = await workflow.count(`${campaignJourneysQuery(id)} AND ExecutionStatus = 'Canceled'`);
    expect(cancelled.count).toBe(JOURNEYS);
    const campaign2 = (await env().http({ method: 'GET', url: `/v1/ops/campaigns/${id}`, headers: env().as('read') })).json();
    expect(campaign2).toMatchObject({ status: 'paused', journeys: { running: 0, waiting: 0, paused: 0 } });
    // Bounded by its own waits above (a thousand journeys start, each now recording its experiment entry), not by jest's default.
  }, 900_000);
});
