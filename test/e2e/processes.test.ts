import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { createSourceRepository } from '../../src/db/source-repository';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { mintUserToken } from '../../src/privacy/user-token';
import { basicAuth } from '../support/api';
import { testDatabaseUrl, testPool, testTemporalAddress, uniqueUserId } from '../support/env';
import { request } from '../support/http';
import { freePort } from '../support/ports';
import { cleanEnv, runEntryPoint, type RunningProcess } from '../support/processes';

/**
 * The production topology: `npm run worker` and `npm run api` as separate processes against a
 * Temporal server and a Postgres they did not start (the test run's shared ones).
 */
describe('worker and API as separate processes', () => {
  const pseudonymKey = 'e2e-processes-key-'.padEnd(48, 'z');
  const taskQueue = `e2e-${Date.now().toString(36)}`;
  let worker: RunningProcess;
  let api: RunningProcess;
  let apiUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    const env = cleanEnv({
      DATABASE_URL: testDatabaseUrl(),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      PSEUDONYM_KEY: pseudonymKey,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_POOL_MAX: '4',
    });
    worker = runEntryPoint('src/worker.ts', env);
    api = runEntryPoint('src/api.ts', env);
    await Promise.all([worker.waitFor(/worker polling task queue/), api.waitFor(/API listening on/)]);
    apiUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await Promise.all([worker?.stop('SIGKILL'), api?.stop('SIGKILL')]);
  });

  it('walks the slice: track, the journey delivers, the inbox shows it, and ops can find the journey by search attribute', async () => {
    const userId = uniqueUserId('prod');
    const health = await request(apiUrl, { method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok', postgres: 'ok', temporal: 'ok' });

    const pool = testPool();
    const { writeKey, signingKey } = await createSourceRepository(pool, createSigningKeyVault(deriveVaultKey(pseudonymKey))).create('e2e processes');
    const tracked = await request(apiUrl, {
      method: 'POST',
      url: '/v1/track',
      payload: { userId, event: 'Signed Up' },
      headers: { authorization: basicAuth(writeKey) },
    });
    expect(tracked.statusCode).toBe(200);
    const deadline = Date.now() + 60_000;
    let messages: unknown[] = [];
    while (messages.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      messages = (await request(apiUrl, { method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: { authorization: `Bearer ${mintUserToken(signingKey, userId)}` } })).json().messages;
    }
    expect(messages).toHaveLength(1);

    const pseudonym = createPseudonymizer(pseudonymKey)(userId);
    const client = new Client({
      connection: await Connection.connect({ address: testTemporalAddress() }),
      dataConverter: { payloadCodecs: [payloadCodecFor(pseudonymKey, { pool })] },
    });
    try {
      const journey = await client.workflow.getHandle(`journey:welcome:${pseudonym}:1`).describe();
      expect(journey.status.name).toBe('COMPLETED');
      expect(journey.taskQueue).toBe(taskQueue);
      expect(journey.searchAttributes).toMatchObject({
        BeckonUser: [pseudonym],
        BeckonCampaign: ['welcome'],
        BeckonCampaignVersion: [1],
        BeckonStep: ['end'],
        BeckonJourneyStatus: ['completed'],
      });
      const found: string[] = [];
      // Visibility is eventually consistent; the query is what ops type into the Web UI.
      for (let attempt = 0; attempt < 40 && found.length === 0; attempt++) {
        for await (const execution of client.workflow.list({
          query: `BeckonCampaign = 'welcome' AND BeckonUser = '${pseudonym}' AND BeckonJourneyStatus = 'completed'`,
        })) {
          found.push(execution.workflowId);
        }
        if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(found).toEqual([`journey:welcome:${pseudonym}:1`]);
    } finally {
      await client.connection.close();
      // After the client: its codec reads the users' data keys through this pool.
      await pool.end();
    }
  });

  it('both stop cleanly on SIGTERM', async () => {
    const [workerCode, apiCode] = await Promise.all([worker.stop('SIGTERM'), api.stop('SIGTERM')]);
    expect({ workerCode, apiCode }).toEqual({ workerCode: 0, apiCode: 0 });
  });
});

describe('start-up with a bad configuration', () => {
  it('stops at once, naming the variable and the reason', async () => {
    const api = runEntryPoint('src/api.ts', cleanEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', PSEUDONYM_KEY: 'x'.repeat(40) }));
    const code = await api.exited;
    expect(code).toBe(2);
    expect(api.output()).toContain('PORT: must be a port number (0-65535)');
    expect(api.output()).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });

  it('says which setting the API needs when run alone', async () => {
    const api = runEntryPoint('src/api.ts', cleanEnv({ DATABASE_URL: testDatabaseUrl() }));
    expect(await api.exited).toBe(2);
    expect(api.output()).toMatch(/PSEUDONYM_KEY: required/);
  });

  it('refuses a bad campaign file before serving, naming the file, the path and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beckon-bad-campaigns-'));
    writeFileSync(join(dir, 'nudge.yaml'), 'id: nudge\nname: Nudge\nentry: { event: X }\ntemplates: { a: { channel: fax, title: T, body: B } }\nsteps: [{ id: w, type: wait, duration: 4 hourz }]\n');
    const api = runEntryPoint('src/api.ts', cleanEnv({ DATABASE_URL: testDatabaseUrl(), PSEUDONYM_KEY: 'k'.repeat(40), CAMPAIGNS_DIR: dir }));
    expect(await api.exited).toBe(2);
    expect(api.output()).toContain(`${join(dir, 'nudge.yaml')}: invalid campaign`);
    expect(api.output()).toContain('templates.a.channel: must have a channel: in_app, push, email, webhook');
    expect(api.output()).toContain('steps[0].duration: "4 hourz" is not a duration');
  });
});
