import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { eventSignal, stateQuery, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { EVENTS_PER_RUN, userWorkflow } from '../../src/workflows/user-workflow';
import { testTemporalAddress, workflowBundle } from '../support/env';
import { fakeActivities, seedCampaigns, waitFor } from '../support/workflow-env';

/**
 * Continue-as-new on the real dev server: every event is folded in, the workflow continues as new
 * every EVENTS_PER_RUN events, and no run's history grows with the user's total. (The time-skipping
 * test server is not used here: it slows to a crawl on long histories, and signals that race a
 * continue-as-new there do not behave as on a real server.)
 */
describe('continue-as-new', () => {
  it('carries the state and the catalog across runs with a small budget, losing no event', async () => {
    const connection = await Connection.connect({ address: testTemporalAddress() });
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: testTemporalAddress() });
    const taskQueue = `can-${Date.now().toString(36)}`;
    const { activities, catalogLoads } = fakeActivities({ current: { revision: 1, campaigns: seedCampaigns() } });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: workflowBundle(), activities });
    const pseudonym = `p-can-${taskQueue}`;
    const workflowId = userWorkflowId(pseudonym);
    const total = 130;
    try {
      await worker.runUntil(async () => {
        let firstRunId: string | undefined;
        for (let i = 0; i < total; i++) {
          const at = new Date().toISOString();
          const handle = await client.workflow.signalWithStart(userWorkflow, {
            workflowId,
            taskQueue,
            args: [{ version: 1, pseudonym, eventsPerRun: 25 }],
            signal: eventSignal,
            signalArgs: [{ version: 1, event: { messageId: `c-${i}`, event: i % 2 ? 'Page Viewed' : 'Session Started', properties: {}, timestamp: at, receivedAt: at }, catalogRevision: 1 }],
          });
          firstRunId ??= handle.signaledRunId;
        }
        const handle = client.workflow.getHandle(workflowId);
        await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents === total, 60_000);
        const view = await handle.query(stateQuery);
        expect(view.state.events['Session Started']?.count).toBe(65);
        expect(view.state.events['Page Viewed']?.count).toBe(65);

        // Walk the chain of runs back from the current one: each earlier run ended in continue-as-new.
        const runs: { runId: string; length: number; continuedAsNew: boolean }[] = [];
        for (let runId: string | undefined = (await handle.describe()).runId; runId; ) {
          const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
          const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
          runs.push({ runId, length: events.length, continuedAsNew: Boolean(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes) });
          runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
        }
        expect(runs.at(-1)?.runId).toBe(firstRunId);
        expect(runs.length).toBeGreaterThanOrEqual(Math.ceil(total / 25));
        expect(runs.slice(1).every((run) => run.continuedAsNew)).toBe(true);
        expect(Math.max(...runs.map((run) => run.length))).toBeLessThan(200);
      });
      // The catalog travels across continue-as-new: one load for all the runs.
      expect(catalogLoads()).toBe(1);
    } finally {
      await nativeConnection.close();
      await connection.close();
    }
  });

  it('keeps 10,000 events from one user and bounds each run', async () => {
    const connection = await Connection.connect({ address: testTemporalAddress() });
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: testTemporalAddress() });
    const taskQueue = `many-events-${Date.now().toString(36)}`;
    const { activities, catalogLoads } = fakeActivities({ current: { revision: 1, campaigns: seedCampaigns() } });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: workflowBundle(), activities });
    const pseudonym = `p-10k-${taskQueue}`;
    const workflowId = userWorkflowId(pseudonym);
    const total = 10_000;
    const batch = 100;
    try {
      await worker.runUntil(async () => {
        const handle = client.workflow.getHandle(workflowId);
        for (let sent = 0; sent < total; sent += batch) {
          await Promise.all(
            Array.from({ length: batch }, (_, i) => {
              const at = new Date().toISOString();
              const signal: EventSignal = {
                version: 1,
                event: { messageId: `e-${sent + i}`, event: (sent + i) % 10 ? 'Page Viewed' : 'Session Started', properties: {}, timestamp: at, receivedAt: at },
                catalogRevision: 1,
              };
              return client.workflow.signalWithStart(userWorkflow, {
                workflowId,
                taskQueue,
                args: [{ version: 1, pseudonym }],
                signal: eventSignal,
                signalArgs: [signal],
              });
            }),
          );
          // A real app's pace: the next batch goes once the workflow has caught up with this one.
          await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents >= sent + batch, 60_000);
        }
        const view = await handle.query(stateQuery);
        expect(view.state.totalEvents).toBe(total);
        expect(view.state.events['Session Started']?.count).toBe(total / 10);
        expect(view.state.events['Page Viewed']?.count).toBe(total - total / 10);
      });

      const runs: { status: string; historyLength: number }[] = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        runs.push({ status: execution.status.name, historyLength: execution.historyLength });
      }
      const longest = Math.max(...runs.map((run) => run.historyLength));
      console.log(`10,000 events: ${runs.length} runs, longest history ${longest} events, catalog loaded ${catalogLoads()} time(s)`);
      expect(runs.length).toBeGreaterThanOrEqual(total / EVENTS_PER_RUN);
      // A signal and its share of workflow tasks per event, per run: far below Temporal's 50K-event limit.
      expect(longest).toBeLessThan(EVENTS_PER_RUN * 4);
      expect(catalogLoads()).toBe(1);
    } finally {
      await nativeConnection.close();
      await connection.close();
    }
  }, 600_000);
});
