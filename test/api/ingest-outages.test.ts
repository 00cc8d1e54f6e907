import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishCampaignFolder } from '../../src/ops/campaign-publish';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { eventually, startTestApi, type TestApi } from '../support/api';
import { temporalCliPath, uniqueUserId } from '../support/env';
import { freePort } from '../support/ports';
import { cleanEnv, runEntryPoint, type RunningProcess } from '../support/processes';

/**
 * Honest failure: each dependency is really stopped. While it is down the API answers 503 with
 * Retry-After and records nothing as accepted; once it is back, the client's retry of the same
 * message is taken, and counted once.
 */
describe('ingestion while a dependency is down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beckon-outage-'));
  let temporalPort: number;
  let pgPort: number;
  let temporal: DevServer;
  let postgres: RunningProcess;
  let databaseUrl: string;
  let api: TestApi;

  const startTemporal = () =>
    startDevServer({ cliPath: temporalCliPath(), port: temporalPort, namespace: 'default', dbFile: join(dir, 'temporal.sqlite') });
  /** PGlite in a process of its own (`npm run postgres`), so stopping it is a real outage. */
  const startPostgres = async () => {
    const started = runEntryPoint('scripts/embedded-postgres.ts', cleanEnv({ DATA_DIR: dir, EMBEDDED_PG_PORT: String(pgPort) }));
    databaseUrl = (await started.waitFor(/DATABASE_URL=(\S+)/, 60_000))[1]!;
    return started;
  };

  beforeAll(async () => {
    [temporalPort, pgPort] = [await freePort(), await freePort()];
    temporal = startTemporal();
    postgres = await startPostgres();
    const pool = createPool(databaseUrl, 2);
    await migrate(pool);
    await publishCampaignFolder(pool, 'campaigns');
    await pool.end();
    api = await startTestApi({ databaseUrl, temporalAddress: temporal.address });
  });

  afterAll(async () => {
    await api?.close().catch(() => undefined);
    await temporal?.stop();
    await postgres?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const track = (userId: string, event: string, messageId: string) =>
    api.http({ method: 'POST', url: '/v1/track', payload: { userId, event, messageId } });
  const ledger = async (messageId: string) =>
    (await api.pool.query<{ accepted: boolean }>('SELECT accepted_at IS NOT NULL AS accepted FROM ingested_messages WHERE message_id = $1', [messageId]))
      .rows[0];
  const stateOf = (userId: string) => api.temporal.workflow.getHandle(userWorkflowId(api.pseudonymize(userId))).query(stateQuery);

  it('answers 503 with Retry-After while Temporal is stopped, and takes the retry once it is back', async () => {
    const userId = uniqueUserId('temporal-outage');
    expect((await track(userId, 'Before', `${userId}-a`)).statusCode).toBe(200);
    await eventually(() => stateOf(userId), (v) => v.state.totalEvents === 1);

    await temporal.stop();
    const refused = await track(userId, 'During', `${userId}-b`);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toEqual({ error: 'unavailable', message: expect.stringMatching(/nothing was recorded/) });
    expect(await ledger(`${userId}-b`)).toEqual({ accepted: false });
    const health = await api.http({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'degraded', postgres: 'ok', temporal: 'unavailable' });

    temporal = startTemporal();
    const retried = await eventually(() => track(userId, 'During', `${userId}-b`), (response) => response.statusCode === 200, 60_000);
    expect(retried.json().duplicate).toBe(false);
    expect(await ledger(`${userId}-b`)).toEqual({ accepted: true });
    expect((await track(userId, 'During', `${userId}-b`)).json().duplicate).toBe(true);
    const view = await eventually(() => stateOf(userId), (v) => v.state.totalEvents === 2, 60_000);
    expect(view.state.events).toMatchObject({ Before: { count: 1 }, During: { count: 1 } });
  });

  it('answers 503 with Retry-After while Postgres is stopped, and takes the retry once it is back', async () => {
    const userId = uniqueUserId('postgres-outage');
    expect((await track(userId, 'Before', `${userId}-a`)).statusCode).toBe(200);
    // The first event is folded in before the outage (its workflow task reads the catalog from Postgres), so the check below means what it says.
    await eventually(() => stateOf(userId), (v) => v.state.totalEvents === 1);

    await postgres.stop('SIGTERM');
    const refused = await track(userId, 'During', `${userId}-b`);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    const health = await api.http({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'degraded', postgres: 'unavailable', temporal: 'ok' });

    postgres = await startPostgres();
    // Nothing reached the user's workflow while Postgres was down.
    expect((await stateOf(userId)).state.totalEvents).toBe(1);
    const retried = await eventually(() => track(userId, 'During', `${userId}-b`), (response) => response.statusCode === 200, 60_000);
    expect(retried.json().duplicate).toBe(false);
    const view = await eventually(() => stateOf(userId), (v) => v.state.totalEvents === 2, 60_000);
    expect(view.state.events).toMatchObject({ Before: { count: 1 }, During: { count: 1 } });
  });
});
