/**
 * `npx tsx scripts/bench/privacy.ts`: what per-user data keys cost and how long an erasure takes.
 *  1. Codec: CPU per payload encoded and decoded with a user's cached key vs the deployment key, and
 *     the cost of a key's first use (a Postgres round trip, an unwrap).
 *  2. End to end: events through the API and worker; the codec's key look-ups per event (cache hits, misses).
 *  3. Erasure of a user with 1, 10 and 100 running journeys, timed from the DELETE to its answer.
 * Uses DATABASE_URL / TEMPORAL_ADDRESS when set, else embedded PGlite and a dev server (scripts/bench/stack.ts).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { payloadCodecFor, type EncryptionCodec } from '../../src/temporal/payload-codec';
import { say, startBenchStack } from './stack';
import { median, oneDecimal } from './stats';

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

async function main(): Promise<void> {
  const stack = await startBenchStack({ LOG_LEVEL: 'silent' });
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
      ['id: bench-erasure', 'name: Bench erasure', 'entry: { event: Bench Entry }', 'reentry: { mode: every_time }', 'templates: {}', 'steps:', '  - { id: hold, type: wait, duration: 7d }'].join('\n'),
      'bench',
    );
    await createCampaignRepository(stack.pool).publish(campaign, 'bench');
    const admin = `Bearer ${(await createAdminTokenRepository(stack.pool).create('bench erasure', ['admin'])).token}`;
    for (const journeys of [1, 10, 100]) {
      const times: number[] = [];
      let workflows: unknown;
      for (let run = 0; run < 3; run += 1) {
        const userId = `bench-erase-${journeys}-${run}-${Date.now()}`;
        for (let i = 0; i < journeys; i += 1) await http('POST', '/v1/track', { userId, event: 'Bench Entry', messageId: `${userId}-${i}` });
        const exported = async () => ((await http('GET', `/v1/ops/users/${userId}/export`, undefined, admin)).json.journeys as unknown[] | undefined)?.length ?? 0;
        const deadline = Date.now() + 300_000;
        while ((await exported()) < journeys && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
        const started = Date.now();
        const answer = await http('DELETE', `/v1/ops/users/${userId}`, undefined, admin);
        times.push(Date.now() - started);
        workflows = (answer.json.removed as { workflows?: number } | undefined)?.workflows;
        if (answer.status !== 200) throw new Error(`erasure answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      }
      console.log(JSON.stringify({ erasure: { journeys, medianMs: median(times), runsMs: times, workflowsRemoved: workflows } }));
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
