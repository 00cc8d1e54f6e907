import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { messageIdFor } from '../../src/activities/channels/email-sender';
import { FAULT_POINTS, type FaultPoint } from '../../src/activities/send-path';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import { createInboxRepository } from '../../src/db/inbox-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import type { JourneyWorkflowInput } from '../../src/workflows/messages';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { daytimeZone } from '../support/daytime';
import { testDatabaseUrl, testPool, testTemporalAddress } from '../support/env';
import { cleanEnv, runEntryPoint, type RunningProcess } from '../support/processes';
import { createProfile, testPseudonymKey } from '../support/profiles';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer';
import { compile } from '../support/workflow-env';

/**
 * The worker as its own process (`npm run worker`) sends an email step of a real journey and kills
 * itself with SIGKILL at one point of the send path; a fresh worker takes the activity over once
 * Temporal times the lost attempt out. The SMTP peer counts what arrived: exactly what README's
 * "Delivery guarantees" says for that point, and never two.
 */
const expected: Record<(typeof FAULT_POINTS)[number], { received: number; status: string; delivered: number }> = {
  'after-reserve': { received: 1, status: 'sent', delivered: 1 }, // nothing had left: the retry sends it
  'after-claim': { received: 0, status: 'unknown', delivered: 0 }, // it may have left: not resent (at most once)
  'after-send': { received: 1, status: 'unknown', delivered: 0 }, // it had left, unrecorded: not resent
  'after-outcome': { received: 1, status: 'sent', delivered: 1 }, // recorded: the retry returns the record
};

describe('killing the worker on the send path', () => {
  const from = 'Beckon <kill@beckon.test>';
  let pool: Pool;
  let peer: SmtpPeer;
  let client: Client;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    pool = testPool();
    peer = await startSmtpPeer();
    // `npm run worker` encrypts payloads with a key derived from PSEUDONYM_KEY; the client must too.
    client = new Client({
      connection: await Connection.connect({ address: testTemporalAddress() }),
      dataConverter: { payloadCodecs: [payloadCodecFor(testPseudonymKey, { pool })] },
    });
    await ensureSearchAttributes(client, 'default');
  });

  afterAll(async () => {
    await Promise.all(running.map((worker) => worker.stop('SIGKILL')));
    await client?.connection.close();
    await peer?.close();
    await pool?.end();
  });

  const startWorker = async (taskQueue: string, faultPoint?: FaultPoint) => {
    const worker = runEntryPoint('src/worker.ts', cleanEnv({
      DATABASE_URL: testDatabaseUrl(),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      PSEUDONYM_KEY: testPseudonymKey,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(peer.port),
      EMAIL_FROM: from,
      LOG_LEVEL: 'warn',
      DATABASE_POOL_MAX: '2',
      ...(faultPoint && { BECKON_FAULT_POINT: faultPoint }),
    }));
    running.push(worker);
    await worker.waitFor(/worker polling task queue/, 180_000);
    return worker;
  };

  /** A one-step journey's input for this user, entered now by a `Kill Test` event. */
  const oneStepJourney = (version: JourneyWorkflowInput['version'], pseudonym: string, campaign: JourneyWorkflowInput['campaign'], messageId: string): JourneyWorkflowInput => {
    const at = new Date().toISOString();
    return {
      version,
      pseudonym,
      campaign,
      entry: 1,
      entryEvent: { messageId, event: 'Kill Test', properties: {}, timestamp: at, receivedAt: at },
      history: { events: {}, traits: {} },
    };
  };

  /** One fault point end to end: the doomed worker's kill, the rescuer's retry, what the SMTP peer and the record say. */
  const killAt = async (point: FaultPoint) => {
    const taskQueue = `kill-${point}-${Date.now().toString(36)}`;
    const email = `${point}-${Date.now().toString(36)}@example.com`;
    const user = await createProfile(pool, { label: `kill-${point}`, email, timezone: daytimeZone() });
    const campaign = compile({
      id: `kill-${point}`,
      name: `Kill ${point}`,
      entry: { event: 'Kill Test' },
      templates: { mail: { channel: 'email', subject: `Kill test ${point}`, text: 'Sent at most once.' } },
      steps: [{ id: 'mail', type: 'message', template: 'mail' }],
    });
    const key = deliveryKey(campaign, user.pseudonym, 1, 'mail');
    const input = oneStepJourney(1, user.pseudonym, campaign, `kill-${point}`);

    const doomed = await startWorker(taskQueue, point);
    const journey = await client.workflow.start(journeyWorkflow, { workflowId: `journey:kill-${point}:${user.pseudonym}:1`, taskQueue, args: [input] });
    // tsx runs the worker in a child of its own and exits with that child's fate (killed: 137).
    const exitCode = await doomed.exited;
    const faultLine = doomed.output().includes(`[fault] SIGKILL at ${point}`);

    const rescuer = await startWorker(taskQueue);
    const result = await journey.result();
    await rescuer.stop('SIGTERM');

    const arrived = peer.received.filter((mail) => mail.envelope.to.includes(email));
    const record = await createDeliveryRepository(pool).find(key);
    return {
      exitCode,
      faultLine,
      sameMessageId: arrived.every((mail) => mail.parsed.messageId === messageIdFor(key, from)),
      received: arrived.length,
      status: record?.status,
      delivered: result.delivered,
    };
  };

  // The four points run at once, each on its own task queue with its own workers: most of each case is
  // Temporal waiting out the lost attempt's 30 s start-to-close timeout, which need not be waited four times.
  it(`killed at each of ${FAULT_POINTS.join(', ')}: the documented outcome, never two sends`, async () => {
    const outcomes = await Promise.all(FAULT_POINTS.map(async (point) => [point, await killAt(point)] as const));
    for (const [point, outcome] of outcomes) {
      expect({ point, ...outcome }).toEqual({ point, exitCode: 137, faultLine: true, sameMessageId: true, ...expected[point] });
      expect(outcome.received).toBeLessThanOrEqual(1);
    }
  }, 420_000);

  it('killed inside an in-app send\'s transaction, after the inbox row: it rolls back, and the retry delivers once', async () => {
    const point = 'in-transaction-after-inbox';
    const taskQueue = `kill-in-app-${Date.now().toString(36)}`;
    const user = await createProfile(pool, { label: 'kill-in-app', email: `kill-in-app-${Date.now().toString(36)}@example.com`, timezone: daytimeZone() });
    const campaign = compile({
      id: 'kill-in-app',
      name: 'Kill in-app',
      entry: { event: 'Kill Test' },
      templates: { note: { channel: 'in_app', title: 'Kill test', body: 'Delivered once.' } },
      steps: [{ id: 'note', type: 'message', template: 'note' }],
    });
    const key = deliveryKey(campaign, user.pseudonym, 1, 'note');
    // Shape 3: the send is a local activity of the journey's task and carries the experiment entry.
    const input = oneStepJourney(3, user.pseudonym, campaign, 'kill-in-app');

    const doomed = await startWorker(taskQueue, point);
    const journey = await client.workflow.start(journeyWorkflow, { workflowId: `journey:kill-in-app:${user.pseudonym}:1`, taskQueue, args: [input] });
    expect(await doomed.exited).toBe(137);
    expect(doomed.output()).toContain(`[fault] SIGKILL at ${point}`);

    const rescuer = await startWorker(taskQueue);
    const result = await journey.result();
    await rescuer.stop('SIGTERM');

    expect(await createDeliveryRepository(pool).find(key)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await createInboxRepository(pool).list(user.pseudonym, { limit: 10 })).toHaveLength(1);
    const entries = await pool.query('SELECT count(*)::int AS n FROM experiment_entries WHERE campaign_id = $1 AND pseudonym = $2', ['kill-in-app', user.pseudonym]);
    expect(entries.rows[0].n).toBe(1);
    expect(result.delivered).toBe(1);
  }, 420_000);
});
