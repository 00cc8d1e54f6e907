import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { KEPT_FOR_AUDIT } from '../../src/db/erasure-repository';
import { anonymousKey } from '../../src/api/ingestion';
import { userJourneysQuery } from '../../src/ops/visibility-queries';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { erasureWorkflowId, journeyWorkflowId, userWorkflowId, type ErasureResult } from '../../src/workflows/messages';
import { eventually, startTestApi, TEST_PSEUDONYM_KEY, type TestApi } from '../support/api';
import { runBeckonCli } from '../support/beckon-cli';
import { uniqueUserId } from '../support/env';
import { eraseThroughApi, ERASING_MS } from '../support/erasure';

/** Erasure reaches everything: workflows, their history's readability, every table with a user column, and later calls. */
describe('erasing a user', () => {
  let api: TestApi;
  let admin: Record<string, string>;

  beforeAll(async () => {
    api = await startTestApi();
    admin = { authorization: `Bearer ${(await createAdminTokenRepository(api.pool).create('erasure test', ['admin'])).token}` };
  });

  afterAll(async () => {
    await api?.close();
  });

  const track = (body: Record<string, unknown>) => api.http({ method: 'POST', url: '/v1/track', payload: body });
  const inbox = async (userId: string) => (await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox` })).json().messages as { title: string }[];

  /** Signal payloads of a workflow's history, as a copy of the history would hold them. */
  async function signalPayloads(workflowId: string): Promise<Payload[]> {
    const history = await api.temporal.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((event) => event.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []);
  }

  /** Every (table, column) whose name says it holds a user: found from the schema, so a new table is checked too. */
  async function userColumns(): Promise<{ table: string; column: string }[]> {
    const result = await api.pool.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND (column_name IN ('pseudonym', 'user_id') OR column_name LIKE '%\\_pseudonym')
       ORDER BY 1, 2`,
    );
    return result.rows.map((row) => ({ table: row.table_name, column: row.column_name }));
  }

  async function rowsAbout(values: string[]): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const { table, column } of await userColumns()) {
      const result = await api.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ANY($1::text[])`, [values]);
      found[`${table}.${column}`] = Number(result.rows[0]!.n);
    }
    return found;
  }

  it('in the middle of a journey: no workflow left, history unreadable, every table clean, and later calls dropped', async () => {
    const userId = uniqueUserId('erase');
    const otherId = uniqueUserId('keep');
    const anonymousId = `anon-${userId}`;
    const pseudonym = api.pseudonymize(userId);
    const visitor = api.pseudonymize(anonymousKey(anonymousId));
    const otherPseudonym = api.pseudonymize(otherId);

    // A visitor first, then the same person identified (an alias, an email, a push token), signing up and viewing pricing twice.
    expect((await track({ anonymousId, event: 'Page Viewed', messageId: `${userId}-v1` })).statusCode).toBe(200);
    const identified = await api.http({
      method: 'POST',
      url: '/v1/identify',
      payload: { userId, anonymousId, messageId: `${userId}-id`, traits: { email: `${userId}@example.com`, plan: 'pro' }, context: { device: { token: `tok-${userId}`, type: 'ios' } } },
    });
    expect(identified.statusCode).toBe(200);
    for (const [n, event] of ['Signed Up', 'Session Started', 'Session Started', 'Viewed Pricing'].entries()) {
      expect((await track({ userId, event, messageId: `${userId}-${n}`, properties: { plan: 'pro' } })).statusCode).toBe(200);
    }
    expect((await track({ userId: otherId, event: 'Signed Up', messageId: `${otherId}-0` })).statusCode).toBe(200);
    await eventually(() => inbox(userId), (messages) => messages.length === 1);
    await eventually(() => inbox(otherId), (messages) => messages.length === 1);
    // The pricing journey waits 48h for a purchase: a timer pending.
    const pricing = api.temporal.workflow.getHandle(journeyWorkflowId('pricing-no-purchase', pseudonym, 1));
    await eventually(() => pricing.describe(), (d) => d.status.name === 'RUNNING');
    await eventually(() => rowsAbout([visitor]), (rows) => rows['aliases.anonymous_pseudonym'] === 1);

    // The export holds what this person's calls made, and nothing of the other's.
    const exported = await api.http({ method: 'GET', url: `/v1/ops/users/${encodeURIComponent(userId)}/export`, headers: admin });
    expect(exported.statusCode).toBe(200);
    const doc = exported.json();
    expect(doc.profile).toMatchObject({ user_id: userId, email: `${userId}@example.com`, traits: { plan: 'pro' } });
    expect(doc.pushTokens).toEqual([expect.objectContaining({ token: `tok-${userId}`, platform: 'ios' })]);
    expect(doc.inbox).toEqual([expect.objectContaining({ title: 'Welcome aboard!' })]);
    expect(doc.linkedVisitors).toEqual([expect.objectContaining({ anonymous_pseudonym: visitor })]);
    expect(doc.journeys.map((j: { workflowId: string }) => j.workflowId).sort()).toEqual(
      [journeyWorkflowId('pricing-no-purchase', pseudonym, 1), journeyWorkflowId('welcome', pseudonym, 1)].sort(),
    );
    // Each journey's experiment assignment (an arm, held out or not) is the person's too; no goal event, no conversion.
    expect(doc.experimentEntries.map((entry: { campaign_id: string; entry: number }) => `${entry.campaign_id}:${entry.entry}`).sort()).toEqual(['pricing-no-purchase:1', 'welcome:1']);
    expect(doc.conversions).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain(otherId);
    expect(JSON.stringify(doc)).not.toContain(otherPseudonym);

    // Copies of the histories, taken before the erasure.
    const mine = await signalPayloads(userWorkflowId(pseudonym));
    const theirs = await signalPayloads(userWorkflowId(otherPseudonym));
    expect(mine.length).toBeGreaterThan(0);

    const answer = await eraseThroughApi(api, userId, admin);
    expect(answer.status).toBe('completed');
    expect(answer.removed.workflows).toBeGreaterThanOrEqual(4);
    expect(answer.removed.keys).toBeGreaterThanOrEqual(1);
    expect(answer.removed.visitors).toBe(1);
    expect(answer.removed.rows).toMatchObject({ users: 2, inbox_messages: 1, push_tokens: 1, aliases: 1 });

    // No workflow of theirs is running or listed (visibility catches up with deletion).
    const listed = async () => {
      const ids: string[] = [];
      const query = `(${userJourneysQuery(pseudonym)}) OR (${userJourneysQuery(visitor)}) OR WorkflowId IN ('user:${pseudonym}', 'user:${visitor}')`;
      const page = await api.temporal.workflowService.listWorkflowExecutions({ namespace: 'default', query, pageSize: 100 });
      for (const info of page.executions ?? []) ids.push(`${info.execution?.workflowId} ${info.status}`);
      return ids;
    };
    await eventually(listed, (ids) => ids.length === 0);
    await expect(api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Their history cannot be decoded any more, another user's still can (a fresh codec: no cached key).
    const auditor = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool });
    await expect(auditor.decode(mine)).rejects.toThrow(/destroyed/);
    const readable = await auditor.decode(theirs);
    expect(defaultPayloadConverter.fromPayload<{ event: { event: string } }>(readable[0]!).event.event).toBe('Signed Up');

    // Every table with a user column is clean, except the auditor's (consent history, the erasure record, the suppression).
    const values = [pseudonym, visitor, userId, anonymousKey(anonymousId)];
    const left = Object.entries(await rowsAbout(values)).filter(([where, n]) => n > 0 && !KEPT_FOR_AUDIT.some((table) => where.startsWith(`${table}.`)));
    expect(left).toEqual([]);
    const record = await api.pool.query('SELECT requested_by, removed FROM erasures WHERE pseudonym = $1', [pseudonym]);
    expect(record.rows).toEqual([expect.objectContaining({ removed: expect.objectContaining({ workflows: answer.removed.workflows }) })]);
    expect(JSON.stringify(record.rows)).not.toContain(userId);

    // Calls afterwards, a retry of an old messageId among them, are acknowledged and dropped: the person does not come back.
    const retried = await track({ userId, event: 'Signed Up', messageId: `${userId}-0` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ success: true, dropped: 'suppressed' });
    expect((await track({ userId, event: 'Viewed Pricing', messageId: `${userId}-new` })).json()).toMatchObject({ dropped: 'suppressed' });
    expect((await track({ anonymousId, event: 'Page Viewed', messageId: `${userId}-v2` })).json()).toMatchObject({ dropped: 'suppressed' });
    const batch = await api.http({ method: 'POST', url: '/v1/batch', payload: { batch: [{ type: 'identify', userId, messageId: `${userId}-id`, traits: { email: `${userId}@example.com` } }] } });
    expect(batch.json()).toMatchObject({ success: true, accepted: 0, dropped: 1 });
    const consent = await api.http({ method: 'PUT', url: `/v1/users/${encodeURIComponent(userId)}/consent`, payload: { consents: [{ channel: 'email', granted: true }] } });
    expect(consent.statusCode).toBe(410);
    expect(Object.entries(await rowsAbout(values)).filter(([where, n]) => n > 0 && !KEPT_FOR_AUDIT.some((t) => where.startsWith(`${t}.`)))).toEqual([]);
    await expect(api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Repeating the erasure is harmless and removes nothing more.
    const again = await eraseThroughApi(api, userId, admin);
    expect(again.removed).toMatchObject({ keys: 0, rows: expect.objectContaining({ users: 0, inbox_messages: 0 }) });

    // The other user is untouched.
    expect(await inbox(otherId)).toHaveLength(1);
  }, ERASING_MS);

  it('right after the event that starts a journey: the journey, started or starting meanwhile, is deleted too', async () => {
    // The user workflow starts a journey through a local activity: a start already on its way when the user
    // workflow goes, or one visibility has not listed yet, must still be found and deleted.
    const users = Array.from({ length: 6 }, () => uniqueUserId('erase-race'));
    await Promise.all(users.map(async (userId) => {
      expect((await track({ userId, event: 'Signed Up', messageId: `${userId}-0` })).statusCode).toBe(200);
      expect((await eraseThroughApi(api, userId, admin)).status).toBe('completed');
    }));
    const left = await Promise.all(users.map(async (userId) => {
      const workflowId = journeyWorkflowId('welcome', api.pseudonymize(userId), 1);
      return api.temporal.workflow.getHandle(workflowId).describe().then(
        (described) => `${workflowId} ${described.status.name}`,
        (err: unknown) => (err instanceof WorkflowNotFoundError ? undefined : `${workflowId} ${(err as Error).message}`),
      );
    }));
    expect(left.filter((entry) => entry !== undefined)).toEqual([]);
  }, ERASING_MS);

  it('needs the admin scope', async () => {
    const read = (await createAdminTokenRepository(api.pool).create('erasure read', ['read'])).token;
    const response = await api.http({ method: 'DELETE', url: '/v1/ops/users/someone', headers: { authorization: `Bearer ${read}` } });
    expect(response.statusCode).toBe(403);
  });
});

/** What an operator runs: the CLI's export, erase and unsuppress, against an API told not to wait for the erasure. */
describe('erasing through the CLI, with ERASURE_WAIT_MS=0 (the API answers 202 at once)', () => {
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    api = await startTestApi({ deps: { erasureWaitMs: 0 } });
    token = (await createAdminTokenRepository(api.pool).create('erasure cli test', ['admin'])).token;
  });

  afterAll(async () => {
    await api?.close();
  });

  const cli = (args: string[]) => runBeckonCli(api.url, token, args);
  const track = (userId: string, messageId: string) =>
    api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Signed Up', messageId } });
  const welcomed = (userId: string) =>
    eventually(
      async () => (await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox` })).json().messages as unknown[],
      (messages) => messages.length === 1,
    );

  it('exports the person, says the erasure is running and names its workflow, whose result is what was removed; unsuppress lifts it', async () => {
    const userId = uniqueUserId('erase-cli');
    const pseudonym = api.pseudonymize(userId);
    expect((await track(userId, `${userId}-1`)).statusCode).toBe(200);
    await welcomed(userId);

    const exported = await cli(['users', 'export', userId]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ userId, pseudonym, inbox: [expect.objectContaining({ title: 'Welcome aboard!' })] });

    const erasing = await cli(['users', 'erase', userId]);
    expect(erasing.code).toBe(0);
    expect(erasing.stdout).toContain(`erasure of ${userId} is still running as workflow ${erasureWorkflowId(pseudonym)}; it finishes on its own`);
    const result = (await api.temporal.workflow.getHandle(erasureWorkflowId(pseudonym)).result()) as ErasureResult;
    expect(result.removed).toMatchObject({ keys: 1, rows: expect.objectContaining({ users: 1, inbox_messages: 1 }) });
    expect(result.removed.workflows).toBeGreaterThanOrEqual(2);
    expect((await track(userId, `${userId}-2`)).json()).toMatchObject({ dropped: 'suppressed' });

    const lifted = await cli(['users', 'unsuppress', userId]);
    expect([lifted.code, lifted.stdout.trim()]).toEqual([0, `calls for ${userId} are taken again`]);
    // Taken again, as a new person: the welcome journey starts over.
    expect((await track(userId, `${userId}-3`)).json()).not.toHaveProperty('dropped');
    await welcomed(userId);
    const again = await cli(['users', 'unsuppress', userId]);
    expect([again.code, again.stderr]).toEqual([3, expect.stringContaining('is not suppressed')]);
  }, ERASING_MS);

  it('answers 202 with the erasure workflow ID; eraseThroughApi follows such an answer to the workflow result', async () => {
    const [userId, otherId] = [uniqueUserId('erase-202'), uniqueUserId('erase-202')];
    const admin = { authorization: `Bearer ${token}` };
    for (const id of [userId, otherId]) expect((await track(id, `${id}-1`)).statusCode).toBe(200);
    await Promise.all([welcomed(userId), welcomed(otherId)]);

    const workflowId = erasureWorkflowId(api.pseudonymize(userId));
    const answered = await api.http({ method: 'DELETE', url: `/v1/ops/users/${encodeURIComponent(userId)}`, headers: admin });
    expect([answered.statusCode, answered.json()]).toEqual([202, { userId, status: 'running', workflowId }]);
    const result = (await api.temporal.workflow.getHandle(workflowId).result()) as ErasureResult;
    expect(result.removed).toMatchObject({ keys: 1, visitors: 0, rows: expect.objectContaining({ users: 1, inbox_messages: 1 }) });

    const followed = await eraseThroughApi(api, otherId, admin);
    expect(followed).toMatchObject({ userId: otherId, status: 'completed', pseudonym: api.pseudonymize(otherId), removed: { keys: 1, visitors: 0 } });
    expect(followed.removed.rows).toMatchObject({ users: 1, inbox_messages: 1 });
  }, ERASING_MS);
});

describe('tracking consent required by policy', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ deps: { deliveryPolicy: async () => ({ frequencyCap: { perDay: 100, exemptCategories: [] }, duringQuietHours: 'defer', consent: { optIn: [] }, tracking: { requireConsent: true } }) } });
  });

  afterAll(async () => {
    await api?.close();
  });

  it("drops the events of a user who has not granted `tracking`: no workflow sees them; once granted, they flow", async () => {
    const userId = uniqueUserId('untracked');
    const pseudonym = api.pseudonymize(userId);
    const first = await api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Signed Up', messageId: `${userId}-1` } });
    expect(first.json()).toMatchObject({ success: true, dropped: 'untracked' });
    await expect(api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    // The duplicate check still holds it: the same messageId again is a duplicate, not an event.
    expect((await api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Signed Up', messageId: `${userId}-1` } })).json()).toMatchObject({ duplicate: true });

    const granted = await api.http({ method: 'PUT', url: `/v1/users/${encodeURIComponent(userId)}/consent`, payload: { consents: [{ channel: 'tracking', granted: true }] } });
    expect(granted.statusCode).toBe(200);
    const second = await api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Signed Up', messageId: `${userId}-2` } });
    expect(second.json()).toMatchObject({ success: true, duplicate: false });
    expect(second.json().dropped).toBeUndefined();
    await eventually(() => api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).describe(), (d) => d.status.name === 'RUNNING');
  });
});
