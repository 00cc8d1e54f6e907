import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { createDevPushSender } from '../../src/dev/push-log';
import { startSmtpSink } from '../../src/dev/smtp-sink';
import { channelSenders } from '../../src/worker';
import { publishCampaignFolder } from '../../src/ops/campaign-publish';
import { createCampaignLifecycleRepository } from '../../src/db/campaign-lifecycle-repository';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import type { TrackedEvent } from '../../src/domain/events';
import { historyToRecord, type RecordedHistory } from '../../src/temporal/history-replay';
import { eventSignal, journeyQuery, journeyWorkflowId, rerunSignal, resumeSignal, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { userWorkflow } from '../../src/workflows/user-workflow';
import { ensureTestServer } from '../../src/temporal/tools/test-server';
import { timeSkippingEnv } from '../../test/support/workflow-env';

/**
 * `npm run replay:record`: drives every journey shape of the shipped campaigns on Temporal's
 * time-skipping test server (real activities, embedded Postgres) and writes each history to
 * test/replay/histories/, which `npm run replay` and the replay test replay against the current code.
 */
const HOUR = 3_600_000;
const outDir = resolve(__dirname, '..', '..', 'test', 'replay', 'histories');
const say = (message: string) => console.error(`[record] ${message}`);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const postgres = await startEmbeddedPostgres({ port: 0 });
  const pool = createPool(postgres.url, 4);
  // The tests' own start of the test server: the SDK's gives the JVM 5 s, too little on a busy machine.
  process.env.TEMPORAL_TEST_SERVER_PATH ??= await ensureTestServer({ log: say });
  const env = await timeSkippingEnv();
  const recorded: RecordedHistory[] = [];
  let stopSink: (() => Promise<void>) | undefined;
  try {
    await migrate(pool);
    await publishCampaignFolder(pool, resolve(__dirname, '..', '..', 'campaigns'));
    const lifecycle = createCampaignLifecycleRepository(pool);
    const taskQueue = 'replay-record';
    // Every channel goes where npm start's would: email to a local SMTP sink, push to the log.
    const sink = await startSmtpSink({ pool });
    stopSink = () => sink.stop();
    const mailConfig = { ...loadConfig({}), SMTP_HOST: '127.0.0.1', SMTP_PORT: sink.port, SMTP_SECURE: false, SMTP_REQUIRE_TLS: false };
    const senders = channelSenders(mailConfig, pool, 'replay-record-key-'.padEnd(40, 'r'), { push: createDevPushSender({ pool, log: () => undefined }) });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../../src/workflows'), activities: createActivities({ pool, senders }) });
    const { client } = env;
    let messages = 0;

    const send = async (pseudonym: string, name: string, properties: Record<string, unknown> = {}) => {
      const at = new Date(await env.currentTimeMs()).toISOString();
      const event: TrackedEvent = { messageId: `rec-${++messages}`, event: name, properties, timestamp: at, receivedAt: at };
      return client.workflow.signalWithStart(userWorkflow, {
        workflowId: userWorkflowId(pseudonym),
        taskQueue,
        // `rec-shape1-`: a user run of shape 1 (started before journeys of shape 2), which asks patched() once.
        args: [{ version: pseudonym.startsWith('rec-shape1-') ? 1 : 2, pseudonym, ...(pseudonym.startsWith('rec-can') && { eventsPerRun: 3 }) }],
        signal: eventSignal,
        signalArgs: [{ version: 1, event, catalogRevision: 1 } satisfies EventSignal],
      });
    };
    const folded = async (pseudonym: string) => {
      // The user workflow has taken every queued event when its `state` query shows none pending.
      for (;;) {
        const view = await client.workflow.getHandle(userWorkflowId(pseudonym)).query('state').catch(() => undefined);
        if (view && (view as { pending: number }).pending === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const journey = async (campaignId: string, pseudonym: string, entry = 1) => {
      const id = journeyWorkflowId(campaignId, pseudonym, entry);
      for (;;) {
        const found = await client.workflow.getHandle(id).query(journeyQuery).then(() => true, () => false);
        if (found) return client.workflow.getHandle(id);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /**
     * A journey's result, waited for without unlocking time skipping: one of shape 2 tells its user workflow before it
     * completes, so `result()`'s unlocked wait would find nothing pending and skip to the user workflows' run timeout.
     */
    const plain = new Client({ connection: env.connection });
    const settled = async (handle: WorkflowHandle) => {
      while ((await handle.describe()).status.name === 'RUNNING') await new Promise((r) => setTimeout(r, 100));
      return plain.workflow.getHandle(handle.workflowId).result() as Promise<unknown>;
    };
    const record = async (handle: WorkflowHandle, shape: string, runId?: string) => {
      const target = runId ? client.workflow.getHandle(handle.workflowId, runId) : handle;
      const description = await target.describe();
      const history = historyToRecord(await target.fetchHistory());
      recorded.push({ workflowId: handle.workflowId, workflowType: description.type, shape, recordedAt: new Date().toISOString(), history });
      say(`${shape}: ${description.type} ${handle.workflowId} (${description.status.name})`);
    };

    await worker.runUntil(async () => {
      // welcome: Signed Up -> in-app message -> completed.
      await send('rec-welcome', 'Signed Up', { plan: 'pro' });
      const welcome = await journey('welcome', 'rec-welcome');
      await settled(welcome);
      await record(welcome, 'welcome: in-app message, completed');
      // A run of shape 1 that was running before the deploy: its next journey starts through the activity (patch).
      await send('rec-shape1-welcome', 'Signed Up', { plan: 'pro' });
      await settled(await journey('welcome', 'rec-shape1-welcome'));
      await record(client.workflow.getHandle(userWorkflowId('rec-shape1-welcome')), 'user: a run of shape 1 started its journey through the activity (patch)');
      // Re-run by ops: a once-only campaign entered a second time.
      await client.workflow.getHandle(userWorkflowId('rec-welcome')).signal(rerunSignal, { version: 1, campaignId: 'welcome', requestId: 'rec-rerun-1' });
      const rerun = await journey('welcome', 'rec-welcome', 2);
      await settled(rerun);
      await record(client.workflow.getHandle(userWorkflowId('rec-welcome')), 'user: re-run by ops started a second journey of a once-only campaign');

      // pricing-no-purchase: a purchase within 48h exits; no purchase -> the offer after 48h.
      for (const p of ['rec-pricing-buys', 'rec-pricing-offer', 'rec-pricing-cancel', 'rec-pricing-paused']) {
        await send(p, 'Session Started');
        await send(p, 'Session Started');
        await send(p, 'Viewed Pricing', { plan: 'team' });
        await folded(p);
      }
      const buys = await journey('pricing-no-purchase', 'rec-pricing-buys');
      await send('rec-pricing-buys', 'Completed Purchase');
      await settled(buys);
      await record(buys, 'pricing-no-purchase: purchase within 48h exits');

      // Cancelled by ops while waiting.
      const cancelled = await journey('pricing-no-purchase', 'rec-pricing-cancel');
      await cancelled.cancel();
      // A cancelled workflow's result is a WorkflowFailedError whose cause is the cancellation; anything else is a failed recording.
      await settled(cancelled).then(
        () => Promise.reject(new Error('the cancelled journey completed')),
        (err: unknown) => {
          if (!(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure)) throw err;
        },
      );
      await record(cancelled, 'pricing-no-purchase: cancelled while waiting');

      // Paused across the due 48h timer: held at the offer, resumed, sent once.
      const paused = await journey('pricing-no-purchase', 'rec-pricing-paused');
      const offer = await journey('pricing-no-purchase', 'rec-pricing-offer');
      await lifecycle.transition('pricing-no-purchase', 'pause');
      await env.sleep(48 * HOUR + 20 * 60_000);
      await lifecycle.transition('pricing-no-purchase', 'resume');
      await paused.signal(resumeSignal, { version: 1, campaignId: 'pricing-no-purchase' });
      await offer.signal(resumeSignal, { version: 1, campaignId: 'pricing-no-purchase' });
      await settled(paused);
      await settled(offer);
      await record(offer, 'pricing-no-purchase: no purchase in 48h, the offer (held by a pause first)');
      await record(paused, 'pricing-no-purchase: paused across the due timer, resumed, offer sent once');

      // advanced-features-nudge: 72h of silence -> in-app, +4h push, next day 10:00 email.
      await send('rec-nudge-full', 'Viewed Advanced Features');
      await send('rec-nudge-engaged', 'Viewed Advanced Features');
      await send('rec-nudge-disarmed', 'Viewed Advanced Features');
      await folded('rec-nudge-disarmed');
      await send('rec-nudge-disarmed', 'Opened App');
      await folded('rec-nudge-disarmed');
      await env.sleep(72 * HOUR + 60_000);
      const engaged = await journey('advanced-features-nudge', 'rec-nudge-engaged');
      const full = await journey('advanced-features-nudge', 'rec-nudge-full');
      await send('rec-nudge-engaged', 'Opened App');
      await settled(engaged);
      await record(engaged, 'advanced-features-nudge: engagement during the 4h wait exits');
      await env.sleep(4 * HOUR);
      await env.sleep(48 * HOUR);
      await settled(full);
      await record(full, 'advanced-features-nudge: in-app, push 4h later, email next day at 10:00');

      // User workflows: entries, forwarding, absence armed and disarmed, journey ends.
      await record(client.workflow.getHandle(userWorkflowId('rec-nudge-disarmed')), 'user: absence armed, then disarmed by engagement');
      await record(client.workflow.getHandle(userWorkflowId('rec-nudge-engaged')), 'user: absence fired a journey, forwarded the exit event');
      await record(client.workflow.getHandle(userWorkflowId('rec-pricing-buys')), 'user: entry conditions, forwarded the goal event');

      // Continue-as-new with events still queued (3 events per run in this recording).
      const first = await send('rec-can', 'Session Started');
      for (let i = 0; i < 6; i++) await send('rec-can', 'Session Started');
      await folded('rec-can');
      await record(first, 'user: continued as new after 3 events, state carried', first.signaledRunId);
      await record(client.workflow.getHandle(userWorkflowId('rec-can')), 'user: a run started by continue-as-new');
    });
  } finally {
    await stopSink?.();
    await env.teardown();
    await pool.end();
    await postgres.stop();
  }

  mkdirSync(outDir, { recursive: true });
  for (const name of readdirSync(outDir)) if (name.endsWith('.json')) rmSync(join(outDir, name));
  recorded.forEach((entry, i) => {
    const slug = entry.shape.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 70);
    writeFileSync(join(outDir, `${String(i + 1).padStart(2, '0')}-${slug}.json`), `${JSON.stringify(entry, null, 1)}\n`);
  });
  say(`${recorded.length} histories written to ${outDir}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
