import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { messageIdFor } from '../../src/activities/channels/email-sender';
import type { JourneyResult } from '../../src/workflows/messages';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import type { GoogleRequest } from '../../test/support/google-peer';
import type { ReceivedMail } from '../../test/support/smtp-peer';
import { PATHS, type JourneyPath } from './campaign';

export interface SinkCount {
  received: number;
  distinct: number;
  /** Delivery keys that arrived more than once. */
  duplicates: number;
  /** Arrivals that match no delivery record. */
  stray: number;
}

/** One chaos user as the run drove it. */
export interface ChaosUser {
  userId: string;
  pseudonym: string;
  path: JourneyPath;
  /** How the two copies of each call went out: at the same moment to two API processes, or one after the other. */
  copies: 'together' | 'in turn';
  /** Distinct track events sent for this user (identify is not an event): each went out twice. */
  events: number;
  /** Every call's messageId (identify too). */
  messageIds: string[];
}

/** What one message step came to: delivered once, or left `unknown` by the documented at-most-once window. */
export type StepVerdict = 'once' | 'unknown-arrived' | 'unknown-lost' | 'double' | 'missing' | 'other';

export interface ChaosCounts {
  users: number;
  journeys: { started: number; completed: number; running: number; failed: number; byPath: Record<JourneyPath, number>; wrongPath: number; missing: number; extra: number };
  steps: { expected: number } & Record<StepVerdict, number>;
  /** Counted where messages land: the SMTP peer (by Message-ID), the FCM endpoint (by data.deliveryKey), the inbox table. */
  sinks: Record<'smtp' | 'fcm' | 'inbox', SinkCount>;
  records: Record<string, number>;
  unknowns: { deliveryKey: string; channel: string; arrived: boolean; detail: string | null }[];
  /**
   * Calls (identify and track), each sent twice. Copies in turn: the second must be answered `duplicate` (the
   * ingestion ledger). Copies together: both may be answered new while neither is recorded yet; the user
   * workflow drops the second by messageId. Either way the user's state counts the event once.
   */
  events: {
    sent: number;
    inTurn: { calls: number; newThenDuplicate: number; other: number };
    together: { calls: number; oneNew: number; bothNew: number; noneNew: number };
    tracked: number;
    inUserState: number;
    usersMismatched: number;
  };
  problems: string[];
}

/**
 * For a journey that took the wrong path: when the API took the user's calls, when the user workflow
 * got its signals and forwarded events, and when the journey's timers ran and its signals came, in
 * seconds after the API took the entry event.
 */
async function timeline(client: Client, user: ChaosUser, journeyId: string, acceptedAt: (messageId: string) => number | undefined): Promise<string> {
  const zero = acceptedAt(user.messageIds[1]!) ?? 0;
  const at = (ms: number | undefined) => (ms === undefined ? '?' : ((ms - zero) / 1000).toFixed(1));
  const api = user.messageIds.map((id) => `${id.slice(user.userId.length + 1)}@${at(acceptedAt(id))}`).join(' ');
  const eventsOf = async (workflowId: string) => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory().catch(() => ({ events: [] }));
    return (history.events ?? []).map((event) => {
      const seconds = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6);
      const name = event.workflowExecutionSignaledEventAttributes?.signalName;
      return { kind: event.eventType ?? temporal.api.enums.v1.EventType.EVENT_TYPE_UNSPECIFIED, name, at: seconds };
    });
  };
  type Seen = { kind: temporal.api.enums.v1.EventType; name?: string | null; at: number };
  const pick = (events: Seen[], match: (e: Seen) => boolean) =>
    events.filter(match).map((e) => at(e.at)).join(',');
  const type = temporal.api.enums.v1.EventType;
  const userEvents = await eventsOf(userWorkflowId(user.pseudonym));
  const journeyEvents = await eventsOf(journeyId);
  return [
    `api took ${api}`,
    `user workflow signalled ${pick(userEvents, (e) => e.kind === type.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && e.name === 'event')}, forwarded ${pick(userEvents, (e) => e.kind === type.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)}`,
    `journey timers started ${pick(journeyEvents, (e) => e.kind === type.EVENT_TYPE_TIMER_STARTED)} fired ${pick(journeyEvents, (e) => e.kind === type.EVENT_TYPE_TIMER_FIRED)}, signalled ${pick(journeyEvents, (e) => e.kind === type.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)}`,
  ].join('; ');
}

/** Counts per delivery key, and how many keys came more than once. */
function tally(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

const dupes = (counts: Map<string, number>) => [...counts.values()].filter((n) => n > 1).length;

export async function verifyChaos(input: {
  client: Client;
  pool: Pool;
  campaignId: string;
  users: ChaosUser[];
  mail: ReceivedMail[];
  google: GoogleRequest[];
  emailFrom: string;
  /** Per messageId, when the API first answered a copy with 200. */
  acceptedAt: (messageId: string) => number | undefined;
  /** Per messageId, how the API answered the copies in the order the answers came: duplicate false or true. */
  answers: (messageId: string) => boolean[];
}): Promise<ChaosCounts> {
  const { client, pool, campaignId, users } = input;
  const problems: string[] = [];
  const byPseudonym = new Map(users.map((user) => [user.pseudonym, user]));

  // Journeys, as Temporal has them.
  const journeys: ChaosCounts['journeys'] = { started: 0, completed: 0, running: 0, failed: 0, byPath: { replied: 0, silent: 0 }, wrongPath: 0, missing: 0, extra: 0 };
  const seen = new Set<string>();
  for await (const info of client.workflow.list({ query: `WorkflowType = '${journeyWorkflow.name}' AND BeckonCampaign = '${campaignId}'` })) {
    journeys.started += 1;
    const pseudonym = info.workflowId.split(':')[2] ?? '';
    const user = byPseudonym.get(pseudonym);
    if (!user || seen.has(pseudonym)) {
      journeys.extra += 1;
      problems.push(`unexpected journey ${info.workflowId}`);
      continue;
    }
    seen.add(pseudonym);
    if (info.status.name === 'RUNNING') {
      journeys.running += 1;
      problems.push(`journey still running: ${info.workflowId}`);
      continue;
    }
    if (info.status.name !== 'COMPLETED') {
      journeys.failed += 1;
      problems.push(`journey ${info.workflowId} ended ${info.status.name}`);
      continue;
    }
    journeys.completed += 1;
    const result = (await client.workflow.getHandle(info.workflowId, info.runId).result()) as JourneyResult;
    const path: JourneyPath = result.path.includes('thanks') ? 'replied' : 'silent';
    journeys.byPath[path] += 1;
    if (path !== user.path || result.status !== 'completed') {
      journeys.wrongPath += 1;
      problems.push(`journey ${info.workflowId} took ${result.path.join('>')} (${result.status}); its user's path is ${user.path}; ${await timeline(client, user, info.workflowId, input.acceptedAt)}`);
    }
  }
  journeys.missing = users.filter((user) => !seen.has(user.pseudonym)).length;
  if (journeys.missing > 0) problems.push(`${journeys.missing} users have no journey`);

  // The records the send path kept, and what each sink received.
  const records = (await pool.query<{ delivery_key: string; pseudonym: string; step_id: string; channel: string; status: string; detail: string | null }>(
    'SELECT delivery_key, pseudonym, step_id, channel, status, detail FROM deliveries WHERE campaign_id = $1',
    [campaignId],
  )).rows;
  const recordOf = new Map(records.map((row) => [`${row.pseudonym}/${row.step_id}`, row]));
  const keyOfMessageId = new Map(records.map((row) => [messageIdFor(row.delivery_key, input.emailFrom), row.delivery_key]));
  const mailKeys = input.mail.map((mail) => keyOfMessageId.get(mail.parsed.messageId ?? '') ?? `stray:${mail.parsed.messageId}`);
  const fcmKeys = input.google
    .filter((request) => request.host === 'fcm.googleapis.com')
    .map((request) => (JSON.parse(request.body) as { message?: { data?: { deliveryKey?: string } } }).message?.data?.deliveryKey ?? 'stray:');
  const inboxKeys = (await pool.query<{ delivery_key: string }>('SELECT delivery_key FROM inbox_messages WHERE campaign_id = $1', [campaignId])).rows.map((row) => row.delivery_key);
  const known = new Set(records.map((row) => row.delivery_key));
  const sink = (keys: string[]) => {
    const counts = tally(keys);
    return { counts, summary: { received: keys.length, distinct: counts.size, duplicates: dupes(counts), stray: [...counts.keys()].filter((key) => !known.has(key)).length } };
  };
  const smtp = sink(mailKeys);
  const fcm = sink(fcmKeys);
  const inbox = sink(inboxKeys);
  const channelSink: Record<string, Map<string, number>> = { email: smtp.counts, push: fcm.counts, in_app: inbox.counts };
  for (const [name, s] of Object.entries({ smtp, fcm, inbox })) {
    if (s.summary.duplicates > 0) problems.push(`${s.summary.duplicates} messages arrived more than once at ${name}`);
    if (s.summary.stray > 0) problems.push(`${s.summary.stray} messages at ${name} match no delivery record`);
  }

  // Every step of every user's path: exactly once, or `unknown` (never twice, never silently missing).
  const steps: ChaosCounts['steps'] = { expected: 0, once: 0, 'unknown-arrived': 0, 'unknown-lost': 0, double: 0, missing: 0, other: 0 };
  const unknowns: ChaosCounts['unknowns'] = [];
  for (const user of users) {
    for (const stepId of PATHS[user.path]) {
      steps.expected += 1;
      const record = recordOf.get(`${user.pseudonym}/${stepId}`);
      const arrived = record ? (channelSink[record.channel]?.get(record.delivery_key) ?? 0) : 0;
      let verdict: StepVerdict;
      if (arrived > 1) verdict = 'double';
      else if (record?.status === 'sent' && arrived === 1) verdict = 'once';
      else if (record?.status === 'unknown') verdict = arrived === 1 ? 'unknown-arrived' : 'unknown-lost';
      else if (!record || arrived === 0) verdict = 'missing';
      else verdict = 'other';
      steps[verdict] += 1;
      if (record?.status === 'unknown') unknowns.push({ deliveryKey: record.delivery_key, channel: record.channel, arrived: arrived === 1, detail: record.detail });
      if (verdict === 'double' || verdict === 'missing' || verdict === 'other') {
        problems.push(`${user.userId} step ${stepId}: ${verdict} (record ${record?.status ?? 'none'}, arrived ${arrived})`);
      }
    }
  }
  const statusCounts: Record<string, number> = {};
  for (const row of records) statusCounts[row.status] = (statusCounts[row.status] ?? 0) + 1;

  // Events: each call answered as the ledger says, and each track event folded once into its user's state.
  const events: ChaosCounts['events'] = {
    sent: 0,
    inTurn: { calls: 0, newThenDuplicate: 0, other: 0 },
    together: { calls: 0, oneNew: 0, bothNew: 0, noneNew: 0 },
    tracked: users.reduce((n, user) => n + user.events, 0),
    inUserState: 0,
    usersMismatched: 0,
  };
  for (const user of users) {
    for (const messageId of user.messageIds) {
      const answers = input.answers(messageId);
      events.sent += 1;
      const fresh = answers.filter((duplicate) => !duplicate).length;
      if (answers.length !== 2) problems.push(`${messageId}: ${answers.length} copies answered 200, not 2`);
      if (user.copies === 'in turn') {
        events.inTurn.calls += 1;
        if (answers[0] === false && answers[1] === true) events.inTurn.newThenDuplicate += 1;
        else {
          events.inTurn.other += 1;
          problems.push(`${messageId}: copies in turn answered duplicate=${answers.join(',')}`);
        }
      } else {
        events.together.calls += 1;
        if (fresh === 1) events.together.oneNew += 1;
        else if (fresh === 2) events.together.bothNew += 1;
        else {
          events.together.noneNew += 1;
          problems.push(`${messageId}: both copies answered duplicate`);
        }
      }
    }
  }
  for (const user of users) {
    const view = await client.workflow.getHandle(userWorkflowId(user.pseudonym)).query(stateQuery);
    events.inUserState += view.state.totalEvents;
    if (view.state.totalEvents !== user.events || view.pending !== 0 || view.state.entries[campaignId] !== 1) {
      events.usersMismatched += 1;
      problems.push(`${user.userId}: ${view.state.totalEvents} events in state (${view.pending} pending), ${user.events} sent; entries ${view.state.entries[campaignId] ?? 0}`);
    }
  }

  return { users: users.length, journeys, steps, sinks: { smtp: smtp.summary, fcm: fcm.summary, inbox: inbox.summary }, records: statusCounts, unknowns, events, problems };
}
