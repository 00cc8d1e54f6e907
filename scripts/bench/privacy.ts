/**
 * `npx tsx scripts/bench/privacy.ts`: what per-user data keys cost and how long an erasure takes.
 *  1. Codec: CPU per payload encoded and decoded with a user's cached key vs the deployment key, and
 *     the cost of a key's first use (a Postgres round trip, an unwrap).
 *  2. End to end: events through the API and worker; the codec's key look-ups per event (cache hits, misses).
 *  3. Erasure of a user with 1, 10 and 100 running journeys, timed from the DELETE to its answer, with the
 *     time of each of the erasure workflow's activities (from its history) and, inside the deletion of the
 *     workflows, the time spent asking for deletions vs listing (from the activity's log line).
 *     `--erasure` runs this part alone; `--journeys=1,10` and `--runs=2` narrow it; `--delete-concurrency=1`
 *     sets ERASURE_DELETE_CONCURRENCY.
 * Uses DATABASE_URL / TEMPORAL_ADDRESS when set, else embedded PGlite and a dev server (scripts/bench/stack.ts).
 */
import { loadavg } from 'node:os';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { userJourneysQuery } from '../../src/ops/visibility-queries';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { payloadCodecFor, type EncryptionCodec } from '../../src/temporal/payload-codec';
import { forEachBounded } from '../../src/util/bounded-parallel';
import { erasureWorkflowId } from '../../src/workflows/messages';
import { say, startBenchStack } from './stack';
import { oneDecimal } from './stats';

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

async function codecCost(codec: EncryptionCodec, users: number, rounds: number) {
  const payload = defaultPayloadConverter.toPayload({
    version: 1,
    event: { messageId: 'm-1', event: 'Viewed Pricing', properties: { plan: 'pro', seats: 5 }, timestamp: new Date().toISOString(), receivedAt: new Date().toISOString() },
    catalogRevision: 3,
  });
  const contexts = Array.from({ length: users }, (_, i) => ({ type: 'workflow' as const, namespace: 'default', workflowId: `user:bench${Date.now()}x${i}` }));
  const coldStart = Date.now();
  for (const context of contexts) await codec.encode([payload], context);
  const coldMsPerUser = (Date.now() - coldStart) / users;
  const measure = async (context: (i: number) => (typeof contexts)[number] | undefined) => {
    const before = cpuMicros();
    for (let i = 0; i < rounds; i += 1) {
      const sealed = await codec.encode([payload], context(i));
      await codec.decode(sealed);
    }
    return oneDecimal((cpuMicros() - before) / rounds);
  };
  const deploymentUs = await measure(() => undefined);
  const hitsBefore = codec.stats.hits;
  const userUs = await measure((i) => contexts[i % users]);
  return { payloadBytes: payload.data!.length, coldMsPerUser: oneDecimal(coldMsPerUser), deploymentUs, userUs, cachedLookups: codec.stats.hits - hitsBefore, rounds };
}

/** Milliseconds from each activity's scheduling to its completion, by activity type, from a workflow's history. */
async function activityDurations(client: Client, workflowId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const millis = (event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
    Number(event.eventTime?.seconds ?? 0) * 1000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6);
  const scheduled = new Map<string, { name: string; at: number }>();
  const durations: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) scheduled.set(String(event.eventId), { name: attributes.activityType?.name ?? '?', at: millis(event) });
    const completed = event.activityTaskCompletedEventAttributes;
    const from = completed && scheduled.get(String(completed.scheduledEventId));
    if (from) durations[from.name] = millis(event) - from.at;
  }
  return durations;
}

/** The deletion activity's own figures (see deleteWorkflows), captured from the worker's log. */
const erasureLogs: Record<string, unknown>[] = [];
const fallback = new DefaultLogger('WARN');
Runtime.install({
  logger: new DefaultLogger('INFO', (entry: LogEntry) => {
    if (entry.message === 'erasure: workflows deleted') erasureLogs.push(entry.meta ?? {});
    else if (entry.level === 'WARN' || entry.level === 'ERROR') fallback.log(entry.level, entry.message, entry.meta);
  }),
});

const option = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const sizes = (option('journeys') ?? '1,10,100').split(',').map(Number);
const runs = Number(option('runs') ?? 3);
const setupLimitMs = 600_000;

async function main(): Promise<void> {
  const deleteConcurrency = option('delete-concurrency');
  const stack = await startBenchStack({ LOG_LEVEL: 'silent', ...(deleteConcurrency && { ERASURE_DELETE_CONCURRENCY: Number(deleteConcurrency) }) });
  try {
    const http = async (method: string, path: string, body?: unknown, auth?: string) => {
      const response = await fetch(`${stack.api.url}${path}`, {
        method,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          authorization: auth ?? `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`,
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    // `--erasure` runs the third part alone.
    const all = !process.argv.includes('--erasure');
    if (all) {
      say('1. codec cost per payload');
      const codec = payloadCodecFor(stack.pseudonymKey, { pool: stack.pool });
      const cost = await codecCost(codec, 200, 20_000);
      console.log(JSON.stringify({ codec: cost }));

      say('2. key look-ups per event, end to end');
      // The API's client and the worker share one codec in the bench stack: its counters cover both sides.
      const shared = stack.temporal.options.loadedDataConverter.payloadCodecs[0] as EncryptionCodec;
      const before = { ...shared.stats };
      const events = 300;
      const cpuBefore = cpuMicros();
      for (let i = 0; i < events; i += 1) await http('POST', '/v1/track', { userId: `bench-keys-${i % 30}`, event: 'Bench Ping', messageId: `bench-keys-${Date.now()}-${i}` });
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const lookups = { hits: shared.stats.hits - before.hits, misses: shared.stats.misses - before.misses };
      console.log(JSON.stringify({ perEvent: { events, users: 30, hitsPerEvent: oneDecimal(lookups.hits / events), missesPerEvent: oneDecimal(lookups.misses / events), nodeCpuMsPerEvent: oneDecimal((cpuMicros() - cpuBefore) / 1000 / events) } }));

    }

    say('3. erasure time by number of journeys');
    const campaign = parseCampaignText(
      ['id: bench-erasure', 'name: Bench erasure', 'entry: { event: Bench Entry }', 'reentry: { mode: every_time }', 'allowConcurrent: true', 'templates: {}', 'steps:', '  - { id: hold, type: wait, duration: 7d }'].join('\n'),
      'bench',
    );
    await createCampaignRepository(stack.pool).publish(campaign, 'bench');
    const admin = `Bearer ${(await createAdminTokenRepository(stack.pool).create('bench erasure', ['admin'])).token}`;
    const pseudonymize = createPseudonymizer(stack.pseudonymKey);
    const running = async (pseudonym: string) => Number((await stack.temporal.workflow.count(`${userJourneysQuery(pseudonym)} AND ExecutionStatus = 'Running'`)).count);
    for (const journeys of sizes) {
      // Every run's user is set up at once (entry events in parallel, bounded), then erased one after the other.
      const users = Array.from({ length: runs }, (_, run) => `bench-erase-${journeys}-${run}-${Date.now()}`);
      const setupStarted = Date.now();
      const calls = users.flatMap((userId) => Array.from({ length: journeys }, (_, i) => ({ userId, event: 'Bench Entry', messageId: `${userId}-${i}` })));
      await forEachBounded(calls, 8, async (body) => {
        const answer = await http('POST', '/v1/track', body);
        if (answer.status !== 200) throw new Error(`track answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      });
      // Visibility's count of running journeys says when the user workflows have started them all.
      let lastSaid = 0;
      for (;;) {
        const counts = await Promise.all(users.map((userId) => running(pseudonymize(userId))));
        const total = counts.reduce((a, b) => a + b, 0);
        if (total >= journeys * runs) break;
        if (Date.now() - setupStarted > setupLimitMs) throw new Error(`only ${counts.join(', ')} of ${journeys} journeys running after ${setupLimitMs / 1000} s`);
        if (Date.now() - lastSaid > 5_000) {
          say(`  ${journeys} journeys x ${runs} users: ${counts.join(', ')} running after ${Math.round((Date.now() - setupStarted) / 1000)} s`);
          lastSaid = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      say(`  ${journeys} journeys x ${runs} users running after ${Math.round((Date.now() - setupStarted) / 1000)} s; erasing`);
      for (const userId of users) {
        const pseudonym = pseudonymize(userId);
        erasureLogs.length = 0;
        const started = Date.now();
        const answer = await http('DELETE', `/v1/ops/users/${userId}`, undefined, admin);
        const ms = Date.now() - started;
        if (answer.status !== 200 || answer.json.status !== 'completed') throw new Error(`erasure answered ${answer.status}: ${JSON.stringify(answer.json)}`);
        const steps = await activityDurations(stack.temporal, erasureWorkflowId(pseudonym));
        const logged = erasureLogs[0] ?? {};
        const deletion = Object.fromEntries(['executions', 'deleteMs', 'listMs', 'rounds', 'totalMs'].map((name) => [name, logged[name]]));
        const workflows = (answer.json.removed as { workflows?: number } | undefined)?.workflows;
        console.log(JSON.stringify({ erasure: { journeys, deleteConcurrency: stack.config.ERASURE_DELETE_CONCURRENCY, ms, workflowsRemoved: workflows, steps, deletion, load: loadavg().map(oneDecimal) } }));
      }
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
