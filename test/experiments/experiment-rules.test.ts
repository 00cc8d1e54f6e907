import { createDeliveryPolicyRepository } from '../../src/db/delivery-policy-repository';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import type { DeliveryPolicy } from '../../src/domain/campaign/campaign-schema';
import { assignExperiment, GLOBAL_CONTROL_ARM, inGlobalControl } from '../../src/domain/experiments/experiment-assignment';
import { stableBucket } from '../../src/domain/split';
import { parseCampaignText } from '../../src/ops/campaign-files';
import type { CampaignStats } from '../../src/ops/campaign-stats-ops';
import { createExperimentOutcomeOps } from '../../src/ops/experiment-outcome-ops';
import { journeyWorkflowId } from '../../src/workflows/messages';
import { beckonVariant } from '../../src/workflows/search-attributes';
import { runBeckonCli } from '../support/beckon-cli';
import { eventually, opsEnvPerFile, publishCampaign, trackInBatches } from '../support/ops-env';

/**
 * The experiment rules beyond one campaign's arms, with real journeys through the API and a worker:
 * the policy's global control group (sent nothing by covered campaigns, transactional ones exempt,
 * measured as the programme's uplift), the auto winner rule (decided by the periodic loop's function,
 * recorded, and followed by later entrants), first-touch attribution, and engaged time per session.
 */
const env = opsEnvPerFile('experiment-rules');
const suffix = Date.now().toString(36);
const HOUR = 3_600_000;

const track = async (users: string[], event: string, tag = event): Promise<void> => {
  await trackInBatches(env(), users, event, tag);
};

const count = async (sql: string, params: unknown[]) => Number((await env().pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const ended = (campaignId: string) => count('SELECT count(*) AS n FROM experiment_entries WHERE campaign_id = $1 AND end_status IS NOT NULL', [campaignId]);
const stats = async (campaignId: string, query = '') => {
  const response = await env().http({ method: 'GET', url: `/v1/ops/campaigns/${campaignId}/stats${query}`, headers: env().as('read') });
  expect(response.statusCode).toBe(200);
  return response.json() as CampaignStats;
};

const cli = (args: string[]) => runBeckonCli(env().url, env().tokens.read, args);

describe('global control group, first touch and engaged time', () => {
  const category = `gc-${suffix}`;
  const offerId = `gc-offer-${suffix}`;
  const receiptId = `gc-receipt-${suffix}`;
  const entry = `GC Viewed ${suffix}`;
  const goal = `GC Bought ${suffix}`;
  const globalControl = { percent: 40, categories: [category], salt: `gc-${suffix}` };
  let before: DeliveryPolicy | undefined;

  beforeAll(async () => {
    // The policy is shared with the other test files: only this file's category is covered, and the rest of it is kept.
    const policies = createDeliveryPolicyRepository(env().pool);
    before = await policies.load();
    await policies.save({ ...(before ?? { frequencyCap: { perDay: 100, exemptCategories: ['transactional'] }, duringQuietHours: 'defer', consent: { optIn: [] }, tracking: { requireConsent: false } }), globalControl });
  });
  afterAll(async () => {
    await createDeliveryPolicyRepository(env().pool).save(before);
  });

  it('holds the group out of covered campaigns only, credits first touch, and reports the programme uplift and engaged time', async () => {
    await publishCampaign(env().pool, `
id: ${offerId}
name: Global control offer
category: ${category}
entry: { event: ${entry} }
goal: { event: ${goal}, within: 1 day, exit: false, attribution: first_touch }
templates:
  first: { channel: in_app, title: "First", body: "one" }
  second: { channel: in_app, title: "Second", body: "two" }
steps:
  - { id: first, type: message, template: first }
  - { id: second, type: message, template: second }
`);
    await publishCampaign(env().pool, `
id: ${receiptId}
name: Global control receipt
category: transactional
entry: { event: ${entry} }
templates:
  receipt: { channel: in_app, title: "Receipt", body: "r" }
steps:
  - { id: receipt, type: message, template: receipt }
`);
    const users = Array.from({ length: 40 }, (_, i) => `gc-${suffix}-${i}`);
    const pseudonyms = new Map(users.map((u) => [u, env().pseudonymize(u)]));
    const inGroup = users.filter((u) => inGlobalControl(globalControl, pseudonyms.get(u)!));
    const treated = users.filter((u) => !inGroup.includes(u));
    expect(inGroup.length).toBeGreaterThan(6);

    await track(users, entry);
    await eventually(() => ended(offerId), (n) => n === users.length, 600_000);
    await eventually(() => ended(receiptId), (n) => n === users.length, 600_000);

    // The group is recorded as entered, held out, in its own arm; it got nothing from the covered campaign, and its receipts.
    const arms = await env().pool.query<{ pseudonym: string; variant: string; held_out: boolean }>(
      'SELECT pseudonym, variant, held_out FROM experiment_entries WHERE campaign_id = $1', [offerId]);
    const groupPseudonyms = new Set(inGroup.map((u) => pseudonyms.get(u)!));
    for (const row of arms.rows) {
      expect({ variant: row.variant, heldOut: row.held_out }).toEqual(groupPseudonyms.has(row.pseudonym) ? { variant: GLOBAL_CONTROL_ARM, heldOut: true } : { variant: 'all', heldOut: false });
    }
    const sentTo = async (campaignId: string) => new Set((await env().pool.query<{ pseudonym: string }>(
      `SELECT DISTINCT pseudonym FROM deliveries WHERE campaign_id = $1 AND status = 'sent'`, [campaignId])).rows.map((r) => r.pseudonym));
    expect([...(await sentTo(offerId))].sort()).toEqual(treated.map((u) => pseudonyms.get(u)!).sort());
    expect((await sentTo(receiptId)).size).toBe(users.length);
    // The journey shows the arm, so the Web UI can list the group's journeys.
    const shown = await env().temporal.workflow.getHandle(journeyWorkflowId(offerId, pseudonyms.get(inGroup[0]!)!, 1)).describe();
    expect(shown.typedSearchAttributes.get(beckonVariant)).toBe(GLOBAL_CONTROL_ARM);

    // Converters: a third of the group, two thirds of the treated; first touch credits the first message.
    const converters = [...inGroup.filter((u) => stableBucket(['c', u]) < 33), ...treated.filter((u) => stableBucket(['c', u]) < 66)];
    // Three treated users who do not convert are the engaged-time probes: their events are written below at known times.
    const probes = treated.filter((u) => !converters.includes(u)).slice(0, 3);
    expect(probes).toHaveLength(3);
    await track(converters, goal);
    await eventually(() => count('SELECT count(*) AS n FROM conversions WHERE campaign_id = $1', [offerId]), (n) => n === converters.length, 600_000);
    const credit = await env().pool.query<{ variant: string; last_step_id: string | null; attribution: string }>(
      'SELECT variant, last_step_id, attribution FROM conversions WHERE campaign_id = $1', [offerId]);
    for (const row of credit.rows) {
      expect(row.attribution).toBe('first_touch');
      expect(row.last_step_id).toBe(row.variant === GLOBAL_CONTROL_ARM ? null : 'first');
    }

    const answer = await stats(offerId, '?groupBy=step');
    const convertedIn = (list: string[]) => list.filter((u) => converters.includes(u)).length;
    expect(answer.programme?.control).toBe(GLOBAL_CONTROL_ARM);
    expect(answer.programme?.arms.map((a) => [a.variant, a.entered, a.converted])).toEqual([
      [GLOBAL_CONTROL_ARM, inGroup.length, convertedIn(inGroup)],
      ['treated', treated.length, convertedIn(treated)],
    ]);
    const vs = answer.programme!.arms[1]!.vsControl!;
    expect(vs.absoluteUplift).toBeCloseTo(convertedIn(treated) / treated.length - convertedIn(inGroup) / inGroup.length, 12);
    // First touch: every credited conversion is on the first step.
    expect(answer.groups.find((g) => g.key === 'first')?.funnel.converted).toBe(convertedIn(treated));
    expect(answer.groups.find((g) => g.key === 'second')?.funnel.converted).toBe(0);
    expect((await stats(receiptId)).programme).toBeNull();

    // Engaged time: each probe's events after its first message, at known offsets (minutes), written as ingestion writes them.
    const offsets: Record<number, number[]> = { 0: [1, 10, 35, 100], 1: [2, 12], 2: [25 * 60] };
    const expectedSeconds: Record<number, number | null> = { 0: 34 * 60, 1: 10 * 60, 2: null };
    const source = await env().pool.query<{ id: string }>('SELECT id FROM sources ORDER BY created_at DESC LIMIT 1');
    const probeKeys: string[] = [];
    for (const [i, userId] of probes.entries()) {
      const pseudonym = pseudonyms.get(userId)!;
      // After the second (last) message: the first message's session is made of the same events.
      const sent = await env().pool.query<{ delivery_key: string; sent_at: Date }>(
        `SELECT delivery_key, sent_at FROM message_sessions WHERE pseudonym = $1 AND campaign_id = $2 ORDER BY sent_at DESC LIMIT 1`, [pseudonym, offerId]);
      const at = sent.rows[0]!.sent_at.getTime();
      probeKeys.push(sent.rows[0]!.delivery_key);
      for (const [n, minutes] of offsets[i]!.entries()) {
        await env().pool.query('INSERT INTO ingested_messages (source_id, message_id, pseudonym, received_at, accepted_at) VALUES ($1, $2, $3, $4, $4)',
          [source.rows[0]!.id, `probe-${suffix}-${i}-${n}`, pseudonym, new Date(at + minutes * 60_000)]);
      }
    }
    // The periodic loop's work, run at chosen times: 3 hours on, two probes' sessions are over; the third has none yet.
    // (Settling is global: sessions of other files' messages settle too, as they would in a loop that runs late.)
    await createExperimentOutcomeOps({ pool: env().pool, now: () => Date.now() + 3 * HOUR }).settleSessions();
    const session = async (key: string) => (await env().pool.query<{ engaged_seconds: number | null; settled_at: Date | null }>(
      'SELECT engaged_seconds, settled_at FROM message_sessions WHERE delivery_key = $1', [key])).rows[0]!;
    expect(await session(probeKeys[0]!)).toMatchObject({ engaged_seconds: expectedSeconds[0], settled_at: expect.any(Date) });
    expect(await session(probeKeys[1]!)).toMatchObject({ engaged_seconds: expectedSeconds[1], settled_at: expect.any(Date) });
    expect(await session(probeKeys[2]!)).toMatchObject({ engaged_seconds: null, settled_at: null });
    // Two days on, the third is settled without a session: its first event came more than 24 hours after the message.
    await createExperimentOutcomeOps({ pool: env().pool, now: () => Date.now() + 49 * HOUR }).settleSessions();
    expect(await session(probeKeys[2]!)).toMatchObject({ engaged_seconds: null, settled_at: expect.any(Date) });

    // The stats: per step, the settled sessions' median and p90, within the roll-up's bucket width of the exact values.
    const byStep = await stats(offerId, `?groupBy=step&to=${new Date(Date.now() + 49 * HOUR).toISOString().slice(0, 10)}`);
    for (const step of ['first', 'second']) {
      const exact = (await env().pool.query<{ s: number }>(
        `SELECT engaged_seconds AS s FROM message_sessions WHERE campaign_id = $1 AND step_id = $2 AND engaged_seconds IS NOT NULL ORDER BY 1`, [offerId, step])).rows.map((r) => r.s);
      const funnel = byStep.groups.find((g) => g.key === step)!.funnel;
      expect(funnel.engagedTime.count).toBe(exact.length);
      const quantile = (q: number) => exact[Math.min(exact.length - 1, Math.ceil(q * exact.length) - 1)]!;
      for (const [q, shown] of [[0.5, funnel.engagedTime.medianSeconds], [0.9, funnel.engagedTime.p90Seconds]] as const) {
        expect(Math.abs(shown! - quantile(q))).toBeLessThanOrEqual(0.2 * quantile(q) + 0.2);
      }
    }
    expect(byStep.groups.find((g) => g.key === 'first')!.funnel.engagedTime.count).toBeGreaterThanOrEqual(2);

    const human = await cli(['campaigns', 'stats', offerId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/engaged time per session after a message: median /);
    expect(human.stdout).toContain('programme: treated entrants against the global control group');
    expect(human.stdout).toMatch(new RegExp(`^${GLOBAL_CONTROL_ARM}\\s+${inGroup.length}\\s+${convertedIn(inGroup)}\\s`, 'm'));
  }, 1_800_000);
});

describe('the auto winner rule', () => {
  const campaignId = `auto-winner-${suffix}`;
  const entry = `AW Viewed ${suffix}`;
  const goal = `AW Bought ${suffix}`;
  const definition = `
id: ${campaignId}
name: Auto winner
entry: { event: ${entry} }
reentry: { mode: every_time }
goal: { event: ${goal}, within: 1 day, exit: false }
winner: { metric: conversion_rate, minSamples: 30, auto: true }
templates:
  a: { channel: in_app, title: "Offer A", body: "a" }
  b: { channel: in_app, title: "Offer B", body: "b" }
steps:
  - id: offer
    type: message
    variants:
      - { name: a, percent: 50, template: a }
      - { name: b, percent: 50, template: b }
`;

  it('decides once the rule is met and significant, records why with the figures, and sends later entrants down the winner', async () => {
    await publishCampaign(env().pool, definition);
    const campaign = compileCampaign(parseCampaignText(definition, 'test'), 1);
    const outcomes = createExperimentOutcomeOps({ pool: env().pool });
    const users = Array.from({ length: 100 }, (_, i) => `aw-${suffix}-${i}`);
    const arm = new Map(users.map((u) => [u, assignExperiment(campaign, env().pseudonymize(u)).variant]));
    expect(users.filter((u) => arm.get(u) === 'a').length).toBeGreaterThanOrEqual(30);
    expect(users.filter((u) => arm.get(u) === 'b').length).toBeGreaterThanOrEqual(30);

    await track(users, entry, `${entry}-1`);
    await eventually(() => ended(campaignId), (n) => n === users.length, 600_000);
    // Every arm has its 30 entrants, but nobody converted: nothing significant, nothing decided.
    expect(await outcomes.decideWinners()).toEqual([]);
    const waiting = (await stats(campaignId)).experiment!.winner!;
    expect(waiting).toMatchObject({ ready: true, winner: null, decision: null });

    // b converts at 80%, a not at all: significant by the anytime-valid test even at this size.
    const converters = users.filter((u) => arm.get(u) === 'b' && stableBucket(['aw', u]) < 80);
    await track(converters, goal);
    await eventually(() => count('SELECT count(*) AS n FROM conversions WHERE campaign_id = $1', [campaignId]), (n) => n === converters.length, 600_000);
    const decided = await outcomes.decideWinners();
    expect(decided).toEqual([{ campaignId, version: 1, variant: 'b', reason: expect.stringMatching(/^b converts at .* better than the control/) }]);
    // Once: another round (another replica) decides nothing new.
    expect(await outcomes.decideWinners()).toEqual([]);

    const shown = (await stats(campaignId)).experiment!;
    const decision = shown.winner!.decision!;
    expect(decision).toMatchObject({ variant: 'b', reason: decided[0]!.reason });
    expect(Date.parse(decision.decidedAt)).toBeGreaterThan(Date.now() - HOUR);
    expect(decision.figures.control).toBe('a');
    expect(decision.figures.arms.map((a) => [a.variant, a.entered, a.converted])).toEqual(
      ['a', 'b'].map((v) => [v, users.filter((u) => arm.get(u) === v).length, converters.filter((u) => arm.get(u) === v).length]));
    expect(decision.figures.arms[1]!.verdict).toBe('better');

    // Later entrants: new users, and first-wave users of arm a entering again (their workflows reload the catalog), all get b.
    const newcomers = Array.from({ length: 15 }, (_, i) => `aw-${suffix}-late-${i}`);
    expect(newcomers.filter((u) => assignExperiment(campaign, env().pseudonymize(u)).variant === 'a').length).toBeGreaterThan(0);
    const returning = users.filter((u) => arm.get(u) === 'a').slice(0, 6);
    await track([...newcomers, ...returning], entry, `${entry}-2`);
    await eventually(() => ended(campaignId), (n) => n === users.length + newcomers.length + returning.length, 600_000);
    const later = await env().pool.query<{ variant: string; n: string }>(
      `SELECT variant, count(*) AS n FROM experiment_entries WHERE campaign_id = $1 AND (entry > 1 OR pseudonym = ANY($2::text[])) GROUP BY 1`,
      [campaignId, newcomers.map((u) => env().pseudonymize(u))]);
    expect(later.rows.map((r) => [r.variant, Number(r.n)])).toEqual([['b', newcomers.length + returning.length]]);
    const inbox = (await env().http({ method: 'GET', url: `/v1/users/${returning[0]}/inbox`, headers: env().asUser(returning[0]!) })).json();
    expect(inbox.messages.map((m: { title: string }) => m.title).sort()).toEqual(['Offer A', 'Offer B']);
    const journey = await env().temporal.workflow.getHandle(journeyWorkflowId(campaignId, env().pseudonymize(returning[0]!), 2)).describe();
    expect(journey.typedSearchAttributes.get(beckonVariant)).toBe('b');

    const human = await cli(['campaigns', 'stats', campaignId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^winner: b, decided \S+ \(b converts at .*\); later entrants get it$/m);
  }, 1_800_000);
});
