import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Page } from 'playwright-core';
import type { Pool } from 'pg';
import { loadConfig } from '../../src/config';
import type { TrackedEvent } from '../../src/domain/events';
import { assignExperiment } from '../../src/domain/experiments/experiment-assignment';
import { campaignJourneysQuery } from '../../src/ops/visibility-queries';
import { connectClient } from '../../src/temporal/client-connection';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { journeyWorkflowId, type JourneyWorkflowInput } from '../../src/workflows/messages';
import { startJourneyWith } from '../../src/activities/journey-activities';
import { startWorker, type BeckonWorker } from '../../src/worker';
import { temporalCliPath, testPool, workflowBundle } from '../support/env';
import { freePort } from '../support/ports';
import { launchBrowser } from '../support/browser';
import { eventually } from '../support/ops-env';
import { seedCampaigns } from '../support/workflow-env';

/**
 * The Temporal Web UI as ops use it, in headless Chromium: the README's query "running journeys of
 * campaign X waiting at step Y" finds the journey, and its page shows Beckon's search attributes and memo.
 * A failing run leaves a screenshot under test-results/ (git-ignored).
 */
const screenshots = resolve(__dirname, '..', '..', 'test-results');

describe('Temporal Web UI', () => {
  let server: DevServer;
  let client: Client;
  let pool: Pool;
  let worker: BeckonWorker;
  let closeBrowser: (() => Promise<void>) | undefined;
  let page: Page;
  let uiUrl: string;

  beforeAll(async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    server = startDevServer({ cliPath: temporalCliPath(), port, uiPort, namespace: 'default' });
    uiUrl = server.uiUrl!;
    client = await connectClient({ address: server.address, namespace: 'default', waitMs: 60_000 });
    pool = testPool();
    const config = { ...loadConfig({}), TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: 'web-ui-test' };
    worker = await startWorker({ config, pool, pseudonymKey: 'web-ui-test-key-'.padEnd(40, 'x'), workflowBundle: workflowBundle() });
    ({ page, close: closeBrowser } = await launchBrowser());
  });

  afterAll(async () => {
    await closeBrowser?.();
    await worker?.shutdown();
    await client?.connection.close();
    await pool?.end();
    await server?.stop();
  });

  it('lists a journey waiting at its step by the README query, and shows its search attributes and memo', async () => {
    const campaign = seedCampaigns().find((c) => c.id === 'pricing-no-purchase')!;
    const at = new Date().toISOString();
    const entryEvent: TrackedEvent = { messageId: 'ui-1', event: 'Viewed Pricing', properties: {}, timestamp: at, receivedAt: at };
    const pseudonym = `ui-${Date.now().toString(36)}`;
    // Started as the user workflow starts it (shape 2): its search attributes and memo from its first event.
    const journey: JourneyWorkflowInput = { version: 2, pseudonym, campaign, entry: 1, entryEvent, history: { events: {}, traits: {} } };
    const workflowId = journeyWorkflowId(campaign.id, pseudonym, 1);
    await startJourneyWith(client, { workflowId, taskQueue: 'web-ui-test', journey });
    const query = campaignJourneysQuery(campaign.id, { running: true, status: 'waiting', step: 'wait-for-purchase' });
    await eventually(() => client.workflow.count(query), ({ count }) => count === 1);

    try {
      await page.goto(`${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      const row = page.getByText(workflowId, { exact: true }).first();
      await row.waitFor({ timeout: 60_000 });
      await row.click();
      await page.getByText('Search Attributes', { exact: true }).first().click();
      // The tab renders the attributes as JSON in a code view, one token per element: read its text as a whole.
      const shown = [
        `"BeckonCampaign": "${campaign.id}"`,
        `"BeckonCampaignVersion": 1`,
        `"BeckonJourneyStatus": "waiting"`,
        `"BeckonStep": "wait-for-purchase"`,
        `"BeckonUser": "${pseudonym}"`,
        `"BeckonVariant": "${assignExperiment(campaign, pseudonym).variant}"`,
      ];
      await eventually(() => page.locator('body').innerText(), (text) => shown.every((line) => text.includes(line)));
      await page.getByText('Memo', { exact: true }).first().click();
      await eventually(() => page.locator('body').innerText(), (text) => text.includes(`"campaignName": "${campaign.name}"`));
    } catch (err) {
      mkdirSync(screenshots, { recursive: true });
      const file = join(screenshots, `web-ui-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true });
      throw new Error(`${(err as Error).message}\nscreenshot: ${file}`, { cause: err });
    }
  });
});
