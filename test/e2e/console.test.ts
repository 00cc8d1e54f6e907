import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { createExperimentDecisionRepository } from '../../src/db/experiment-decision-repository';
import { createExperimentOutcomeOps } from '../../src/ops/experiment-outcome-ops';
import { publishCampaign } from '../support/ops-env';
import { eventually, startTestApi, type TestApi } from '../support/api';
import { launchBrowser, logInToConsole, resolveFigurePath, shownFigures, type PageElement } from '../support/browser';

/**
 * The console at /console in headless Chromium, against the API and a worker on the test Postgres and
 * dev Temporal: real journeys of a campaign with a holdout and two variants make its figures, and
 * every figure the page shows is read back and compared with the stats API's answer for the same range.
 * A failing test leaves a screenshot under test-results/ (git-ignored). With CONSOLE_SCREENSHOT=<file>
 * (`npm run console:screenshot`), the campaign's page is saved there for the README.
 */
const screenshots = resolve(__dirname, '..', '..', 'test-results');
const TEMPORAL_UI = 'http://127.0.0.1:8233';
const USERS = 40;

const suffix = Date.now().toString(36);
const campaignId = `console-offer-${suffix}`;
// Events of their own, so the campaign admits nobody from the other tests sharing the database.
const entryEvent = `Console Viewed Pricing ${suffix}`;
const goalEvent = `Console Purchased ${suffix}`;
const definition = `
id: ${campaignId}
name: Console offer test ${suffix}
category: marketing
entry: { event: "${entryEvent}" }
reentry: { mode: once }
holdout: 20
goal: { event: "${goalEvent}", within: 7 days, exit: false }
winner: { metric: conversion_rate, minSamples: 10, auto: true }
templates:
  ten: { channel: in_app, title: 10% off, body: ten }
  twenty: { channel: in_app, title: 20% off, body: twenty }
steps:
  - id: offer
    type: message
    variants:
      - { name: ten, percent: 50, template: ten }
      - { name: twenty, percent: 50, template: twenty }
`;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const today = utcDay(Date.now());
const range = { from: utcDay(Date.now() - 6 * 86_400_000), to: today };

declare const document: { documentElement: { scrollWidth: number } };
declare const sessionStorage: { getItem(key: string): string | null; length: number; key(i: number): string | null };

describe('console', () => {
  let api: TestApi;
  let browser: BrowserContext;
  let page: Page;
  const tokens = { read: '', operate: '', revoked: '', revokedId: '' };
  const requested: string[] = [];
  let closeBrowser: (() => Promise<void>) | undefined;

  const stats = async (path: string, token = tokens.read) => {
    const response = await api.http({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    return response.json();
  };
  const statsPath = (groupBy: string) => `/v1/ops/campaigns/${campaignId}/stats?from=${range.from}&to=${range.to}&groupBy=${groupBy}`;

  beforeAll(async () => {
    api = await startTestApi({ console: { namespace: 'default', temporalUiUrl: TEMPORAL_UI } });
    const repo = createAdminTokenRepository(api.pool);
    tokens.read = (await repo.create(`console ${suffix} read`, ['read'])).token;
    tokens.operate = (await repo.create(`console ${suffix} operate`, ['operate'])).token;
    const revoked = await repo.create(`console ${suffix} soon revoked`, ['read']);
    tokens.revoked = revoked.token;
    tokens.revokedId = revoked.record.id;
    await publishCampaign(api.pool, definition);
    await driveJourneys(api);

    ({ browser, page, close: closeBrowser } = await launchBrowser({ viewport: { width: 1280, height: 900 } }));
    browser.on('request', (request) => requested.push(request.url()));
  }, 600_000);

  afterAll(async () => {
    await closeBrowser?.();
    if (api) await api.pool.query(`UPDATE campaigns SET status = 'archived' WHERE id = $1`, [campaignId]);
    await api?.close();
  });

  /** Users enter; the worker sends each arm's in-app offer (none to the holdout); some open, click and buy. */
  async function driveJourneys(target: TestApi): Promise<void> {
    const users = Array.from({ length: USERS }, (_, i) => `console-${suffix}-${i}`);
    for (const userId of users) {
      const response = await target.http({ method: 'POST', url: '/v1/track', payload: { userId, event: entryEvent } });
      expect(response.statusCode).toBe(200);
    }
    // Everyone entered and every treated user holds the offer in the inbox.
    const entered = await eventually(() => stats(statsPath('variant')), (s) => s.funnel.entered === USERS, 120_000);
    const treated = entered.funnel.entered - (entered.groups.find((g: { key: string }) => g.key === 'holdout')?.funnel.entered ?? 0);
    await eventually(() => stats(statsPath('variant')), (s) => s.funnel.sent === treated, 120_000);
    let opened = 0;
    let clicked = 0;
    for (const [i, userId] of users.entries()) {
      const inbox = (await target.http({ method: 'GET', url: `/v1/users/${userId}/inbox` })).json();
      const message = inbox.messages?.[0];
      if (message && i % 2 === 0) {
        expect((await target.http({ method: 'POST', url: `/v1/users/${userId}/inbox/${message.id}/read` })).statusCode).toBeLessThan(300);
        opened += 1;
        if (i % 4 === 0) {
          expect((await target.http({ method: 'POST', url: `/v1/users/${userId}/inbox/${message.id}/click`, payload: {} })).statusCode).toBeLessThan(300);
          clicked += 1;
        }
      }
      if (i % 3 === 0) expect((await target.http({ method: 'POST', url: '/v1/track', payload: { userId, event: goalEvent } })).statusCode).toBe(200);
    }
    const converted = users.filter((_, i) => i % 3 === 0).length;
    // The figures settle before the page reads them, so the page and the test's own call see the same answer.
    const settled = await eventually(() => stats(statsPath('variant')), (s) => s.funnel.opened === opened && s.funnel.clicked === clicked && s.funnel.converted === converted, 120_000);
    // The periodic loop's work, run as if three hours had passed: the sessions after the offers are over and counted.
    await createExperimentOutcomeOps({ pool: target.pool, now: () => Date.now() + 3 * 3_600_000 }).settleSessions();
    // 40 users decide nothing significant; the decision the auto rule would record is written as it records it, for the page to show.
    await createExperimentDecisionRepository(target.pool).decide({
      campaignId, campaignVersion: 1, variant: 'twenty', decidedAt: new Date(), reason: 'twenty converts best (recorded by the console test)',
      figures: {
        control: settled.experiment.control,
        arms: settled.experiment.arms.map((arm: { variant: string; entered: number; converted: number; rate: number; vsControl?: { sequential: { pValue: number }; verdict: string } }) => ({
          variant: arm.variant, entered: arm.entered, converted: arm.converted, rate: arm.rate, sequentialPValue: arm.vsControl?.sequential.pValue ?? null, verdict: arm.vsControl?.verdict ?? null,
        })),
      },
    });
  }

  /** Runs a browser step; on failure saves a screenshot and names it in the error. */
  async function shot<T>(name: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      mkdirSync(screenshots, { recursive: true });
      const file = join(screenshots, `console-${name}-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      throw new Error(`${(err as Error).message}\nscreenshot: ${file}`, { cause: err });
    }
  }

  async function logIn(token: string): Promise<void> {
    await logInToConsole(page, `${api.url}/console#/campaigns?from=${range.from}&to=${range.to}`, token, '#campaign-list');
  }

  async function logOut(): Promise<void> {
    if (await page.locator('#logout').isVisible()) await page.locator('#logout').click();
    await page.getByLabel('Admin token').waitFor();
  }

  /** Compares each shown figure with the API's own answer for the same call, value and text; returns how many. */
  async function expectFiguresMatchApi(token: string): Promise<number> {
    const shown = await shownFigures(page);
    const answers = new Map<string, unknown>();
    for (const figure of shown) {
      expect(figure.stats).toMatch(new RegExp(`from=${range.from}&to=${range.to}(&groupBy=|$)`));
      if (!answers.has(figure.stats)) answers.set(figure.stats, await stats(figure.stats, token));
      const expected = resolveFigurePath(answers.get(figure.stats), figure.path);
      // A day or reason absent from the answer (no activity) is shown as 0.
      if (figure.absent) expect([expected, figure.value]).toEqual([undefined, 0]);
      else expect({ path: figure.path, value: figure.value }).toEqual({ path: figure.path, value: expected });
    }
    // The text is the value in the browser's locale, formatted here independently of the page's code.
    const texts = await page.evaluate((figures) => {
      const formats: Record<string, Intl.NumberFormatOptions> = {
        count: { maximumFractionDigits: 0 },
        percent: { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2 },
        uplift: { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2, signDisplay: 'exceptZero' },
        pvalue: { maximumSignificantDigits: 3 },
      };
      return figures.map((f) => (f.value === null ? '–' : formats[f.format] ? new Intl.NumberFormat(undefined, formats[f.format]).format(f.value as number) : null));
    }, shown);
    shown.forEach((figure, i) => {
      if (texts[i] !== null) expect({ path: figure.path, text: figure.text }).toEqual({ path: figure.path, text: texts[i] });
      else expect(figure.text).not.toBe('');
    });
    return shown.length;
  }

  /**
   * The funnel by step and arm: one row per group of the API's `step,variant` answer, each stage its figure, and
   * the arms adding up to the API's own funnels by step and by variant (so the two-dimension grouping splits, not invents).
   */
  async function expectStepVariantFunnel(): Promise<void> {
    const [byStepVariant, byStep, byVariant] = await Promise.all([stats(statsPath('step,variant')), stats(statsPath('step')), stats(statsPath('variant'))]);
    const shown = await page.$$eval('#funnel-step-variant-table tbody tr', (rows) =>
      (rows as unknown as PageElement[]).map((row) => ({
        step: row.dataset.step,
        variant: row.dataset.variant,
        stats: row.closest('[data-stats]')?.dataset.stats,
        figures: Object.fromEntries(Array.from(row.querySelectorAll('[data-path]')).map((el) => [(JSON.parse(el.dataset.path!) as string[]).at(-1), JSON.parse(el.dataset.value!)])),
      })),
    );
    type Group = { key: string; keys: { step: string; variant: string }; funnel: Record<string, number> };
    const groups = byStepVariant.groups as Group[];
    expect(shown.map((row) => `${row.step},${row.variant}`).sort()).toEqual(groups.map((g) => g.key).sort());
    // Every arm has its journey row; the treated arms an offer row; the holdout none.
    expect(groups.map((g) => g.key).sort()).toEqual([',holdout', ',ten', ',twenty', 'offer,ten', 'offer,twenty']);
    for (const row of shown) {
      expect(row.stats).toMatch(/groupBy=step%2Cvariant$/);
      const group = groups.find((g) => g.keys.step === row.step && g.keys.variant === row.variant)!;
      const stages = row.step === '' ? ['entered', 'sent', 'opened', 'clicked', 'converted'] : ['sent', 'opened', 'clicked', 'converted'];
      expect(row.figures).toEqual(Object.fromEntries(stages.map((stage) => [stage, group.funnel[stage]])));
    }
    for (const stage of ['entered', 'sent', 'opened', 'clicked', 'converted']) {
      for (const step of byStep.groups as Group[]) {
        const sum = groups.filter((g) => g.keys.step === step.key).reduce((n, g) => n + g.funnel[stage]!, 0);
        expect({ step: step.key, stage, sum }).toEqual({ step: step.key, stage, sum: step.funnel[stage] });
      }
      for (const arm of byVariant.groups as Group[]) {
        const journey = groups.find((g) => g.key === `,${arm.key}`)!;
        if (stage === 'entered' || stage === 'converted') expect({ arm: arm.key, stage, n: journey.funnel[stage] }).toEqual({ arm: arm.key, stage, n: arm.funnel[stage] });
        else expect({ arm: arm.key, stage, n: groups.filter((g) => g.keys.variant === arm.key).reduce((n, g) => n + g.funnel[stage]!, 0) }).toEqual({ arm: arm.key, stage, n: arm.funnel[stage] });
      }
    }
  }

  it('logs in by keyboard with a read token and lists the campaign with the stats API figures, sortable', async () => {
    await shot('list', async () => {
      await logIn(tokens.read);
      const row = page.locator(`tr[data-campaign="${campaignId}"]`);
      await row.waitFor();
      expect(await row.locator('[data-status]').textContent()).toBe('active');
      expect(await expectFiguresMatchApi(tokens.read)).toBeGreaterThanOrEqual(3);
      const answer = await stats(statsPath('variant'));
      const significant = answer.experiment.arms.filter((arm: { vsControl?: { significant: boolean | null } }) => arm.vsControl?.significant === true).map((arm: { variant: string }) => arm.variant);
      expect(await row.locator('[data-experiment]').getAttribute('data-significant-arms')).toBe(significant.join(','));
      // Under the list, the whole programme against the global control group, from its own API (its figures are among those compared above).
      const programme = await stats(`/v1/ops/programme/stats?from=${range.from}&to=${range.to}`);
      const overview = page.locator('#programme-overview');
      expect(await overview.getAttribute('data-stats')).toBe(`/v1/ops/programme/stats?from=${range.from}&to=${range.to}`);
      if (programme.programme) expect(await overview.locator('#programme-campaigns-table tbody tr').count()).toBe(programme.campaigns.length);
      else expect(await overview.locator('[data-programme]').getAttribute('data-programme')).toBe(programme.globalControl ? 'no_entrants' : 'none');
      // Sorting by "Entered", twice: descending puts the campaign with the most entries first.
      await page.locator('button[data-sort="entered"]').click();
      await page.locator('button[data-sort="entered"]').click();
      expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('Entered');
      const entered = await page.$$eval('#campaign-list tbody tr', (rows) =>
        (rows as unknown as PageElement[]).map((r) => Number(JSON.parse(r.querySelector('[data-path*="entered"]')?.dataset.value ?? '-1'))),
      );
      expect(entered).toEqual([...entered].sort((a, b) => b - a));
    });
  });

  it("shows the campaign's funnels, charts, experiment, skips, engagement and links, every figure equal to the stats API's; no actions for a read token", async () => {
    await shot('campaign', async () => {
      await page.locator(`tr[data-campaign="${campaignId}"] a`).click();
      await page.locator('#experiment-table').waitFor({ timeout: 60_000 });
      for (const id of ['totals', 'funnel-steps', 'funnel-variants', 'funnel-step-variant', 'daily', 'experiment', 'skips', 'engagement', 'journeys', 'versions']) {
        expect(await page.locator(`section#${id}`).count()).toBe(1);
      }
      // The charts are drawn (uPlot canvases), beside their figures.
      await page.locator('section#daily canvas').first().waitFor();
      expect(await page.locator('section#daily canvas').count()).toBeGreaterThanOrEqual(2);
      const count = await expectFiguresMatchApi(tokens.read);
      expect(count).toBeGreaterThan(50);
      await expectStepVariantFunnel();
      const arms = await page.$$eval('#experiment-table tbody th', (cells) => cells.map((c) => c.textContent));
      expect(arms.sort()).toEqual(['holdout', 'ten', 'twenty']);
      // The winner rule's state and its recorded decision, with the figures it was taken on (compared above with the API's).
      expect(await page.locator('.winner').getAttribute('data-state')).toBe('decided');
      expect(await page.locator('#winner-decision').innerText()).toContain('twenty wins');
      expect(await page.locator('#decision-table [data-path]').count()).toBe(3 * 4);
      // Engaged time per step beside time to engage: the offer's sessions, settled by the loop.
      const engaged = await page.$$eval('#engagement-table [data-path*="engagedTime"]', (cells) => cells.length);
      expect(engaged).toBe(3);
      const link = await page.locator('section#journeys a.temporal-link').first().getAttribute('href');
      const query = `WorkflowType = 'journeyWorkflow' AND BeckonCampaign = '${campaignId}' AND ExecutionStatus = 'Running' AND BeckonStep = 'offer'`;
      expect(link).toBe(`${TEMPORAL_UI}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      expect(await page.locator('#pause, #resume').count()).toBe(0);
      if (process.env.CONSOLE_SCREENSHOT) {
        mkdirSync(dirname(resolve(process.env.CONSOLE_SCREENSHOT)), { recursive: true });
        await page.screenshot({ path: resolve(process.env.CONSOLE_SCREENSHOT), fullPage: true });
      }
    });
  });

  it('reads on a phone: nothing wider than the screen but the tables, which scroll', async () => {
    await shot('phone', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.locator('#experiment-table').waitFor({ timeout: 60_000 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(390);
      await page.setViewportSize({ width: 1280, height: 900 });
    });
  });

  it('pauses and resumes with an operate token, showing the outcome and the new status', async () => {
    await shot('operate', async () => {
      await logOut();
      await logIn(tokens.operate);
      await page.locator(`tr[data-campaign="${campaignId}"] a`).click();
      await page.locator('#pause').waitFor();
      await page.locator('#pause').click();
      await page.locator('#campaign-status[data-status="paused"]').waitFor();
      expect(await page.locator('#action-outcome').textContent()).toContain('Paused');
      const shown = await api.http({ method: 'GET', url: `/v1/ops/campaigns/${campaignId}`, headers: { authorization: `Bearer ${tokens.read}` } });
      expect(shown.json().status).toBe('paused');
      expect(await page.locator('#pause').isDisabled()).toBe(true);
      await page.locator('#resume').click();
      await page.locator('#campaign-status[data-status="active"]').waitFor();
      expect(await page.locator('#action-outcome').textContent()).toContain('Resumed');
      const again = await api.http({ method: 'GET', url: `/v1/ops/campaigns/${campaignId}`, headers: { authorization: `Bearer ${tokens.read}` } });
      expect(again.json().status).toBe('active');
      // The list shows the same status.
      await page.locator('.crumbs a').click();
      expect(await page.locator(`tr[data-campaign="${campaignId}"] [data-status]`).textContent()).toBe('active');
    });
  });

  it('says there is nothing yet, and how data arrives, for a range without activity', async () => {
    await shot('empty', async () => {
      await page.goto(`${api.url}/console#/campaigns/${campaignId}?from=2020-01-01&to=2020-01-31`);
      await page.locator('#empty').waitFor();
      const text = await page.locator('#empty').innerText();
      expect(text).toContain('Nothing yet');
      expect(text).toContain(entryEvent);
      expect(text).toContain('POST /v1/track');
    });
  });

  it('says the API is unreachable when it does not answer, and carries on after a retry', async () => {
    await shot('unreachable', async () => {
      await page.route('**/v1/ops/**', (route) => route.abort('connectionrefused'));
      await page.goto(`${api.url}/console#/campaigns?from=${range.from}&to=${range.to}`);
      await page.reload();
      await page.locator('#banner').waitFor();
      expect(await page.locator('#banner').innerText()).toContain('does not answer');
      await page.unroute('**/v1/ops/**');
      await page.locator('#banner button', { hasText: 'Retry' }).click();
      await page.locator('#campaign-list').waitFor();
    });
  });

  it('sends a revoked token back to the login with the reason, and logging out forgets the token', async () => {
    await shot('revoked', async () => {
      await logOut();
      const keys = await page.evaluate(() => Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i)));
      expect(keys.filter((key) => key?.includes('token'))).toEqual([]);
      await logIn(tokens.revoked);
      await createAdminTokenRepository(api.pool).revoke(tokens.revokedId);
      await page.locator(`tr[data-campaign="${campaignId}"] a`).click();
      await page.getByLabel('Admin token').waitFor();
      expect(await page.locator('#login-reason').innerText()).toContain('unknown or revoked');
      expect(await page.evaluate(() => sessionStorage.getItem('beckon.console.token'))).toBeNull();
    });
  });

  it('loads nothing from another origin, and its answers forbid it', async () => {
    expect(requested.length).toBeGreaterThan(10);
    const origins = new Set(requested.filter((url) => !url.startsWith('data:')).map((url) => new URL(url).origin));
    expect([...origins]).toEqual([api.url]);
    const response = await fetch(`${api.url}/console`);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const library = await fetch(`${api.url}/console/vendor/uplot.js`);
    expect(library.status).toBe(200);
    expect(await library.text()).toContain('uPlot');
  });
});
