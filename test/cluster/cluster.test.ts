import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { spawnLogged } from '../../scripts/cluster/logged-process';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { campaignJourneysQuery } from '../../src/ops/visibility-queries';
import { mintUserToken } from '../../src/privacy/user-token';
import { connectClient } from '../../src/temporal/client-connection';
import { ENCRYPTED_ENCODING } from '../../src/temporal/payload-codec';
import { journeyWorkflowId } from '../../src/workflows/messages';
import { launchBrowser } from '../support/browser';
import { freePort } from '../support/ports';
import { deliveryRows, eventually, identify, pseudonymize, sampleSum, scrape, startTestCluster, track, type TestCluster } from './cluster-harness';

/**
 * The production topology as real processes (`npm run test:cluster`): temporal-server with 4 history
 * shards on PostgreSQL, two workers and two API replicas as `npm run worker` and `npm run api` run them.
 * The tests run in order on one cluster; each uses campaigns and users of its own.
 */
const SLICE = 'cluster-slice';
const JOURNEY = 'cluster-journey';
const WAITS = 'cluster-waits';
const run = Date.now().toString(36);
const repoRoot = resolve(__dirname, '..', '..');

const slice = {
  id: SLICE,
  name: 'Cluster thin slice',
  category: 'transactional',
  entry: { event: 'Cluster Slice' },
  reentry: { mode: 'once' },
  templates: { hello: { channel: 'in_app', title: 'Hello from the cluster', body: 'In through replica 1, out through replica 2.' } },
  steps: [{ id: 'hello', type: 'message', template: 'hello' }],
};

/** In-app, a wait, an email, a wait, in-app again: three sends over ~12 s, so a kill lands in the middle. */
function journey(id: string, event: string, waitSeconds: number) {
  return {
    id,
    name: `Cluster ${id}`,
    category: 'transactional',
    entry: { event },
    reentry: { mode: 'once' },
    templates: {
      first: { channel: 'in_app', title: 'First', body: 'One.' },
      mail: { channel: 'email', subject: `Cluster ${id}`, text: 'Two.' },
      last: { channel: 'in_app', title: 'Last', body: 'Three.' },
    },
    steps: [
      { id: 'first', type: 'message', template: 'first' },
      { id: 'pause-1', type: 'wait', duration: `${waitSeconds} seconds` },
      { id: 'mail', type: 'message', template: 'mail' },
      { id: 'pause-2', type: 'wait', duration: `${waitSeconds} seconds` },
      { id: 'last', type: 'message', template: 'last' },
    ],
  };
}

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster([slice, journey(JOURNEY, 'Cluster Journey', 6), journey(WAITS, 'Cluster Waits', 10)]);
}, 900_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

/** Every user of the campaign got each of the three steps exactly once: one `sent` row, one mail, two inbox messages. */
async function expectEachStepOnce(campaignId: string, users: string[]): Promise<void> {
  const rows = await deliveryRows(cluster, campaignId);
  const pseudonyms = new Set(users.map(pseudonymize));
  const mine = rows.filter((row) => pseudonyms.has(row.pseudonym));
  expect(mine.filter((row) => row.status !== 'sent')).toEqual([]);
  expect(mine).toHaveLength(users.length * 3);
  const mails = await cluster.pool.query<{ recipient: string; n: string }>(
    `SELECT recipients[1] AS recipient, count(*) AS n FROM dev_outbox WHERE subject = $1 AND recipients[1] = ANY($2) GROUP BY 1`,
    [`Cluster ${campaignId}`, users.map((user) => `${user}@cluster.test`)],
  );
  expect(mails.rows.map((row) => Number(row.n))).toEqual(users.map(() => 1));
  const inbox = await cluster.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM inbox_messages WHERE campaign_id = $1 AND pseudonym = ANY($2)`,
    [campaignId, [...pseudonyms]],
  );
  expect(Number(inbox.rows[0]!.n)).toBe(users.length * 2);
}

async function allSent(campaignId: string, users: string[]): Promise<boolean> {
  const pseudonyms = new Set(users.map(pseudonymize));
  const sent = (await deliveryRows(cluster, campaignId)).filter((row) => pseudonyms.has(row.pseudonym) && row.status === 'sent');
  return sent.length >= users.length * 3;
}

describe('cluster: temporal-server on PostgreSQL, 2 workers, 2 API replicas', () => {
  it('runs 4 history shards', async () => {
    const text = await scrape(cluster.temporal.metricsUrl);
    // Each history shard the server owns reports itself; on one host the one history service owns all 4.
    expect(sampleSum(text, 'numshards_gauge')).toBe(4);
  });

  it('thin slice: an event through API replica 1 reaches the inbox read through replica 2', async () => {
    const userId = `slice-${run}`;
    await identify(cluster, 0, userId);
    await track(cluster, 0, userId, 'Cluster Slice');
    const messages = await eventually('the in-app message on replica 2', async () => {
      const response = await fetch(`${cluster.apiUrls[1]}/v1/users/${userId}/inbox`, {
        headers: { authorization: `Bearer ${mintUserToken(cluster.signingKey, userId)}` },
      });
      const body = (await response.json()) as { messages: { title: string }[] };
      return body.messages.length > 0 ? body.messages : undefined;
    });
    expect(messages.map((message) => message.title)).toEqual(['Hello from the cluster']);
  });

  it('metrics: both replicas and both workers count the traffic they served', async () => {
    const scrapeAll = () => Promise.all([...cluster.apiUrls.map((url) => scrape(`${url}/metrics`)), ...cluster.workerMetricsUrls.map(scrape)]);
    // Counted from a quiet moment: every journey started so far (the slice's) has ended.
    const before = await eventually('the journeys before this test to end', async () => {
      const texts = await scrapeAll();
      const total = (name: string) => texts.slice(2).reduce((n, text) => n + sampleSum(text, name), 0);
      return total('beckon_journeys_started_total') === total('beckon_journeys_ended_total') ? texts : undefined;
    });
    const users = Array.from({ length: 4 }, (_, i) => `metrics-${run}-${i}`);
    for (const [i, userId] of users.entries()) await identify(cluster, i % 2, userId);
    for (const [i, userId] of users.entries()) await track(cluster, i % 2, userId, 'Cluster Slice');
    // The same messageId again through replica 1: a duplicate.
    await track(cluster, 0, users[0]!, 'Cluster Slice');
    const bad = await cluster.send(1, 'track', { messageId: `bad-${run}`, userId: users[1] });
    expect(bad.statusCode).toBe(400);
    await eventually('the four in-app sends', async () => {
      const sent = (await deliveryRows(cluster, SLICE)).filter((row) => users.map(pseudonymize).includes(row.pseudonym) && row.status === 'sent');
      return sent.length === 4 ? true : undefined;
    });
    const after = await eventually('the four journeys to end', async () => {
      const texts = await scrapeAll();
      const ended = texts.slice(2).reduce((n, text, i) => n + sampleSum(text, 'beckon_journeys_ended_total', { campaign: SLICE }) - sampleSum(before[2 + i]!, 'beckon_journeys_ended_total', { campaign: SLICE }), 0);
      return ended >= 4 ? texts : undefined;
    });
    const delta = (i: number, name: string, labels: Record<string, string> = {}) => sampleSum(after[i]!, name, labels) - sampleSum(before[i]!, name, labels);

    expect([delta(0, 'beckon_events_total', { type: 'track', outcome: 'accepted' }), delta(1, 'beckon_events_total', { type: 'track', outcome: 'accepted' })]).toEqual([2, 2]);
    expect(delta(0, 'beckon_events_total', { type: 'track', outcome: 'duplicate' })).toBe(1);
    expect(delta(1, 'beckon_events_total', { type: 'track', outcome: 'rejected' })).toBe(1);
    expect(delta(0, 'beckon_events_total', { type: 'identify', outcome: 'accepted' }) + delta(1, 'beckon_events_total', { type: 'identify', outcome: 'accepted' })).toBe(4);
    expect(delta(1, 'beckon_http_requests_total', { route: '/v1/track', status: '400' })).toBe(1);
    expect(delta(0, 'beckon_ingest_duration_seconds_count', { type: 'track' })).toBe(3);

    const workers = [2, 3];
    const sum = (name: string, labels: Record<string, string>) => workers.reduce((n, i) => n + delta(i, name, labels), 0);
    expect(sum('beckon_sends_total', { channel: 'in_app', outcome: 'sent' })).toBe(4);
    expect(sum('beckon_send_duration_seconds_count', { channel: 'in_app', outcome: 'sent' })).toBe(4);
    expect(sum('beckon_journeys_started_total', { campaign: SLICE })).toBe(4);
    expect(sum('beckon_journeys_ended_total', { campaign: SLICE, outcome: 'completed' })).toBe(4);
    // The SDK's own figures come through the same endpoint.
    expect(after[2]).toMatch(/^temporal_/m);
  });

  it('journeys in flight finish when one of the two workers is killed with SIGKILL, and nothing is sent twice', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `kill-${run}-${i}`);
    for (const [i, userId] of users.entries()) await identify(cluster, i % 2, userId);
    for (const [i, userId] of users.entries()) await track(cluster, i % 2, userId, 'Cluster Journey');
    // Killed once every journey has made its first send, with the rest in their waits or in flight.
    await eventually('the first sends', async () => {
      const firsts = (await deliveryRows(cluster, JOURNEY)).filter((row) => row.step_id === 'first');
      return firsts.length >= users.length ? true : undefined;
    });
    const victim = cluster.workers[0]!;
    const pid = victim.process().child.pid;
    await victim.kill('SIGKILL');
    expect(victim.process().child.signalCode ?? victim.process().child.exitCode).toBeTruthy();
    process.stderr.write(`worker-1 (pid ${pid}) SIGKILLed; worker-2 carries on\n`);
    await eventually('every journey to finish on the other worker', async () => ((await allSent(JOURNEY, users)) ? true : undefined));
    await expectEachStepOnce(JOURNEY, users);
    await victim.start();
  });

  it('temporal-server restarted in the middle of waits: the journeys finish, each step once', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `restart-${run}-${i}`);
    for (const [i, userId] of users.entries()) await identify(cluster, i % 2, userId);
    for (const [i, userId] of users.entries()) await track(cluster, i % 2, userId, 'Cluster Waits');
    await eventually('the first sends', async () => {
      const firsts = (await deliveryRows(cluster, WAITS)).filter((row) => row.step_id === 'first');
      return firsts.length >= users.length ? true : undefined;
    });
    await cluster.temporal.restart(2_000);
    process.stderr.write('temporal-server restarted while every journey waited\n');
    await eventually('every journey to finish after the restart', async () => ((await allSent(WAITS, users)) ? true : undefined));
    await expectEachStepOnce(WAITS, users);
  });
});

describe('the Web UI on the cluster, in headless Chromium', () => {
  let closeBrowser: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await closeBrowser?.();
  });

  it("finds a journey by Beckon's search attributes and shows its input decrypted through the codec, once an operator logged in", async () => {
    expect(cluster.webUiUrl).toBeDefined();
    const userId = `ui-${run}`;
    const pseudonym = pseudonymize(userId);
    await identify(cluster, 0, userId);
    await track(cluster, 0, userId, 'Cluster Slice');
    const query = `${campaignJourneysQuery(SLICE, { status: 'completed' })} AND BeckonUser = '${pseudonym}'`;
    const temporal = await connectClient({ address: cluster.temporal.address, namespace: cluster.namespace, waitMs: 60_000 });
    try {
      await eventually('the journey in visibility', async () => ((await temporal.workflow.count(query)).count === 1 ? true : undefined));
    } finally {
      await temporal.connection.close();
    }
    const { token } = await createAdminTokenRepository(cluster.pool).create(`cluster web ui ${run}`, ['read']);

    const { page, close } = await launchBrowser();
    closeBrowser = close;
    const workflowId = journeyWorkflowId(SLICE, pseudonym, 1);
    // The entry event's name is only in the journey's input, which Temporal holds encrypted.
    const decodedInput = '"event": "Cluster Slice"';
    const openJourney = async () => {
      await page.goto(`${cluster.webUiUrl}/namespaces/${cluster.namespace}/workflows?query=${encodeURIComponent(query)}`);
      const row = page.getByText(workflowId, { exact: true }).first();
      await row.waitFor({ timeout: 120_000 });
      await row.click();
      await page.getByText('Input', { exact: true }).filter({ visible: true }).first().waitFor({ timeout: 120_000 });
    };
    // The UI shows an undecoded payload's metadata in base64.
    const encryptedMetadata = `"encoding": "${Buffer.from(ENCRYPTED_ENCODING).toString('base64')}"`;
    try {
      // Before the login the codec answers 401: the UI says so and shows the payload as Temporal stores it.
      await openJourney();
      await eventually('the encrypted input', async () => ((await page.locator('body').innerText()).includes(encryptedMetadata) ? true : undefined), 60_000);
      expect(await page.locator('body').innerText()).toContain('Codec Server could not connect');
      expect(await page.locator('body').innerText()).not.toContain(decodedInput);

      // The operator logs in at replica 1's codec (the UI's codec endpoint) with an admin token of the read scope.
      await page.goto(`${cluster.apiUrls[0]}/codec/login`);
      await page.locator('input[name="token"]').fill(token);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Logged in as', { exact: false }).waitFor({ timeout: 60_000 });

      await openJourney();
      await eventually('the decoded input', async () => ((await page.locator('body').innerText()).includes(decodedInput) ? true : undefined), 60_000);
      expect(await page.locator('body').innerText()).not.toContain(encryptedMetadata);
    } catch (err) {
      const screenshots = join(repoRoot, 'test-results');
      mkdirSync(screenshots, { recursive: true });
      const file = join(screenshots, `cluster-web-ui-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true });
      throw new Error(`${(err as Error).message}\nscreenshot: ${file}`, { cause: err });
    }
  });
});

describe('the deploy: the Dockerfile carries what the processes need', () => {
  it('runs `npm run api` and `npm run worker` from exactly the files the image COPYs, against the cluster', async () => {
    const appDir = imageFileTree(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
    const [apiPort, metricsPort, sdkMetricsPort] = [await freePort(), await freePort(), await freePort()];
    // What the image sets; CAMPAIGNS_DIR is left to its default, the image's own campaigns/ folder.
    const env: NodeJS.ProcessEnv = { ...cluster.beckonEnv, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    delete env.CAMPAIGNS_DIR;
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const api = spawnLogged('npm', ['run', 'api'], { name: 'image-api', cwd: appDir, env: { ...process.env, ...env, PORT: String(apiPort) }, log });
    const worker = spawnLogged('npm', ['run', 'worker'], { name: 'image-worker', cwd: appDir, env: { ...process.env, ...env, METRICS_PORT: String(metricsPort), TEMPORAL_SDK_METRICS_PORT: String(sdkMetricsPort) }, log });
    try {
      await api.waitFor(/API listening on/, 300_000);
      await worker.waitFor(/worker polling task queue/, 300_000);
      const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
      expect(health.status).toBe(200);
      const campaigns = await cluster.pool.query<{ id: string }>("SELECT DISTINCT campaign_id AS id FROM campaign_versions WHERE campaign_id = 'welcome'");
      expect(campaigns.rows).toEqual([{ id: 'welcome' }]);
    } finally {
      await Promise.all([api.stop(), worker.stop()]);
      rmSync(appDir, { recursive: true, force: true });
    }
  });
});

/**
 * The image's /app as a folder: each `COPY src... dest` of the Dockerfile applied to a temp dir, and
 * node_modules in place of its `RUN npm ci --omit=dev` (the repo's, linked: the same lockfile).
 */
function imageFileTree(dockerfile: string): string {
  const appDir = mkdtempSync(join(tmpdir(), 'beckon-image-'));
  const copies = dockerfile.split('\n').filter((line) => /^COPY\s/i.test(line.trim()));
  expect(copies.length).toBeGreaterThan(0);
  for (const line of copies) {
    const parts = line.trim().split(/\s+/).slice(1).filter((part) => !part.startsWith('--'));
    const dest = parts.pop()!;
    for (const source of parts) {
      const target = dest.endsWith('/') ? join(appDir, dest, basename(source)) : join(appDir, dest);
      cpSync(join(repoRoot, source), target, { recursive: true });
    }
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(appDir, 'node_modules'));
  return appDir;
}
