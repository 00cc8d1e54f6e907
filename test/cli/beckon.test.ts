import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { journeyQuery, journeyWorkflowId } from '../../src/workflows/messages';
import { testDatabaseUrl, uniqueUserId } from '../support/env';
import { eventually, opsEnvPerFile } from '../support/ops-env';

const env = opsEnvPerFile('cli');
const bin = resolve(__dirname, '..', '..', 'bin', 'beckon');
const dir = mkdtempSync(join(tmpdir(), 'beckon-cli-'));
const suffix = Date.now().toString(36);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Runs `bin/beckon` as a separate process, as a script would. */
function beckon(args: string[], options: { token?: string | null; url?: string; databaseUrl?: string; dataDir?: string; npx?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  // DATA_DIR names a folder without npm start's admin.token unless a test gives one.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, BECKON_URL: options.url ?? env().url, BECKON_WRITE_KEY: env().writeKey, DATA_DIR: options.dataDir ?? dir, ...options.env };
  // Only the Postgres a test names: CI sets DATABASE_URL for the whole run.
  delete childEnv.DATABASE_URL;
  if (options.databaseUrl) childEnv.DATABASE_URL = options.databaseUrl;
  delete childEnv.BECKON_TOKEN;
  if (options.token !== null) childEnv.BECKON_TOKEN = options.token ?? env().tokens.operate;
  // `npx beckon`, as the README has a newcomer call it after npm install (never from the registry: --no).
  const [command, argv] = options.npx ? ['npx', ['--no', '--', 'beckon', ...args]] : [process.execPath, [bin, ...args]];
  return new Promise((done) => {
    execFile(command, argv, { env: childEnv, timeout: 120_000, cwd: resolve(__dirname, '..', '..') }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const campaign = (id: string, event: string) =>
  `id: ${id}\nname: CLI ${id}\nentry: { event: ${event} }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps:\n  - { id: wait-a-while, type: wait, duration: 1h }\n  - { id: t, type: message, template: t }\n`;

describe('beckon CLI, as a process against the API', () => {
  it('exit codes: 0 for help, 2 without a token or with bad flags, 4 with a bad or too narrow token, 6 when the API is unreachable', async () => {
    expect((await beckon(['--help'])).code).toBe(0);
    const noToken = await beckon(['campaigns', 'list'], { token: null });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/BECKON_TOKEN is not set: export BECKON_TOKEN=/);
    const badFlag = await beckon(['campaigns', 'list', '--nope']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/unknown option '--nope'/);
    const badToken = await beckon(['campaigns', 'list'], { token: 'bk_admin_nope' });
    expect(badToken.code).toBe(4);
    expect(badToken.stderr).toMatch(/401 .*\n {2}set BECKON_TOKEN/);
    const narrow = await beckon(['campaigns', 'pause', 'welcome'], { token: env().tokens.read });
    expect(narrow.code).toBe(4);
    expect(narrow.stderr).toMatch(/needs the "operate" scope/);
    const down = await beckon(['campaigns', 'list'], { url: 'http://127.0.0.1:9' });
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/cannot reach the Beckon API at http:\/\/127\.0\.0\.1:9 .*set BECKON_URL/);
  });

  it("uses npm start's dev token from DATA_DIR/admin.token when BECKON_TOKEN is unset, and says so; npx beckon runs it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'beckon-cli-data-'));
    writeFileSync(join(dataDir, 'admin.token'), `${env().tokens.operate}\n`);
    const listed = await beckon(['campaigns', 'list'], { token: null, dataDir, npx: true });
    expect(listed.stderr).toContain(`using the dev admin token of npm start from ${join(dataDir, 'admin.token')} (BECKON_TOKEN is unset)`);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('welcome');
    // BECKON_TOKEN wins over the file, and then nothing is said about it.
    const explicit = await beckon(['campaigns', 'list'], { token: 'bk_admin_nope', dataDir });
    expect(explicit.code).toBe(4);
    expect(explicit.stderr).not.toContain('dev admin token');
    // With --json stderr stays clean for scripts.
    const quiet = await beckon(['--json', 'campaigns', 'list'], { token: null, dataDir });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('creates the first token straight in Postgres, lists and revokes tokens over the API', async () => {
    const noDb = await beckon(['tokens', 'create', '--name', 'ci', '--scope', 'operate'], { token: null });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/DATABASE_URL is not set/);
    expect((await beckon(['tokens', 'create', '--name', 'ci', '--scope', 'root'], { databaseUrl: testDatabaseUrl() })).code).toBe(2);
    const created = await beckon(['--json', 'tokens', 'create', '--name', `ci-${suffix}`, '--scope', 'operate'], { token: null, databaseUrl: testDatabaseUrl() });
    expect(created.code).toBe(0);
    const { id, token, scopes } = created.json();
    expect(scopes).toEqual(['operate']);
    expect((await beckon(['campaigns', 'list'], { token })).code).toBe(0);
    expect((await beckon(['tokens', 'list'], { token })).code).toBe(4);
    expect((await beckon(['tokens', 'list'], { token: env().tokens.admin })).stdout).toContain(`ci-${suffix}`);
    expect((await beckon(['tokens', 'revoke', id], { token: env().tokens.admin })).stdout).toContain(`revoked ${id}`);
    expect((await beckon(['campaigns', 'list'], { token })).code).toBe(4);
  });

  it('validates and publishes files, shows, pauses, resumes and archives, with --json for scripts and 3/5 for missing and conflicting', async () => {
    const id = `cli-${suffix}`;
    const bad = await beckon(['--json', 'campaigns', 'validate', file('bad.yaml', 'id: Bad\n')]);
    expect(bad.code).toBe(1);
    expect(bad.json().results[0]).toMatchObject({ file: expect.stringMatching(/bad\.yaml$/), valid: false });
    const good = file(`${id}.yaml`, campaign(id, `CLI Entered ${suffix}`));
    expect((await beckon(['campaigns', 'validate', good])).stdout).toMatch(new RegExp(`ok \\(${id}, 2 steps\\)`));
    const published = await beckon(['--json', 'campaigns', 'publish', good]);
    expect(published.code).toBe(0);
    expect(published.json()).toEqual({ results: [{ campaignId: id, version: 1, created: true, status: 'active' }] });
    expect((await beckon(['campaigns', 'publish', good])).stdout).toContain(`${id}: unchanged (v1), active`);

    const listed = await beckon(['--json', 'campaigns', 'list'], { token: env().tokens.read });
    expect(listed.json().campaigns).toEqual(expect.arrayContaining([expect.objectContaining({ id, status: 'active', version: 1 })]));
    expect((await beckon(['campaigns', 'show', id])).stdout).toMatch(/active, version 1\njourneys running: 0/);
    const missing = await beckon(['campaigns', 'show', 'no-such-campaign']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/beckon campaigns list/);

    expect((await beckon(['campaigns', 'pause', id])).stdout).toContain(`${id}: paused`);
    expect((await beckon(['--json', 'campaigns', 'resume', id])).json()).toMatchObject({ status: 'active', batch: { state: 'completed' } });
    expect((await beckon(['campaigns', 'archive', id])).stdout).toContain(`${id}: archived`);
    const conflict = await beckon(['campaigns', 'pause', id]);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toMatch(/is archived; pause applies to active campaigns/);
  });

  it('sends an event, shows the user and their journeys, cancels the journey, and cancels a campaign with a progress bar', async () => {
    const id = `cli-user-${suffix}`;
    const event = `CLI User ${suffix}`;
    await beckon(['campaigns', 'publish', file(`${id}.yaml`, campaign(id, event))]);
    const userId = uniqueUserId('cli-user');
    const sent = await beckon(['--json', 'events', 'send', userId, event, '--properties', '{"plan":"pro"}', '--message-id', `${userId}-1`]);
    expect(sent.code).toBe(0);
    expect(sent.json()).toEqual({ success: true, messageId: `${userId}-1`, duplicate: false });
    expect((await beckon(['events', 'send', userId, 'x', '--properties', '[1]'])).code).toBe(2);

    const pseudonym = env().pseudonymize(userId);
    const journey = env().temporal.workflow.getHandle(journeyWorkflowId(id, pseudonym, 1));
    await eventually(() => journey.query(journeyQuery).catch(() => undefined), (view) => view?.status === 'waiting');
    const shown = await beckon(['users', 'show', userId], { token: env().tokens.read });
    expect(shown.stdout).toContain(`running journeys: ${id}#1`);
    const journeys = await eventually(() => beckon(['--json', 'users', 'journeys', userId]), (run) => run.json().journeys[0]?.journeyStatus === 'waiting');
    expect(journeys.json().journeys).toEqual([expect.objectContaining({ workflowId: `journey:${id}:${pseudonym}:1`, step: 'wait-a-while' })]);
    expect((await beckon(['users', 'cancel', userId, id, 'first'])).code).toBe(2);
    expect((await beckon(['users', 'cancel', userId, id, '1'])).stdout).toContain(`cancellation requested: journey:${id}:${pseudonym}:1`);
    await eventually(async () => (await journey.describe()).status.name, (status) => status === 'CANCELLED');

    // A second user's journey, ended by cancelling the whole campaign; progress goes to stderr.
    const other = uniqueUserId('cli-other');
    await beckon(['events', 'send', other, event]);
    await eventually(() => env().temporal.workflow.getHandle(journeyWorkflowId(id, env().pseudonymize(other), 1)).query(journeyQuery).catch(() => undefined), (view) => view?.status === 'waiting');
    await eventually(async () => (await beckon(['--json', 'campaigns', 'show', id])).json().journeys.waiting, (n) => n === 1);
    const cancelled = await beckon(['campaigns', 'cancel', id]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stderr).toMatch(/entries paused; cancelling journeys matching: .*BeckonCampaign = /);
    expect(cancelled.stderr).toMatch(/cancel \[#+\] 1\/1 \(completed\)/);
    expect(cancelled.stdout).toContain(`${id}: 1 journeys cancelled`);
  });

  it('sources: create (keys shown once), users token with the signing key, rotate-key with an overlap, client-auth, origins, list', async () => {
    // The ops environment's API opens signing keys sealed under its PSEUDONYM_KEY.
    const db = { databaseUrl: testDatabaseUrl(), token: null, env: { PSEUDONYM_KEY: 'ops-test-key-'.padEnd(40, 'x') } };
    const noKey = await beckon(['sources', 'create', 'x'], { databaseUrl: testDatabaseUrl(), token: null });
    expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringMatching(/PSEUDONYM_KEY is not set/)]);
    const created = await beckon(['--json', 'sources', 'create', `cli-${suffix}`], db);
    expect(created.code).toBe(0);
    const { id, signingKey, writeKey, clientAuth } = created.json();
    expect([clientAuth, writeKey, signingKey]).toEqual(['required', expect.stringMatching(/^src_/), expect.stringMatching(new RegExp(`^${id}\\.sk_`))]);

    const userId = uniqueUserId('cli-token');
    const noSigningKey = await beckon(['users', 'token', userId]);
    expect([noSigningKey.code, noSigningKey.stderr]).toEqual([2, expect.stringMatching(/BECKON_SIGNING_KEY is not set/)]);
    const minted = await beckon(['users', 'token', userId, '--expires-in', '10 minutes'], { env: { BECKON_SIGNING_KEY: signingKey } });
    expect(minted.code).toBe(0);
    expect(minted.stderr).toMatch(/valid until/);
    const token = minted.stdout.trim();
    const inbox = (bearer: string) => env().http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: { authorization: `Bearer ${bearer}` } });
    expect((await inbox(token)).statusCode).toBe(200);

    const rotated = await beckon(['--json', 'sources', 'rotate-key', id, '--overlap', '0s'], db);
    expect(rotated.code).toBe(0);
    expect(rotated.json().retiring).toHaveLength(1);
    await eventually(async () => (await inbox(token)).statusCode, (status) => status === 401);
    const fresh = await beckon(['users', 'token', userId, '--no-expiry'], { env: { BECKON_SIGNING_KEY: rotated.json().signingKey } });
    expect((await inbox(fresh.stdout.trim())).statusCode).toBe(200);
    expect((await beckon(['sources', 'rotate-key', id, '--overlap', 'a while'], db)).code).toBe(2);

    expect((await beckon(['sources', 'client-auth', id, 'open'], db)).code).toBe(2);
    expect((await beckon(['sources', 'client-auth', id, 'optional'], db)).code).toBe(0);
    expect((await beckon(['sources', 'origins', id, 'https://app.cli.test/path'], db)).code).toBe(2);
    expect((await beckon(['sources', 'origins', id, 'https://app.cli.test', 'http://localhost:5173'], db)).code).toBe(0);
    const listed = await beckon(['sources', 'list'], db);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${id} +cli-${suffix} +live +OPEN: the write key reads any user +https://app.cli.test http://localhost:5173`));
    expect(listed.stdout).toContain(`warning: ${id} is open`);
  });

  it('campaigns replay: --dry-run prints who would be re-run, and a wrong target is a usage error', async () => {
    const id = `cli-rerun-${suffix}`;
    const event = `CLI Rerun ${suffix}`;
    await beckon(['campaigns', 'publish', file(`${id}.yaml`, campaign(id, event))]);
    const userId = uniqueUserId('cli-rerun');
    await beckon(['events', 'send', userId, event]);
    await eventually(async () => (await beckon(['--json', 'users', 'show', userId], { token: env().tokens.read })).json().state?.totalEvents, (n) => n === 1);
    const dry = await beckon(['campaigns', 'replay', id, '--users', `${userId},${uniqueUserId('ghost')}`, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would re-run ${id} for 1 users:\n  ${userId}  ${env().pseudonymize(userId)}`);
    expect(dry.stdout).toMatch(/no running user workflow \(nothing to do\): ghost-/);
    expect((await beckon(['campaigns', 'replay', id, '--users', userId, '--query', "BeckonUser = 'x'"])).code).toBe(2);
  });
});
