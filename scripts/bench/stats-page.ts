import type { Pool } from 'pg';
import { startApi } from '../../src/api';
import { loadConfig, type Config } from '../../src/config';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { publishCampaignFolder } from '../../src/ops/campaign-publish';
import { connectClient } from '../../src/temporal/client-connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { configuredPayloadCodec } from '../../src/temporal/payload-codec';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { ensureTemporalCli } from '../../src/temporal/tools/temporal-cli';
import { freePort } from '../../test/support/ports';
import { say } from './stack';
import { summarise, type Summary } from './stats';

/** What the console's campaign page asks for (console-campaign-page.js): the campaign, then its stats grouped each way it shows. */
const PAGE_GROUPINGS = ['day', 'step', 'variant', 'channel', 'step,variant'];
/** The console's default range: the 30 UTC days up to today (console-main.js). */
const DAY_MS = 86_400_000;

export interface PageBenchReport {
  /** The whole page's data: every call at once, as the page makes them, until the last answer. */
  rows: { view: string; range: string; calls: number; summary: Summary }[];
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The console's calls over HTTP to the real API (its routes, auth, validation and serialisation) on the
 * bench's Postgres and a dev Temporal server (the campaign's page counts its running journeys there):
 * the campaign page and the campaign list, each timed from the first request to the last answer.
 */
export async function runPageBench(pool: Pool, databaseUrl: string, campaignId: string, pages: number): Promise<PageBenchReport> {
  const base = loadConfig();
  const cliPath = await ensureTemporalCli({ log: say });
  const server = startDevServer({ cliPath, port: await freePort(), namespace: base.TEMPORAL_NAMESPACE });
  const pseudonymKey = base.PSEUDONYM_KEY ?? 'bench-key-'.padEnd(48, 'b');
  const config: Config = { ...base, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: server.address, PORT: 0, LOG_LEVEL: 'warn' };
  const payloadCodec = configuredPayloadCodec(config, pseudonymKey, pool);
  const temporal = await connectClient({ address: server.address, namespace: config.TEMPORAL_NAMESPACE, waitMs: 60_000, payloadCodec });
  try {
    await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
    // The shipped examples beside the generated campaign, so the list has several rows as a real one does.
    await publishCampaignFolder(pool, config.CAMPAIGNS_DIR);
    const api = await startApi({ config, pool, temporal, pseudonymKey, payloadCodec });
    try {
      const { token } = await createAdminTokenRepository(pool).create(`bench stats page ${Date.now()}`, ['read']);
      const get = async (path: string) => {
        const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
        return response.json();
      };
      const statsPath = (id: string, range: { from: string; to: string }, groupBy: string) =>
        `/v1/ops/campaigns/${encodeURIComponent(id)}/stats?${new URLSearchParams({ from: range.from, to: range.to, groupBy }).toString()}`;
      const today = utcDay(Date.now());
      const ranges = { 'default (30 days)': { from: utcDay(Date.parse(`${today}T00:00:00Z`) - 29 * DAY_MS), to: today }, year: { from: utcDay(Date.now() - 365 * DAY_MS), to: today } };
      const page = (range: { from: string; to: string }) => () =>
        Promise.all([get(`/v1/ops/campaigns/${encodeURIComponent(campaignId)}`), ...PAGE_GROUPINGS.map((groupBy) => get(statsPath(campaignId, range, groupBy)))]);
      // The list: the programme's figures beside the campaigns, then each campaign's stats by variant, at most 4 at once (console-campaign-list.js).
      const list = (range: { from: string; to: string }) => async () => {
        const programme = get(`/v1/ops/programme/stats?${new URLSearchParams(range).toString()}`);
        const { campaigns } = (await get('/v1/ops/campaigns')) as { campaigns: { id: string }[] };
        let next = 0;
        await Promise.all(Array.from({ length: Math.min(4, campaigns.length) }, async () => {
          while (next < campaigns.length) await get(statsPath(campaigns[next++]!.id, range, 'variant'));
        }));
        await programme;
        return campaigns.length;
      };
      const { campaigns } = (await get('/v1/ops/campaigns')) as { campaigns: unknown[] };
      const views = Object.entries(ranges).flatMap(([name, range]) => [
        { view: 'campaign page', range: name, calls: 1 + PAGE_GROUPINGS.length, load: page(range), samples: [] as number[] },
        { view: 'campaign list', range: name, calls: 2 + campaigns.length, load: list(range), samples: [] as number[] },
      ]);
      for (const view of views) await view.load();
      const started = Date.now();
      for (let i = 0; i < pages * views.length; i++) {
        const view = views[i % views.length]!;
        const t0 = process.hrtime.bigint();
        await view.load();
        view.samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const elapsed = Date.now() - started;
      return { rows: views.map((view) => ({ view: view.view, range: view.range, calls: view.calls, summary: summarise(view.samples, elapsed) })) };
    } finally {
      await api.app.close();
    }
  } finally {
    await temporal.connection.close();
    await server.stop();
  }
}
