import { createDeliveryPolicyRepository } from '../../src/db/delivery-policy-repository';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import type { DeliveryPolicy } from '../../src/domain/campaign/campaign-schema';
import { assignExperiment, GLOBAL_CONTROL_ARM, inGlobalControl } from '../../src/domain/experiments/experiment-assignment';
import { stableBucket } from '../../src/domain/split';
import { parseCampaignText } from '../../src/ops/campaign-files';
import type { CampaignStats, ProgrammeStats } from '../../src/ops/campaign-stats-ops';
import { createExperimentOutcomeOps } from '../../src/ops/experiment-outcome-ops';
import { journeyWorkflowId } from '../../src/workflows/messages';
import { beckonVariant } from '../../src/workflows/search-attributes';
import { runBeckonCli } from '../support/beckon-cli';
import { launchBrowser, logInToConsole, resolveFigurePath, shownFigures, type PageElement } from '../support/browser';
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

type Uplift = NonNullable<CampaignStats['programme']>;

/** The range the programme's figures are read for in this file: the last 30 days up to today (UTC), as the API's default. */
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const programmeRange = `from=${utcDay(Date.now() - 29 * 86_400_000)}&to=${utcDay(Date.now())}`;

/**
 * The whole programme (API, CLI and console): each covered campaign's group and treated entrants exactly, none for the
 * uncovered one, and the pooled figures the sum of the listed campaigns' (the database is shared: earlier runs' campaigns
 * may be listed too), with the uplift recomputed here from the counts.
 */
async function expectProgrammeStats(expected: { category: string; covered: string[]; notCovered: string[]; inGroup: string[]; treated: string[]; converters: string[] }): Promise<void> {
  const response = await env().http({ method: 'GET', url: `/v1/ops/programme/stats?${programmeRange}`, headers: env().as('read') });
  expect(response.statusCode).toBe(200);
  const answer = response.json() as ProgrammeStats;
  expect(answer.globalControl).toEqual({ percent: 40, categories: [expected.category] });
  const listed = answer.campaigns.map((c) => c.id);
  expect(listed).toEqual(expect.arrayContaining(expected.covered));
  for (const id of expected.notCovered) expect(listed).not.toContain(id);
  const convertedIn = (list: string[]) => list.filter((u) => expected.converters.includes(u)).length;
  const counts = (uplift: Uplift) => uplift.arms.map((a) => [a.variant, a.entered, a.converted]);
  for (const id of expected.covered) {
    expect(counts(answer.campaigns.find((c) => c.id === id)!.programme)).toEqual([
      [GLOBAL_CONTROL_ARM, expected.inGroup.length, convertedIn(expected.inGroup)],
      ['treated', expected.treated.length, convertedIn(expected.treated)],
    ]);
  }
  const sum = (arm: number, field: 'entered' | 'converted') => answer.campaigns.reduce((n, c) => n + c.programme.arms[arm]![field], 0);
  expect(counts(answer.programme!)).toEqual([[GLOBAL_CONTROL_ARM, sum(0, 'entered'), sum(0, 'converted')], ['treated', sum(1, 'entered'), sum(1, 'converted')]]);
  expect(answer.programme!.arms[1]!.vsControl!.absoluteUplift).toBeCloseTo(sum(1, 'converted') / sum(1, 'entered') - sum(0, 'converted') / sum(0, 'entered'), 12);

  const human = await cli(['programme', 'stats']);
  expect(human.code).toBe(0);
  expect(human.stdout).toContain(`global control group 40% of users, covering ${expected.category}`);
  expect(human.stdout).toContain(`all ${answer.campaigns.length} covered campaigns, pooled per entry`);
  expect(human.stdout).toMatch(new RegExp(`^treated\\s+${sum(1, 'entered')}\\s+${sum(1, 'converted')}\\s`, 'm'));
  for (const id of expected.covered) expect(human.stdout).toContain(`${id} (Global control`);
  const json = await cli(['--json', 'programme', 'stats']);
  expect(JSON.parse(json.stdout)).toEqual(answer);

  // The console's campaign list ends with the same figures, each read back from the page.
  const { page, close } = await launchBrowser();
  try {
    await logInToConsole(page, `${env().url}/console#/campaigns?${programmeRange}`, env().tokens.read, '#programme-campaigns-table');
    const shown = await shownFigures(page, '#programme-overview');
    expect(shown.length).toBeGreaterThanOrEqual(answer.campaigns.length * 5);
    for (const figure of shown) {
      expect(figure.stats).toBe(`/v1/ops/programme/stats?${programmeRange}`);
      expect({ path: figure.path, value: figure.value }).toEqual({ path: figure.path, value: resolveFigurePath(answer, figure.path) });
    }
    const rows = await page.$$eval('#programme-campaigns-table tbody tr', (trs) => (trs as unknown as PageElement[]).map((tr) => tr.dataset.campaign));
    expect(rows).toEqual(listed);
  } finally {
    await close();
  }
}

describe('global control group, first touch and engaged time', () => {
  const category = `gc-${suffix}`;
  const offerId = `gc-offer-${suffix}`;
  const receiptId = `gc-receipt-${suffix}`;
  const nudgeId = `gc-nudge-${suffix}`;
  const entry = `GC Viewed ${suffix}`;
  const goal = `GC Bought ${suffix}`;
  const globalControl = { percent: 40, categories: [category], salt: `gc-${suffix}` };
  let before: DeliveryPolicy | undefined;

  beforeAll(async () => {
    // The policy is shared with the other test files: only this file's category is covered, and the rest of it is kept.
    const policies = createDeliveryPolicyRepository(env().pool);
    before = await policies.load();
    const base = before ?? { frequencyCap: { perDay: 100, exemptCategories: ['transactional'] }, duringQuietHours: 'defer', consent: { optIn: [] }, tracking: { requireConsent: false } };
    // Each treated user gets three messages of this category (the offer's two, the nudge): the category is exempt from
    // the daily cap, which the seed policy.yaml that other files publish sets to 2 (the offer's second step was capped).
    const frequencyCap = { ...base.frequencyCap, exemptCategories: [...base.frequencyCap.exemptCategories, category] };
    await policies.save({ ...base, frequencyCap, globalControl });
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
    // A second covered campaign, so the programme's figures pool two.
    await publishCampaign(env().pool, `
id: ${nudgeId}
name: Global control nudge
category: ${category}
entry: { event: ${entry} }
goal: { event: ${goal}, within: 1 day, exit: false }
templates:
  nudge: { channel: in_app, title: "Nudge", body: "n" }
steps:
  - { id: nudge, type: message, template: nudge }
`);
    const users = Array.from({ length: 40 }, (_, i) => `gc-${suffix}-${i}`);
    const pseudonyms = new Map(users.map((u) => [u, env().pseudonymize(u)]));
    const inGroup = users.filter((u) => inGlobalControl(globalControl, pseudonyms.get(u)!));
    const treated = users.filter((u) => !inGroup.includes(u));
    expect(inGroup.length).toBeGreaterThan(6);

    await track(users, entry);
    await eventually(() => ended(offerId), (n) => n === users.length, 600_000);
    await eventually(() => ended(receiptId), (n) => n === users.length, 600_000);
    await eventually(() => ended(nudgeId), (n) => n === users.length, 600_000);

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
    await eventually(() => count('SELECT count(*) AS n FROM conversions WHERE campaign_id = $1', [nudgeId]), (n) => n === converters.length, 600_000);
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
    await expectProgrammeStats({ category, covered: [offerId, nudgeId], notCovered: [receiptId], inGroup, treated, converters });

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
      expect({ step, settled: exact.length > 0 }).toEqual({ step, settled: true });
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

describe('the programme stats API', () => {
  it('answers 400 naming the parameter, 401 without a token, and is in the OpenAPI document', async () => {
    const get = (query: string) => env().http({ method: 'GET', url: `/v1/ops/programme/stats?${query}`, headers: env().as('read') });
    const cases: [string, string, RegExp][] = [
      ['from=2026-03-02&to=2026-03-01', 'query.from', /is after to/],
      ['from=2024-01-01&to=2026-01-01', 'query.from', /at most 366 \(a year\)/],
      ['to=soon', 'query.to', /must be a date/],
      ['groupBy=day', 'query', /groupBy/],
    ];
    for (const [query, path, reason] of cases) {
      const response = await get(query);
      expect(response.statusCode).toBe(400);
      expect(response.json().problems).toEqual(expect.arrayContaining([{ path, reason: expect.stringMatching(reason) }]));
    }
    expect((await env().http({ method: 'GET', url: '/v1/ops/programme/stats' })).statusCode).toBe(401);
    // A range before any entry: nothing to compare, said as null and an empty list.
    const empty = await get('from=2001-01-01&to=2001-01-31');
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ range: { from: '2001-01-01', to: '2001-01-31' }, programme: null, campaigns: [] });
    const doc = (await env().http({ method: 'GET', url: '/docs/json' })).json();
    const route = doc.paths['/v1/ops/programme/stats'].get;
    expect(route.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['from', 'to']);
    expect(Object.keys(route.responses['200'].content['application/json'].schema.properties).sort()).toEqual(['campaigns', 'globalControl', 'programme', 'range']);
  });
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
