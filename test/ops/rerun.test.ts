import { uniqueUserId } from '../support/env';
import { eventually, opsEnvPerFile, publishCampaign } from '../support/ops-env';

const env = opsEnvPerFile('ops-rerun');

/** Re-running a once-only campaign for chosen users: by list or by visibility query, with a dry run that changes nothing. */
describe('re-run a campaign for a set of users', () => {
  it('dry run lists who would be affected; the re-run sends each chosen user the campaign once more, and nobody else', async () => {
    const id = `rerun-${Date.now().toString(36)}`;
    const event = `Rerun Entered ${id}`;
    await publishCampaign(env().pool, `id: ${id}\nname: Rerun test\nentry: { event: ${event} }\nreentry: { mode: once }\ntemplates: { t: { channel: in_app, title: "Hi", body: B } }\nsteps: [{ id: t, type: message, template: t }]\n`);
    const [a, b, c] = [uniqueUserId('rerun-a'), uniqueUserId('rerun-b'), uniqueUserId('rerun-c')];
    const inbox = async (userId: string) => (await env().http({ method: 'GET', url: `/v1/users/${userId}/inbox`, headers: env().asUser(userId) })).json().messages.filter((m: { campaignId: string }) => m.campaignId === id).length;
    for (const user of [a, b, c]) await env().http({ method: 'POST', url: '/v1/track', payload: { userId: user, event }, headers: env().asSource });
    for (const user of [a, b, c]) await eventually(() => inbox(user), (n) => n === 1);
    // The campaign is once-only: the same event again enters nobody.
    await env().http({ method: 'POST', url: '/v1/track', payload: { userId: a, event }, headers: env().asSource });

    const ops = env().as('operate');
    const stranger = uniqueUserId('never-seen');
    const dry = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { userIds: [a, b, stranger], dryRun: true } });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ campaignId: id, dryRun: true, count: 2, notFound: [stranger] });
    expect(dry.json().users.map((u: { userId: string }) => u.userId).sort()).toEqual([a, b].sort());
    expect(dry.json().jobId).toBeUndefined();

    const run = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { userIds: [a, b] } });
    expect(run.statusCode).toBe(202);
    await eventually(async () => (await env().http({ method: 'GET', url: `/v1/ops/batches/${run.json().jobId}`, headers: ops })).json(), (batch) => batch.state === 'completed');
    await eventually(async () => [await inbox(a), await inbox(b)], ([na, nb]) => na === 2 && nb === 2);
    const state = (await env().http({ method: 'GET', url: `/v1/ops/users/${a}`, headers: ops })).json();
    expect(state.state.entries[id]).toBe(2);

    const byQuery = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { query: `BeckonUser = '${env().pseudonymize(c)}'` } });
    expect(byQuery.json()).toMatchObject({ count: 1, users: [{ userId: c }] });
    await eventually(() => inbox(c), (n) => n === 2);
    expect([await inbox(a), await inbox(b)]).toEqual([2, 2]);
  });

  it('answers 400 to a body with neither or both targets and to a query Temporal refuses, 409 to a paused campaign', async () => {
    const ops = env().as('operate');
    const id = `rerun-bad-${Date.now().toString(36)}`;
    await publishCampaign(env().pool, `id: ${id}\nname: Rerun bad\nentry: { event: Never ${id} }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps: [{ id: t, type: message, template: t }]\n`);
    const neither = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { dryRun: true } });
    expect(neither.statusCode).toBe(400);
    expect(neither.json().problems).toEqual([{ path: 'userIds', reason: 'give either userIds or query, not both' }]);
    const badQuery = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { query: 'NoSuchAttribute = 1', dryRun: true } });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().problems[0].path).toBe('query');
    const escaping = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { query: "BeckonUser = 'a') OR (WorkflowType = 'journeyWorkflow'", dryRun: true } });
    expect(escaping.statusCode).toBe(400);
    expect(escaping.json().problems).toEqual([{ path: 'query', reason: "the query's parentheses or quotes do not balance" }]);
    await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/pause`, headers: ops });
    const paused = await env().http({ method: 'POST', url: `/v1/ops/campaigns/${id}/rerun`, headers: ops, payload: { userIds: ['x'] } });
    expect(paused.statusCode).toBe(409);
    expect(paused.json().message).toMatch(/is paused; rerun applies to active campaigns/);
  });
});
