import { createEngagementRepository } from '../../src/db/engagement-repository';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { engagementEvent, parseDeliveryKey } from '../../src/domain/engagement';
import { assignExperiment } from '../../src/domain/experiments/experiment-assignment';
import { stableBucket } from '../../src/domain/split';
import type { CampaignStats } from '../../src/ops/campaign-stats-ops';
import { runBeckonCli } from '../support/beckon-cli';
import { eventually, opsEnvPerFile, publishCampaign, trackInBatches } from '../support/ops-env';

/**
 * The experiment end to end: 2,000 users through the real API and a real worker into a campaign
 * with a 20% holdout and two offer variants; the simulated users convert at rates this test sets,
 * and the stats API and the CLI must report the counts and the significance this test computes itself.
 */
const env = opsEnvPerFile('experiment-stats');
const suffix = Date.now().toString(36);
const campaignId = `exp-${suffix}`;
/** 2,000 in CI; BECKON_EXPERIMENT_USERS lowers it on a machine too loaded to run that many in the test's time. */
const USERS = Number(process.env.BECKON_EXPERIMENT_USERS ?? 2000);
/** The rate each arm's users convert at (a draw per user from a stable hash, so a rerun draws the same). */
const RATES: Record<string, number> = { holdout: 0.1, ten: 0.12, twenty: 0.15 };

const definition = `
id: ${campaignId}
name: Experiment stats test
entry: { event: Exp Viewed ${suffix} }
holdout: 20
goal: { event: Exp Bought ${suffix}, within: 1 day, exit: false }
templates:
  ten: { channel: in_app, title: "10% off", body: "ten" }
  twenty: { channel: in_app, title: "20% off", body: "twenty" }
steps:
  - id: offer
    type: message
    variants:
      - { name: ten, percent: 50, template: ten }
      - { name: twenty, percent: 50, template: twenty }
`;

const userIds = Array.from({ length: USERS }, (_, i) => `exp-${suffix}-${i}`);

async function sendInBatches(event: string, users: string[]): Promise<void> {
  for (const { sent, body } of await trackInBatches(env(), users, event)) expect(body.accepted + body.duplicates).toBe(sent);
}

const count = async (sql: string) => Number((await env().pool.query<{ n: string }>(sql, [campaignId])).rows[0]!.n);

/** The two-sided z-test p-value, written here apart from src/ (Abramowitz and Stegun 26.2.17 for the normal tail, |error| < 7.5e-8). */
function independentZTest(x1: number, n1: number, x0: number, n0: number): number {
  const pooled = (x1 + x0) / (n1 + n0);
  const z = Math.abs((x1 / n1 - x0 / n0) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0)));
  const t = 1 / (1 + 0.2316419 * z);
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return 2 * (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
}

/** Whether the anytime-valid sequence (Waudby-Smith et al. 2021, normal mixture tuned at 10,000 units) excludes 0, written out here. */
function independentSequentialSignificant(x1: number, n1: number, x0: number, n0: number): boolean {
  const p1 = x1 / n1;
  const p0 = x0 / n0;
  const n = n1 + n0;
  const sigma2 = n * ((p1 * (1 - p1)) / n1 + (p0 * (1 - p0)) / n0);
  const rho2 = (2 * Math.log(20) + Math.log(2 * Math.log(20) + 1)) / 10_000;
  const half = Math.sqrt(sigma2 * ((2 * (n * rho2 + 1)) / (n * n * rho2)) * Math.log(Math.sqrt(n * rho2 + 1) / 0.05));
  return Math.abs(p1 - p0) > half;
}

const cli = (args: string[]) => runBeckonCli(env().url, env().tokens.read, args);

describe('experiment stats through the API and the CLI', () => {
  it(`counts ${USERS} users per arm, their conversions after the journey, and the significance`, async () => {
    const published = await publishCampaign(env().pool, definition);
    // The API stamps events with the catalog revision it caches for a second; wait it out so the first events see the campaign.
    await new Promise((r) => setTimeout(r, 1100));
    const campaign = compileCampaign(parseCampaignText(definition, 'test'), 1);
    const arms = new Map(userIds.map((userId) => [userId, assignExperiment(campaign, env().pseudonymize(userId)).variant]));

    await sendInBatches(`Exp Viewed ${suffix}`, userIds);
    // Every journey has ended (held-out ones send nothing) before anyone converts: the goal is watched past the journey.
    await eventually(() => count(`SELECT count(*) AS n FROM experiment_entries WHERE campaign_id = $1 AND end_status IS NOT NULL`), (n) => n === USERS, 3_000_000);

    const converters = userIds.filter((userId) => stableBucket(['convert', userId]) / 100 < RATES[arms.get(userId)!]!);
    await sendInBatches(`Exp Bought ${suffix}`, converters);
    await eventually(() => count(`SELECT count(*) AS n FROM conversions WHERE campaign_id = $1`), (n) => n === converters.length, 3_000_000);

    // Last-touch credit: a treated entry's conversion names its offer; a held-out one's names no message.
    const credit = await env().pool.query<{ variant: string; last_step_id: string | null; n: string }>(
      'SELECT variant, last_step_id, count(*) AS n FROM conversions WHERE campaign_id = $1 GROUP BY 1, 2', [campaignId]);
    for (const row of credit.rows) expect(row.last_step_id).toBe(row.variant === 'holdout' ? null : 'offer');

    const expected = Object.keys(RATES).map((arm) => {
      const members = userIds.filter((u) => arms.get(u) === arm);
      return { arm, entered: members.length, converted: members.filter((u) => converters.includes(u)).length };
    });

    // Opens of (up to) 100 treated users' messages, recorded as the open pixel records them.
    const sent = await env().pool.query<{ delivery_key: string; channel: string }>(
      `SELECT delivery_key, channel FROM deliveries WHERE campaign_id = $1 AND status = 'sent' ORDER BY delivery_key LIMIT 100`, [campaignId]);
    const engagement = createEngagementRepository(env().pool);
    for (const row of sent.rows) {
      const event = engagementEvent({ kind: 'opened', deliveryKey: row.delivery_key, channel: row.channel }, new Date())!;
      await engagement.record(parseDeliveryKey(row.delivery_key)!, row.delivery_key, row.channel, event);
      await engagement.record(parseDeliveryKey(row.delivery_key)!, row.delivery_key, row.channel, event);
    }

    const response = await env().http({ method: 'GET', url: `/v1/ops/campaigns/${campaignId}/stats?groupBy=variant`, headers: env().as('read') });
    expect(response.statusCode).toBe(200);
    const stats = response.json() as CampaignStats;
    const treated = expected.filter((e) => e.arm !== 'holdout').reduce((n, e) => n + e.entered, 0);
    expect(stats.funnel).toMatchObject({
      entered: USERS,
      completed: USERS,
      sent: treated,
      delivered: treated,
      opened: sent.rows.length,
      converted: converters.length,
    });
    expect(stats.funnel.rates.conversion).toBeCloseTo(converters.length / USERS, 12);
    expect(stats.funnel.rates.open).toBeCloseTo(sent.rows.length / treated, 12);
    expect(stats.funnel.timeToEngage.count).toBe(sent.rows.length);
    expect(stats.groups.map((g) => [g.key, g.funnel.entered, g.funnel.converted])).toEqual(
      [...expected].sort((a, b) => a.arm.localeCompare(b.arm)).map((e) => [e.arm, e.entered, e.converted]),
    );

    const experiment = stats.experiment!;
    expect(experiment.control).toBe('holdout');
    expect(experiment.arms.map((a) => [a.variant, a.entered, a.converted])).toEqual(expected.map((e) => [e.arm, e.entered, e.converted]));
    const control = expected[0]!;
    for (const e of expected.slice(1)) {
      const arm = experiment.arms.find((a) => a.variant === e.arm)!;
      // The arm's observed rate is near the rate the test set (within 4 standard errors), and reported exactly.
      expect(arm.rate).toBeCloseTo(e.converted / e.entered, 12);
      expect(Math.abs(arm.rate - RATES[e.arm]!)).toBeLessThan(4 * Math.sqrt((RATES[e.arm]! * (1 - RATES[e.arm]!)) / e.entered));
      expect(arm.vsControl!.zTest.pValue).toBeCloseTo(independentZTest(e.converted, e.entered, control.converted, control.entered), 6);
      // Under 100 entrants in an arm there is no verdict (the default minimum sample).
      const enough = e.entered >= 100 && control.entered >= 100;
      expect(arm.vsControl!.significant).toBe(enough ? independentSequentialSignificant(e.converted, e.entered, control.converted, control.entered) : null);
      expect(arm.vsControl!.absoluteUplift).toBeCloseTo(e.converted / e.entered - control.converted / control.entered, 12);
    }

    const json = await cli(['campaigns', 'stats', campaignId, '--group-by', 'variant', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(stats);
    const human = await cli(['campaigns', 'stats', campaignId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`entered ${USERS}`);
    expect(human.stdout).toMatch(/experiment: each arm against holdout/);
    for (const e of expected) expect(human.stdout).toMatch(new RegExp(`^${e.arm}\\s+${e.entered}\\s+${e.converted}\\s`, 'm'));
    expect(published.version).toBe(1);
    // Long on a loaded machine: each user is two workflows and a send.
  }, 3_600_000);

  it('answers 404 for an unknown campaign or version and 400 naming the parameter', async () => {
    const get = (url: string) => env().http({ method: 'GET', url, headers: env().as('read') });
    expect((await get('/v1/ops/campaigns/no-such-campaign/stats')).statusCode).toBe(404);
    expect((await get(`/v1/ops/campaigns/${campaignId}/stats?version=9`)).statusCode).toBe(404);
    const cases: [string, string, RegExp][] = [
      ['from=2026-03-02&to=2026-03-01', 'query.from', /is after to/],
      ['groupBy=week', 'query.groupBy', /must be one of day, step, variant, channel/],
      ['from=2024-01-01&to=2026-01-01', 'query.from', /at most 366 \(a year\)/],
      ['from=yesterday', 'query.from', /must be a date/],
      ['version=0', 'query.version', /at least 1/],
      ['colour=red', 'query', /colour/],
    ];
    for (const [query, path, reason] of cases) {
      const response = await get(`/v1/ops/campaigns/${campaignId}/stats?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().problems).toEqual(expect.arrayContaining([{ path, reason: expect.stringMatching(reason) }]));
    }
    expect((await env().http({ method: 'GET', url: `/v1/ops/campaigns/${campaignId}/stats` })).statusCode).toBe(401);
  });

  it('is in the OpenAPI document with its parameters and the shape of its answer', async () => {
    const doc = (await env().http({ method: 'GET', url: '/docs/json' })).json();
    const route = doc.paths['/v1/ops/campaigns/{campaignId}/stats'].get;
    expect(route.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['campaignId', 'from', 'groupBy', 'to', 'version']);
    const answer = route.responses['200'].content['application/json'].schema;
    expect(Object.keys(answer.properties).sort()).toEqual(['campaign', 'experiment', 'funnel', 'groupBy', 'groups', 'programme', 'range']);
    expect(Object.keys(answer.properties.funnel.properties)).toEqual(expect.arrayContaining(['timeToEngage', 'engagedTime']));
    expect(Object.keys(route.responses).sort()).toEqual(['200', '400', '401', '403', '404']);
  });
});
