import { journeyQuery, journeyWorkflowId, type JourneyView } from '../../src/workflows/messages';
import { uniqueUserId } from '../support/env';
import { eventually, opsEnvPerFile, publishCampaign } from '../support/ops-env';

/**
 * Campaign lifecycle through the ops API, on the real dev server with journeys in flight:
 * pause holds users at their next message (also when a timer comes due meanwhile), resume lets each
 * through exactly once, and entries stop while paused.
 */
const env = opsEnvPerFile('ops-lifecycle');
const suffix = Date.now().toString(36);

function campaignYaml(id: string, entryEvent: string, wait: string): string {
  return `id: ${id}
name: Lifecycle test ${id}
category: test
entry: { event: ${entryEvent} }
reentry: { mode: once }
templates: { hello: { channel: in_app, title: "Hello {{ entry.n }}", body: Body } }
steps:
  - { id: pause-here, type: wait, duration: ${wait} }
  - { id: hello, type: message, template: hello }
`;
}

const track = (userId: string, event: string, properties: Record<string, unknown> = {}) =>
  env().http({ method: 'POST', url: '/v1/track', payload: { userId, event, properties }, headers: env().asSource });
const inbox = async (userId: string) => (await env().http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: env().asUser(userId) })).json().messages as unknown[];
const ops = (method: string, url: string, payload?: unknown) => env().http({ method, url: `/v1/ops${url}`, headers: env().as('operate'), payload });
const journeyView = (campaignId: string, userId: string) =>
  env().temporal.workflow.getHandle(journeyWorkflowId(campaignId, env().pseudonymize(userId), 1)).query(journeyQuery);
const settle = (campaignId: string, userId: string, done: (view: JourneyView) => boolean, timeoutMs?: number) =>
  eventually(() => journeyView(campaignId, userId).catch(() => undefined), (view) => view !== undefined && done(view), timeoutMs);

describe('validate and publish', () => {
  it('validate reports every problem without publishing; publish makes version 1, the same text again nothing, an edit version 2', async () => {
    const id = `lc-publish-${suffix}`;
    const bad = await ops('POST', '/campaigns/validate', { text: `id: ${id}\nname: x\nentry: { event: E }\ntemplates: {}\nsteps: [{ id: s, type: wait, duration: 4 hourz }]\n`, source: 'bad.yaml' });
    expect(bad.statusCode).toBe(200);
    expect(bad.json()).toEqual({ valid: false, problems: expect.arrayContaining([expect.objectContaining({ path: 'steps[0].duration', reason: expect.stringMatching(/not a duration/) })]) });
    expect((await ops('GET', `/campaigns/${id}`)).statusCode).toBe(404);

    const text = campaignYaml(id, 'Never Sent', '1h');
    expect((await ops('POST', '/campaigns/validate', { text })).json()).toEqual({ valid: true, campaign: { id, name: `Lifecycle test ${id}`, steps: 2 } });
    const first = await ops('POST', '/campaigns', { text, source: 'api-test' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ campaignId: id, version: 1, created: true, status: 'active' });
    expect((await ops('POST', '/campaigns', { text })).json()).toMatchObject({ version: 1, created: false });
    const second = await ops('POST', '/campaigns', { text: text.replace('duration: 1h', 'duration: 2h') });
    expect(second.json()).toMatchObject({ version: 2, created: true });
    const shown = (await ops('GET', `/campaigns/${id}`)).json();
    expect(shown).toMatchObject({ id, status: 'active', version: 2, journeys: { running: 0, waiting: 0, paused: 0 } });
    expect(shown.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const invalid = await ops('POST', '/campaigns', { text: 'id: Bad Id\n' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'text: id' })]));
  });
});

describe('pause and resume with journeys in flight', () => {
  it('holds every user across a timer that comes due while paused, lets nobody new in, and on resume sends each message once', async () => {
    const id = `lc-pause-${suffix}`;
    const entryEvent = `Lifecycle Pause ${suffix}`;
    await publishCampaign(env().pool, campaignYaml(id, entryEvent, '15 seconds'));
    const users = Array.from({ length: 5 }, (_, i) => uniqueUserId(`pause-${i}`));
    for (const [i, userId] of users.entries()) expect((await track(userId, entryEvent, { n: i })).statusCode).toBe(200);
    for (const userId of users) await settle(id, userId, (view) => view.step === 'pause-here' && view.status === 'waiting');

    const paused = await ops('POST', `/campaigns/${id}/pause`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ campaignId: id, outcome: 'changed', status: 'paused' });
    expect((await ops('POST', `/campaigns/${id}/pause`)).json()).toMatchObject({ outcome: 'unchanged', status: 'paused' });

    // A user who would enter now does not: the paused campaign is out of the catalog.
    const late = uniqueUserId('pause-late');
    await track(late, entryEvent);
    const lateState = await eventually(
      async () => (await env().http({ method: 'GET', url: `/v1/ops/users/${late}`, headers: env().as('read') })).json(),
      (body) => body.state?.totalEvents === 1 && body.pending === 0,
    );
    expect(lateState.state.entries[id]).toBeUndefined();

    // The 15-second timers come due while paused: each journey holds before its message, nothing is sent.
    for (const userId of users) await settle(id, userId, (view) => view.status === 'paused', 90_000);
    for (const userId of users) expect(await inbox(userId)).toEqual([]);
    const held = await eventually(async () => (await ops('GET', `/campaigns/${id}`)).json(), (body) => body.journeys.paused === users.length);
    expect(held.journeys).toEqual({ running: users.length, waiting: 0, paused: users.length });

    const resumed = await ops('POST', `/campaigns/${id}/resume`);
    expect(resumed.statusCode).toBe(202);
    expect(resumed.json()).toMatchObject({ campaignId: id, outcome: 'changed', status: 'active', jobId: expect.any(String) });
    for (const [i, userId] of users.entries()) {
      const view = await settle(id, userId, (v) => v.status === 'completed');
      expect(view!.path).toEqual(['pause-here', 'hello']);
      expect(await inbox(userId)).toEqual([expect.objectContaining({ campaignId: id, title: `Hello ${i}` })]);
    }
    const batch = await eventually(async () => (await ops('GET', `/batches/${resumed.json().jobId}`)).json(), (b) => b.state === 'completed');
    expect(batch).toMatchObject({ kind: 'signal', state: 'completed', failed: 0 });
  });

  it('answers 409 to an operation the status does not allow, and 404 to an unknown campaign', async () => {
    const id = `lc-conflict-${suffix}`;
    await publishCampaign(env().pool, campaignYaml(id, `Never ${suffix}`, '1h'));
    // Repeating an operation is harmless (scripts retry); one the status does not allow is refused.
    expect((await ops('POST', `/campaigns/${id}/resume`)).json()).toMatchObject({ outcome: 'unchanged', status: 'active' });
    await ops('POST', `/campaigns/${id}/archive`);
    const conflict = await ops('POST', `/campaigns/${id}/pause`);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toEqual({ error: 'conflict', message: `campaign "${id}" is archived; pause applies to active campaigns` });
    const missing = await ops('POST', '/campaigns/no-such-campaign/pause');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/beckon campaigns list/);
    const badId = await ops('POST', '/campaigns/Not%20An%20Id/pause');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().problems[0].path).toBe('params.campaignId');
  });

  it('archive takes a campaign out of the list and the catalog; resume brings it back', async () => {
    const id = `lc-archive-${suffix}`;
    await publishCampaign(env().pool, campaignYaml(id, `Never ${suffix}`, '1h'));
    expect((await ops('POST', `/campaigns/${id}/archive`)).json()).toMatchObject({ status: 'archived', outcome: 'changed' });
    const listed = (await env().http({ method: 'GET', url: '/v1/ops/campaigns', headers: env().as('read') })).json().campaigns.map((c: { id: string }) => c.id);
    expect(listed).not.toContain(id);
    const all = (await env().http({ method: 'GET', url: '/v1/ops/campaigns?archived=true', headers: env().as('read') })).json().campaigns;
    expect(all).toEqual(expect.arrayContaining([expect.objectContaining({ id, status: 'archived' })]));
    expect((await ops('POST', `/campaigns/${id}/pause`)).statusCode).toBe(409);
    expect((await ops('POST', `/campaigns/${id}/resume`)).json()).toMatchObject({ status: 'active' });
  });
});

describe('one user', () => {
  it('lists the user journeys with their search attributes and memo, shows the user state, and cancels one journey', async () => {
    const id = `lc-user-${suffix}`;
    const entryEvent = `Lifecycle User ${suffix}`;
    await publishCampaign(env().pool, campaignYaml(id, entryEvent, '1h'));
    const userId = uniqueUserId('ops-user');
    await track(userId, entryEvent);
    await settle(id, userId, (view) => view.status === 'waiting');
    const read = env().as('read');
    const journeys = await eventually(
      async () => (await env().http({ method: 'GET', url: `/v1/ops/users/${userId}/journeys`, headers: read })).json(),
      (body) => body.journeys?.[0]?.journeyStatus === 'waiting',
    );
    const pseudonym = env().pseudonymize(userId);
    expect(journeys).toEqual({
      userId,
      pseudonym,
      journeys: [expect.objectContaining({ workflowId: `journey:${id}:${pseudonym}:1`, campaignId: id, campaignVersion: 1, campaignName: `Lifecycle test ${id}`, step: 'pause-here', executionStatus: 'RUNNING' })],
    });
    const state = (await env().http({ method: 'GET', url: `/v1/ops/users/${userId}`, headers: read })).json();
    expect(state).toMatchObject({ userId, pseudonym, state: { entries: { [id]: 1 }, running: { [id]: [expect.objectContaining({ entry: 1 })] } } });
    expect((await env().http({ method: 'GET', url: `/v1/ops/users/${userId}/journeys/${id}/1`, headers: read })).json()).toMatchObject({ step: 'pause-here', status: 'waiting' });

    const cancelled = await ops('POST', `/users/${userId}/journeys/${id}/1/cancel`, { reason: 'test' });
    expect(cancelled.statusCode).toBe(202);
    const handle = env().temporal.workflow.getHandle(`journey:${id}:${pseudonym}:1`);
    await eventually(async () => (await handle.describe()).status.name, (status) => status === 'CANCELLED');
    // The journey told its user workflow, which frees the campaign.
    await eventually(async () => (await env().http({ method: 'GET', url: `/v1/ops/users/${userId}`, headers: read })).json(), (body) => body.state.running[id] === undefined);
    const again = await ops('POST', `/users/${userId}/journeys/${id}/1/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/cancelled, not running/);
    expect((await ops('POST', `/users/${userId}/journeys/${id}/9/cancel`)).statusCode).toBe(404);
    expect((await env().http({ method: 'GET', url: `/v1/ops/users/${uniqueUserId('nobody')}`, headers: read })).statusCode).toBe(404);
  });
});
