import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { TrackedEvent } from '../../src/domain/events';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { journeyEventSignal, type JourneyWorkflowInput } from '../../src/workflows/messages';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { testTemporalAddress, workflowBundle } from '../support/env';
import { compile, fakeActivities, waitFor } from '../support/workflow-env';

/**
 * A case `npm run chaos` makes common: while no worker runs (killed), the awaited event reaches a
 * journey and then its wait's timeout passes, so the next worker gets both in one workflow task.
 * The event arrived within the wait, and the journey takes `onEvent` (signals are delivered before
 * the timer in one activation), not `onTimeout`.
 */
describe('wait_for_event when the event and the timeout reach the journey in one workflow task', () => {
  let client: Client;
  let connection: NativeConnection;

  beforeAll(async () => {
    client = new Client({ connection: await Connection.connect({ address: testTemporalAddress() }) });
    connection = await NativeConnection.connect({ address: testTemporalAddress() });
    await ensureSearchAttributes(client, 'default');
  });

  afterAll(async () => {
    await connection?.close();
    await client?.connection.close();
  });

  it('counts the event that arrived before the timeout', async () => {
    const campaign = compile({
      id: 'late-wake',
      name: 'Late wake',
      entry: { event: 'Started' },
      templates: {},
      steps: [
        { id: 'reply', type: 'wait_for_event', event: 'Replied', timeout: '3 seconds', onEvent: 'got-it', onTimeout: 'no-reply' },
        { id: 'got-it', type: 'exit' },
        { id: 'no-reply', type: 'exit' },
      ],
    });
    const event = (messageId: string, name: string): TrackedEvent => {
      const at = new Date().toISOString();
      return { messageId, event: name, properties: {}, timestamp: at, receivedAt: at };
    };
    const input: JourneyWorkflowInput = { version: 1, pseudonym: `late-${Date.now().toString(36)}`, campaign, entry: 1, entryEvent: event('late-1', 'Started'), history: { events: {}, traits: {} } };
    const taskQueue = `late-wake-${Date.now().toString(36)}`;
    const newWorker = () =>
      Worker.create({ connection, taskQueue, workflowBundle: workflowBundle(), activities: fakeActivities({ current: { revision: 1, campaigns: [campaign] } }).activities });
    const historyHas = async (attributes: string) => JSON.stringify((await journey.fetchHistory()).events).includes(attributes);

    const journey = await client.workflow.start(journeyWorkflow, { workflowId: `journey:late-wake:${input.pseudonym}:1`, taskQueue, args: [input] });
    // The first worker takes the journey to its wait and stops: from then on the timer runs on the server alone.
    await (await newWorker()).runUntil(waitFor(() => historyHas('timerStartedEventAttributes')));
    await journey.signal(journeyEventSignal, { version: 1, event: event('late-2', 'Replied') });
    await waitFor(() => historyHas('timerFiredEventAttributes'), 30_000);

    const result = await (await newWorker()).runUntil(journey.result());
    expect(result.path).toEqual(['reply', 'got-it']);
  });
});
