import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { activityInfo, Context } from '@temporalio/activity';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { startJourneyWith, tellUserWorkflowWith } from '../../src/activities/journey-activities';
import type { ConversionRecord, EntryEnd, EntryRecord } from '../../src/db/experiment-repository';
import type { DeliverMessageInput, DeliveryOutcome } from '../../src/activities/message-activities';
import { loadCampaignFiles } from '../../src/ops/campaign-files';
import type { Campaign } from '../../src/domain/campaign/campaign-model';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import { validateCampaign } from '../../src/domain/campaign/campaign-validation';
import type { TrackedEvent } from '../../src/domain/events';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { eventSignal, userWorkflowId, type CampaignCatalog, type EventSignal } from '../../src/workflows/messages';
import { userWorkflow } from '../../src/workflows/user-workflow';
import { testServerPath, workflowBundle } from './env';
import { freePort } from './ports';

/**
 * A fresh time-skipping server for each test of the calling file: a workflow task left behind by
 * one test would stop time skipping in the next. Read the environment through the getter.
 */
export function timeSkippingPerTest(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeEach(async () => {
    env = await timeSkippingEnv();
  });
  afterEach(async () => {
    await env?.teardown();
    env = undefined;
  });
  return () => {
    if (!env) throw new Error('the time-skipping environment exists only inside a test');
    return env;
  };
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await startTimeSkipping();
  await ensureSearchAttributes(env.client, 'default');
  refuseConcurrentResults(env);
  latestEnv = env;
  return env;
}

/** The latest time-skipping environment: fakes read its clock for local activities, whose info carries the worker's wall clock. */
let latestEnv: TestWorkflowEnvironment | undefined;

/**
 * The result of a workflow that finishes without time passing (an exit, a cancel), waited for without
 * unlocking time skipping. `result()` unlocks it while it waits; a journey of shape 2 tells its user
 * workflow before it completes, so at its completion nothing is pending and the test server would skip
 * to the next deadline it knows, the user workflow's 10-year run timeout, and end it.
 */
export async function settledResult(env: TestWorkflowEnvironment, workflowId: string): Promise<unknown> {
  await waitFor(async () => (await env.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING');
  return new Client({ connection: env.connection }).workflow.getHandle(workflowId).result();
}

/** The SDK's factory behind createTimeSkipping, which also takes a server started by someone else (private in SDK 1.24.0, pinned). */
interface EnvironmentFactory {
  create(options: { server: { type: 'existing' }; address: string; namespace: string; supportsTimeSkipping: true }): Promise<TestWorkflowEnvironment>;
}

/**
 * Starts the time-skipping test server itself: the SDK's createTimeSkipping gives the JVM a fixed 5 s to
 * answer (sdk-core's ephemeral server), and on a busy machine it took longer and failed tests. Here it
 * has two minutes to open its port; teardown stops it.
 */
async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const port = await freePort();
  const server = spawn(testServerPath(), [String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
  };
  try {
    await untilListening(port, exited, 120_000);
    const env = await (TestWorkflowEnvironment as unknown as EnvironmentFactory).create({
      server: { type: 'existing' },
      address: `127.0.0.1:${port}`,
      namespace: 'default',
      supportsTimeSkipping: true,
    });
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      await teardown();
      await stop();
    };
    return env;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function untilListening(port: number, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const answer = (listening: boolean) => {
        socket.destroy();
        resolve(listening);
      };
      socket.once('connect', () => answer(true));
      socket.once('error', () => answer(false));
      socket.setTimeout(1_000, () => answer(false));
    });
    if (open) return;
    if (gone) throw new Error(`the time-skipping test server (${testServerPath()}) exited before opening port ${port}`);
    if (Date.now() > deadline) throw new Error(`the time-skipping test server did not open port ${port} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The test server keeps one time-skipping lock counter: each awaited `result()` unlocks it and locks it again,
 * so two at once unbalance it and a test stalls or fails now and then. This makes that shape fail every time, at once.
 */
function refuseConcurrentResults(env: TestWorkflowEnvironment): void {
  const workflows = env.client.workflow;
  const result = workflows.result.bind(workflows);
  let awaiting: string | undefined;
  workflows.result = async (...args: Parameters<typeof result>) => {
    const [workflowId] = args;
    if (awaiting !== undefined) {
      throw new Error(`result() of ${workflowId} while result() of ${awaiting} is awaited: on the time-skipping server await one at a time`);
    }
    awaiting = workflowId;
    try {
      return await result(...args);
    } finally {
      awaiting = undefined;
    }
  };
}

/** The shipped campaigns, compiled at version 1. */
export function seedCampaigns(): Campaign[] {
  return loadCampaignFiles(join(__dirname, '..', '..', 'campaigns')).campaigns.map(({ definition }) => compileCampaign(definition, 1));
}

export function compile(definition: unknown, version = 1): Campaign {
  const result = validateCampaign(definition);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return compileCampaign(result.definition, version);
}

export interface Delivery {
  input: DeliverMessageInput;
  /** Workflow time at which the activity was scheduled (the time-skipping server's clock). */
  at: Date;
}

/** Activities typed from the real factory: the catalog is whatever the test sets, deliveries are recorded. */
export function fakeActivities(catalog: { current: CampaignCatalog }) {
  const deliveries: Delivery[] = [];
  const experiments = { entries: [] as EntryRecord[], ends: [] as EntryEnd[], conversions: [] as ConversionRecord[] };
  let catalogLoads = 0;
  const activities: Activities = {
    async loadCatalog() {
      catalogLoads += 1;
      return catalog.current;
    },
    // No campaign is paused in these tests; the pause gate is tested against Postgres in test/ops.
    async campaignStatus() {
      return 'active';
    },
    // Erasure runs against the real server and Postgres in test/privacy; these workflow tests never start one.
    ...notInTheseTests('suppressUser', 'deleteUserWorkflows', 'eraseUserRows', 'destroyUserKeys', 'recordErasure'),
    async deliverMessage(input): Promise<DeliveryOutcome> {
      const info = activityInfo();
      // Time does not skip while the journey's task (which runs a local activity) is open: the server's clock is its time.
      const at = new Date(info.isLocal && latestEnv ? await latestEnv.currentTimeMs() : info.currentAttemptScheduledTimestampMs);
      const duplicate = deliveries.some((d) => d.input.deliveryKey === input.deliveryKey);
      deliveries.push({ input, at });
      // The entry rides in the send's transaction (shape 3), as the send path records it.
      if (input.entry) await activities.recordEntry(input.entry);
      // A repeat of a key answers as the send path does: with the first attempt's outcome, not a second send.
      return duplicate ? { status: 'sent', providerId: `repeat:${input.deliveryKey}` } : { status: 'sent', providerId: input.deliveryKey };
    },
    // Kept as the repository keeps them: once per entry.
    async recordEntry(entry) {
      if (!experiments.entries.some((e) => e.campaignId === entry.campaignId && e.entry === entry.entry && e.pseudonym === entry.pseudonym)) experiments.entries.push(entry);
    },
    async recordJourneyEnd(end) {
      experiments.ends.push(end);
    },
    // Journeys start and tell their user workflow through the worker's own client, as in production.
    async startJourney(input) {
      return startJourneyWith(Context.current().client, input, true);
    },
    async endJourney({ end, userWorkflowId: target, signal }) {
      if (end) experiments.ends.push(end);
      return tellUserWorkflowWith(Context.current().client, target, signal);
    },
    async recordConversion(conversion) {
      const inserted = !experiments.conversions.some((c) => c.campaignId === conversion.campaignId && c.entry === conversion.entry && c.pseudonym === conversion.pseudonym);
      if (inserted) experiments.conversions.push(conversion);
      return { inserted, lastDeliveryKey: null };
    },
  };
  return { activities, deliveries, experiments, catalogLoads: () => catalogLoads };
}

function notInTheseTests<K extends keyof Activities>(...names: K[]): Pick<Activities, K> {
  return Object.fromEntries(names.map((name) => [name, () => Promise.reject(new Error(`${name} is not faked here`))])) as unknown as Pick<Activities, K>;
}

let queues = 0;
/** A worker on a queue of its own (the SDK refuses a second worker on a queue until the first is released). */
export async function withWorker<T>(env: TestWorkflowEnvironment, activities: Activities, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-test-${process.pid}-${++queues}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: workflowBundle(), activities });
  return worker.runUntil(fn(taskQueue));
}

let messages = 0;
/** An event as the API would send it, timestamped with the test server's clock. */
export function eventAt(env: TestWorkflowEnvironment, name: string, properties: Record<string, unknown> = {}, messageId = `m-${++messages}`): Promise<EventSignal> {
  return env.currentTimeMs().then((ms) => {
    const at = new Date(ms).toISOString();
    const event: TrackedEvent = { messageId, event: name, properties, timestamp: at, receivedAt: at };
    return { version: 1, event, catalogRevision: 1 };
  });
}

export async function waitFor(predicate: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Signals an event to the user's workflow, starting it if needed, as the API does. */
export function sendEvent(env: TestWorkflowEnvironment, taskQueue: string, pseudonym: string, signal: EventSignal) {
  return env.client.workflow.signalWithStart(userWorkflow, {
    workflowId: userWorkflowId(pseudonym),
    taskQueue,
    args: [{ version: 2, pseudonym }],
    signal: eventSignal,
    signalArgs: [signal],
  });
}

export async function workflowExists(env: TestWorkflowEnvironment, workflowId: string): Promise<boolean> {
  return env.client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );
}

/** The handle of a workflow once it exists (a child starts a moment after the signal that causes it). */
export async function startedWorkflow(env: TestWorkflowEnvironment, workflowId: string) {
  await waitFor(() => workflowExists(env, workflowId));
  return env.client.workflow.getHandle(workflowId);
}
