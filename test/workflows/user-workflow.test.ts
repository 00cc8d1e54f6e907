import { WorkflowNotFoundError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { DeliverInAppInput } from '../../src/activities/in-app';
import type { TrackedEvent } from '../../src/domain/events';
import { eventSignal, journeyWorkflowId, stateQuery, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { testServerPath, workflowBundle } from '../support/env';

let taskQueue = 'user-workflow-test';
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  await ensureSearchAttributes(env.client, 'default');
});

afterAll(async () => {
  await env?.teardown();
});

/** Activities that record what they were asked to deliver; typed from the real factory so they cannot drift. */
function recordingActivities() {
  const delivered: DeliverInAppInput[] = [];
  const activities: Activities = {
    async deliverInApp(input) {
      const seen = delivered.some((d) => d.deliveryKey === input.deliveryKey);
      delivered.push(input);
      return { status: seen ? 'duplicate' : 'delivered', messageId: String(delivered.length) };
    },
  };
  return { delivered, activities };
}

let sequence = 0;
function signal(name: string, messageId = `m${++sequence}`): EventSignal {
  const at = new Date('2026-03-01T12:00:00Z').toISOString();
  const event: TrackedEvent = { messageId, event: name, properties: {}, timestamp: at, receivedAt: at };
  return { version: 1, event };
}

async function withWorker<T>(activities: Activities, fn: () => Promise<T>): Promise<T> {
  // A queue per test: the SDK refuses a second worker on a queue until the first is fully released.
  taskQueue = `user-workflow-test-${++sequence}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities,
  });
  return worker.runUntil(fn);
}

async function send(pseudonym: string, event: EventSignal, eventsPerRun?: number) {
  return env.client.workflow.signalWithStart('userWorkflow', {
    workflowId: userWorkflowId(pseudonym),
    taskQueue,
    args: [{ version: 1, pseudonym, ...(eventsPerRun ? { eventsPerRun } : {}) }],
    signal: eventSignal,
    signalArgs: [event],
  });
}

describe('userWorkflow', () => {
  it('starts the welcome journey on Signed Up, which delivers one in-app message', async () => {
    const { delivered, activities } = recordingActivities();
    await withWorker(activities, async () => {
      await send('p-welcome', signal('Page Viewed'));
      await send('p-welcome', signal('Signed Up'));
      const journey = await started(journeyWorkflowId('welcome', 'p-welcome', 1));
      await expect(journey.result()).resolves.toEqual({ status: 'completed', delivered: 1 });
      const view = await env.client.workflow.getHandle(userWorkflowId('p-welcome')).query(stateQuery);
      expect(view.state.totalEvents).toBe(2);
      expect(view.state.entries).toEqual({ welcome: 1 });
    });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      pseudonym: 'p-welcome',
      campaignId: 'welcome',
      campaignVersion: 1,
      deliveryKey: 'welcome:v1:p-welcome:1:0',
      title: 'Welcome aboard!',
    });
  });

  it('drops a retried event with the same messageId', async () => {
    const { delivered, activities } = recordingActivities();
    await withWorker(activities, async () => {
      await send('p-dup', signal('Signed Up', 'dup-1'));
      await send('p-dup', signal('Signed Up', 'dup-1'));
      await send('p-dup', signal('Marker', 'marker'));
      const handle = env.client.workflow.getHandle(userWorkflowId('p-dup'));
      await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents === 2);
      await (await started(journeyWorkflowId('welcome', 'p-dup', 1))).result();
      await expect(env.client.workflow.getHandle(journeyWorkflowId('welcome', 'p-dup', 2)).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
    });
    expect(delivered).toHaveLength(1);
  });

  it('continues as new with its state and loses no event', async () => {
    const { delivered, activities } = recordingActivities();
    const total = 130;
    await withWorker(activities, async () => {
      const first = await send('p-many', signal('Signed Up'), 25);
      for (let i = 1; i < total; i++) await send('p-many', signal(i % 50 === 0 ? 'Signed Up' : 'Page Viewed'), 25);
      const handle = env.client.workflow.getHandle(userWorkflowId('p-many'));
      await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents === total);
      const view = await handle.query(stateQuery);
      expect(view.state.events['Signed Up']?.count).toBe(3);
      expect(view.state.entries).toEqual({ welcome: 3 });
      // Each run handled at most 25 events, so no run's history grows with the user's total.
      const current = await handle.describe();
      expect(current.runId).not.toBe(first.signaledRunId);
      const history = await env.client.workflow.getHandle(userWorkflowId('p-many'), first.signaledRunId).fetchHistory();
      expect(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      expect(history.events?.length ?? 0).toBeLessThan(200);
      for (const entry of [1, 2, 3]) await (await started(journeyWorkflowId('welcome', 'p-many', entry))).result();
    });
    expect(delivered.map((d) => d.deliveryKey).sort()).toEqual([1, 2, 3].map((n) => `welcome:v1:p-many:${n}:0`));
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The handle of a workflow once it exists (a child starts a moment after the signal that causes it). */
async function started(workflowId: string) {
  const handle = env.client.workflow.getHandle(workflowId);
  await waitFor(() =>
    handle.describe().then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    ),
  );
  return handle;
}
