import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { loadConfig } from '../../src/config';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { startWorker, type BeckonWorker } from '../../src/worker';
import type { JourneyResult, JourneyWorkflowInput } from '../../src/workflows/messages';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { daytimeZone } from '../support/daytime';
import { testPool, testTemporalAddress, workflowBundle } from '../support/env';
import { createProfile, testPseudonymKey } from '../support/profiles';
import { compile } from '../support/workflow-env';

/**
 * Webhook steps of real journeys on the dev Temporal server, with the worker's own retry policy,
 * posting to a real HTTP server in this test: the signature verifies, a 500 is retried and the
 * retry carries the same idempotency key, a 4xx is not retried.
 */
describe('webhook channel', () => {
  const secret = 'webhook-test-secret-0123456789';
  const taskQueue = `webhook-${Date.now().toString(36)}`;
  const received: { path: string; headers: IncomingHttpHeaders; body: string; at: number }[] = [];
  const answers = new Map<string, (number | { status: number; headers: Record<string, string> })[]>();
  let server: Server;
  let base: string;
  let pool: Pool;
  let worker: BeckonWorker;
  let client: Client;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now() });
        const queue = answers.get(req.url ?? '') ?? [];
        const answer = queue.shift() ?? 200;
        res.statusCode = typeof answer === 'number' ? answer : answer.status;
        if (typeof answer !== 'number') for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
        res.setHeader('x-request-id', `req-${received.length}`);
        res.end(res.statusCode < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    pool = testPool();
    const config = { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue, WEBHOOK_SECRET: secret };
    worker = await startWorker({ config, pool, pseudonymKey: testPseudonymKey, workflowBundle: workflowBundle() });
    client = new Client({ connection: await Connection.connect({ address: testTemporalAddress() }) });
    await ensureSearchAttributes(client, 'default');
  });

  afterAll(async () => {
    await worker?.shutdown();
    await client?.connection.close();
    await pool?.end();
    await new Promise((resolve) => server.close(resolve));
  });

  const runJourney = async (label: string, path: string): Promise<{ result: JourneyResult; key: string; pseudonym: string }> => {
    const user = await createProfile(pool, { label, timezone: daytimeZone() });
    const campaign = compile({
      id: `hook-${label}`,
      name: `Hook ${label}`,
      entry: { event: 'Ordered' },
      templates: { hook: { channel: 'webhook', url: `${base}${path}`, body: { order: '{{ entry.orderId }}', items: ['{{ variables.sku }}'] } } },
      steps: [{ id: 'notify', type: 'message', template: 'hook', variables: { sku: 'SKU-1' } }],
    });
    const at = new Date().toISOString();
    const input: JourneyWorkflowInput = {
      version: 1,
      pseudonym: user.pseudonym,
      campaign,
      entry: 1,
      entryEvent: { messageId: `hook-${label}`, event: 'Ordered', properties: { orderId: 'o-42' }, timestamp: at, receivedAt: at },
      history: { events: {}, traits: {} },
    };
    const handle = await client.workflow.start(journeyWorkflow, { workflowId: `journey:hook-${label}:${user.pseudonym}:1`, taskQueue, args: [input] });
    return { result: await handle.result(), key: deliveryKey(campaign, user.pseudonym, 1, 'notify'), pseudonym: user.pseudonym };
  };

  it('posts signed JSON; a 500 is retried once with the same idempotency key and signature scheme', async () => {
    answers.set('/flaky', [500]);
    const { result, key, pseudonym } = await runJourney('flaky', '/flaky');
    expect(result).toMatchObject({ status: 'completed', delivered: 1 });

    const calls = received.filter((r) => r.path === '/flaky');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.headers['content-type']).toBe('application/json');
      expect(call.headers['idempotency-key']).toBe(key);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call.headers['beckon-signature']))!;
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${call.body}`).digest('hex'));
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(600);
      expect(JSON.parse(call.body)).toEqual({
        deliveryKey: key,
        campaignId: 'hook-flaky',
        campaignVersion: 1,
        stepId: 'notify',
        category: 'marketing',
        user: pseudonym,
        data: { order: 'o-42', items: ['SKU-1'] },
      });
    }
    expect(await createDeliveryRepository(pool).find(key)).toMatchObject({ status: 'sent', providerId: expect.stringMatching(/^req-\d+$/), attempts: 2 });
  });

  it('a 429 with Retry-After is retried no sooner than the receiver asked, not on the policy\'s 1 s backoff', async () => {
    answers.set('/busy', [{ status: 429, headers: { 'retry-after': '4' } }]);
    const { result, key } = await runJourney('busy', '/busy');
    expect(result).toMatchObject({ status: 'completed', delivered: 1 });
    const calls = received.filter((r) => r.path === '/busy');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(4_000);
    expect(await createDeliveryRepository(pool).find(key)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a 4xx is not retried: the step fails for good and the journey goes on', async () => {
    answers.set('/gone', [410]);
    const { result, key } = await runJourney('gone', '/gone');
    expect(result).toMatchObject({ status: 'completed', delivered: 0, path: ['notify'] });
    expect(received.filter((r) => r.path === '/gone')).toHaveLength(1);
    expect(await createDeliveryRepository(pool).find(key)).toMatchObject({ status: 'failed', reason: 'http_410', detail: '410 nope' });
  });
});
