import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { mintUserToken } from '../../src/privacy/user-token';
import { freePort } from '../support/ports';
import { request } from '../support/http';
import { cleanEnv, isAlive, runEntryPoint, type RunningProcess } from '../support/processes';
import { uniqueUserId } from '../support/env';
import { basicAuth } from '../support/api';

/**
 * `npm start` as a newcomer runs it: embedded Postgres, a dev Temporal server with its Web UI, the
 * worker and the API in one command. The test walks the README's slice over HTTP, finds the workflows
 * in Temporal and through the Web UI's own HTTP API, then stops it with SIGINT (Ctrl-C) and checks
 * that nothing is left running.
 */
describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'beckon-start-'));
  let beckon: RunningProcess;
  let ports: { api: number; temporal: number; ui: number; pg: number };

  beforeAll(async () => {
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };
    beckon = runEntryPoint('src/start.ts', cleanEnv({
      DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_PG_PORT: String(ports.pg),
      LOG_LEVEL: 'warn',
    }));
    await beckon.waitFor(/\[beckon\] Ctrl-C stops everything/, 180_000);
  });

  afterAll(async () => {
    await beckon?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs, turns a Signed Up event into an inbox message, and shows both workflows in Temporal and its Web UI', async () => {
    const api = `http://127.0.0.1:${ports.api}`;
    expect(beckon.output()).toContain(`API            ${api}`);
    expect(beckon.output()).toContain(`Temporal Web UI http://127.0.0.1:${ports.ui}`);
    // The dev admin token it prints opens the ops API.
    const token = beckon.output().match(/admin token +(bk_admin_\S+)/)?.[1];
    const campaigns = await request(api, { method: 'GET', url: '/v1/ops/campaigns', headers: { authorization: `Bearer ${token}` } });
    expect(campaigns.statusCode).toBe(200);
    expect(campaigns.json().campaigns.map((c: { id: string }) => c.id)).toContain('welcome');

    const writeKey = /dev source write key: (\S+)/.exec(beckon.output())?.[1];
    expect(writeKey).toMatch(/^src_[\w-]+\.[\w-]+$/);
    expect(beckon.output()).toContain(`curl -s -u '${writeKey}:' -X POST ${api}/v1/track`);
    // The dev source requires user tokens: the write key alone does not open an inbox; the printed hint's token opens ada's.
    expect((await request(api, { method: 'GET', url: '/v1/users/ada/inbox', headers: { authorization: basicAuth(writeKey!) } })).statusCode).toBe(401);
    const hint = /then: curl -s -H 'authorization: Bearer (\S+)' (\S+)\/v1\/users\/ada\/inbox/.exec(beckon.output());
    expect(hint?.[2]).toBe(api);
    expect((await request(api, { method: 'GET', url: '/v1/users/ada/inbox', headers: { authorization: `Bearer ${hint![1]}` } })).statusCode).toBe(200);
    const signingKey = readFileSync(join(dataDir, 'dev-signing-key'), 'utf8').trim();
    const userId = uniqueUserId('newcomer');
    const tracked = await request(api, {
      method: 'POST',
      url: '/v1/track',
      payload: { userId, event: 'Signed Up' },
      headers: { authorization: basicAuth(writeKey!) },
    });
    expect(tracked.statusCode).toBe(200);

    const deadline = Date.now() + 60_000;
    let messages: { title: string }[] = [];
    while (messages.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      messages = (await request(api, { method: 'GET', url: `/v1/users/${userId}/inbox`, headers: { authorization: `Bearer ${mintUserToken(signingKey, userId)}` } })).json().messages;
    }
    expect(messages).toEqual([expect.objectContaining({ title: 'Welcome aboard!' })]);

    // Payloads (the memo among them) are encrypted with the user's data key, kept in the embedded Postgres:
    // this client reads only what is not encrypted (IDs, statuses); the API's codec endpoint decrypts the rest.
    const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${ports.temporal}` }) });
    try {
      const page = await client.workflowService.listWorkflowExecutions({ namespace: 'default', query: `BeckonCampaign = 'welcome'` });
      const journeys = (page.executions ?? []).map((execution) => ({ workflowId: execution.execution?.workflowId ?? '' }));
      expect(journeys).toHaveLength(1);
      const journey = journeys[0]!;
      expect(journey.workflowId).toMatch(/^journey:welcome:[A-Za-z0-9_-]{22}:1$/);
      const pseudonym = journey.workflowId.split(':')[2]!;
      const user = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: `user:${pseudonym}` } });
      expect(user.workflowExecutionInfo?.status).toBe(1); // running
      expect(JSON.stringify(await client.workflow.getHandle(`user:${pseudonym}`).fetchHistory())).not.toContain(userId);

      // The Web UI answers, and its own API (what its pages render) lists both workflows.
      const ui = `http://127.0.0.1:${ports.ui}`;
      expect((await request(ui, { method: 'GET', url: '/' })).statusCode).toBe(200);
      const listed = await request(ui, { method: 'GET', url: `/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`BeckonUser = '${pseudonym}' OR WorkflowId = 'user:${pseudonym}'`)}` });
      expect(listed.statusCode).toBe(200);
      const ids = (listed.json().executions as { execution: { workflowId: string } }[]).map((e) => e.execution.workflowId).sort();
      expect(ids).toEqual([`journey:welcome:${pseudonym}:1`, `user:${pseudonym}`]);

      // The UI stores no payload in clear, and is pointed at the API's codec endpoint to read them.
      const settings = await request(ui, { method: 'GET', url: '/api/v1/settings' });
      expect(JSON.stringify(settings.json())).toContain(`http://127.0.0.1:${ports.api}/codec`);
      const journeyRow = (listed.json().executions as { execution: { workflowId: string }; memo: { fields: Record<string, unknown> } }[]).find((e) =>
        e.execution.workflowId.startsWith('journey:'),
      )!;
      const memoField = journeyRow.memo.fields.campaignName as { metadata: Record<string, string>; data: string };
      expect(Buffer.from(memoField.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
      // Without an operator's credential the endpoint refuses; with the printed dev token's login cookie it decrypts.
      const refused = await request(api, { method: 'POST', url: '/codec/decode', payload: { payloads: [memoField] }, headers: { origin: ui } });
      expect(refused.statusCode).toBe(401);
      const login = await request(api, { method: 'POST', url: '/codec/login', payload: { token } });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const decoded = await request(api, {
        method: 'POST',
        url: '/codec/decode',
        payload: { payloads: [memoField] },
        headers: { origin: ui, 'x-namespace': 'default', cookie },
      });
      expect(decoded.statusCode).toBe(200);
      expect(decoded.headers['access-control-allow-origin']).toBe(ui);
      expect(Buffer.from(decoded.json().payloads[0].data, 'base64').toString()).toBe('"Welcome new users"');
    } finally {
      await client.connection.close();
    }
  });

  it('stops everything on Ctrl-C, leaving no process behind', async () => {
    const temporalPid = Number(beckon.output().match(/Temporal dev server starting on \S+ \(pid (\d+)\)/)?.[1]);
    expect(isAlive(temporalPid)).toBe(true);
    const code = await beckon.stop('SIGINT');
    expect(beckon.output()).toContain('[beckon] stopped');
    expect(code).toBe(0);
    expect(isAlive(temporalPid)).toBe(false);
  });
});
