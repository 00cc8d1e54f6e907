import { Agent, request as httpRequest } from 'node:http';
import { temporal } from '@temporalio/proto';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import type { TrackedEvent } from '../../src/domain/events';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { eventSignal, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { beckonUser } from '../../src/workflows/search-attributes';
import { userWorkflow } from '../../src/workflows/user-workflow';
import type { InboxWatch } from './inbox-watch';
import type { BenchStack } from './stack';

export const BENCH_CAMPAIGN = 'bench-first-message';
/** The event that starts the bench campaign, and one that no campaign listens to. */
export const TRIGGER_EVENT = 'Bench Trigger';
export const WARM_EVENT = 'Bench Warm';

/**
 * The shortest campaign there is: the event, then one in-app message. Transactional, so the daily
 * cap does not skip it however many times a user triggers it; every trigger enters again.
 */
const CAMPAIGN_YAML = `id: ${BENCH_CAMPAIGN}
name: Bench first message
category: transactional
entry: { event: "${TRIGGER_EVENT}" }
reentry: { mode: every_time }
templates: { first: { channel: in_app, title: "Hello {{ entry.n }}", body: "Measured by npm run bench" } }
steps:
  - { id: first, type: message, template: first }
`;

export async function publishBenchCampaign(stack: BenchStack): Promise<void> {
  await createCampaignRepository(stack.pool).publish(parseCampaignText(CAMPAIGN_YAML, 'bench'), 'bench');
}

export interface BeckonPath {
  pseudonymOf: (userId: string) => string;
  /** POST /v1/track; throws unless the API answers 200. */
  track(userId: string, event: string, messageId: string, properties?: Record<string, unknown>): Promise<void>;
  /** Sends the trigger and waits for its in-app message to commit: ms from the request to the commit, and to the API's answer. */
  trigger(userId: string, messageId: string): Promise<{ committedMs: number; answeredMs: number; sentAt: number }>;
}

/** The catalog revision the API would stamp on events now. */
export async function catalogRevisionOf(stack: BenchStack): Promise<number> {
  const revision = await stack.pool.query<{ revision: string }>('SELECT revision FROM campaign_catalog');
  return Number(revision.rows[0]?.revision ?? 0);
}

/** One event as a plain signalWithStart from a Temporal client, with none of the API's work: the raw path. */
export async function signalRaw(stack: BenchStack, pseudonym: string, messageId: string, name: string, properties: Record<string, unknown>, catalogRevision: number): Promise<void> {
  const now = new Date().toISOString();
  const event: TrackedEvent = { messageId, event: name, properties, timestamp: now, receivedAt: now };
  await stack.temporal.workflow.signalWithStart(userWorkflow, {
    workflowId: userWorkflowId(pseudonym),
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [{ version: 1, pseudonym }],
    signal: eventSignal,
    signalArgs: [{ version: 1, event, catalogRevision } satisfies EventSignal],
    typedSearchAttributes: [{ key: beckonUser, value: pseudonym }],
  });
}

/** Calls through the API as an app would; `trigger` needs `inbox` to see the message commit. */
export function beckonPath(stack: BenchStack, inbox?: InboxWatch): BeckonPath {
  const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
  const pseudonymOf = createPseudonymizer(stack.pseudonymKey);
  const track = (userId: string, event: string, messageId: string, properties: Record<string, unknown> = {}) =>
    postJson(stack.api.url, '/v1/track', auth, { userId, event, messageId, properties });
  return {
    pseudonymOf,
    track,
    async trigger(userId, messageId) {
      if (!inbox) throw new Error('a trigger is timed to its inbox commit: pass an InboxWatch');
      const committed = inbox.next(pseudonymOf(userId));
      const sentAt = epochNow();
      const started = performance.now();
      try {
        await track(userId, TRIGGER_EVENT, messageId, { n: messageId });
      } catch (err) {
        committed.catch(() => undefined);
        throw err;
      }
      const answeredMs = performance.now() - started;
      return { committedMs: (await committed) - started, answeredMs, sentAt };
    },
  };
}

// The load's own HTTP client: kept-alive connections and node:http, which costs the shared CPU less than fetch does.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** POSTs JSON to the API; throws unless it answers 200. */
export function postJson(baseUrl: string, path: string, authorization: string, body: unknown): Promise<void> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${baseUrl}${path}`,
      { method: 'POST', agent, headers: { authorization, 'content-type': 'application/json', 'content-length': payload.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else reject(new Error(`${path} answered ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`));
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Wall-clock ms with sub-ms precision, comparable to the server's event times on this machine. */
export const epochNow = () => performance.timeOrigin + performance.now();

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export function eventMs(event: HistoryEvent | undefined): number {
  const time = event?.eventTime;
  if (!time) return NaN;
  return Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6;
}

const typeOf = (event: HistoryEvent) => Number(event.eventType);
const { EventType } = temporal.api.enums.v1;

/** History event types as plain numbers, to compare with `Number(event.eventType)`. */
export const HistoryType = {
  signaled: Number(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
  started: Number(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
  taskScheduled: Number(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
  taskStarted: Number(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
  taskCompleted: Number(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
  childInitiated: Number(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
  activityScheduled: Number(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
  activityStarted: Number(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED),
  completed: Number(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
  marker: Number(EventType.EVENT_TYPE_MARKER_RECORDED),
} satisfies Record<string, number>;

/** The first event of `type` at or after index `from`. */
export function findEvent(events: HistoryEvent[], type: number, from = 0): { event: HistoryEvent; index: number } | undefined {
  for (let i = from; i < events.length; i++) if (typeOf(events[i]!) === type) return { event: events[i]!, index: i };
  return undefined;
}

/** Index of the last event of `type`, or -1. */
export function lastIndexOf(events: HistoryEvent[], type: number): number {
  for (let i = events.length - 1; i >= 0; i--) if (typeOf(events[i]!) === type) return i;
  return -1;
}

export function countEvents(events: HistoryEvent[], type: number, from = 0): number {
  let n = 0;
  for (let i = from; i < events.length; i++) if (typeOf(events[i]!) === type) n += 1;
  return n;
}
