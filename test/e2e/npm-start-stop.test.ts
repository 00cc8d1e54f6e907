import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintUserToken } from '../../src/privacy/user-token';
import { basicAuth } from '../support/api';
import { uniqueUserId } from '../support/env';
import { request } from '../support/http';
import { freePort } from '../support/ports';
import { cleanEnv, leftRunning, processTree, runNpm, type ProcessEntry, type RunningProcess } from '../support/processes';

/**
 * `npm start` as a terminal runs it (npm leading a process group of its own), stopped as a terminal stops it:
 * Ctrl-C is SIGINT to the whole group, and a service manager's stop is SIGTERM to it. Every process of the tree
 * (npm, sh, node, the Temporal dev server, PostgreSQL) must be gone afterwards, and what was stored must be there
 * at the next start on the same DATA_DIR.
 */
describe('npm start stops cleanly', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'beckon-stop-'));
  let env: NodeJS.ProcessEnv;
  let running: RunningProcess | undefined;
  const userId = uniqueUserId('stopper');

  beforeAll(async () => {
    const [api, temporal, ui, pg] = [await freePort(), await freePort(), await freePort(), await freePort()];
    env = cleanEnv({
      DATA_DIR: dataDir,
      PORT: String(api),
      TEMPORAL_DEV_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(ui),
      EMBEDDED_PG_PORT: String(pg),
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await running?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (): Promise<{ running: RunningProcess; api: string; writeKey: string }> => {
    running = runNpm(['start'], env);
    await running.waitFor(/\[beckon\] Ctrl-C stops everything/, 240_000);
    const api = running.output().match(/API +(http:\S+)/)![1]!;
    const writeKey = running.output().match(/dev source write key: (\S+)/)![1]!;
    return { running, api, writeKey };
  };

  // The dev source requires user tokens on the inbox: made, as the app's server would, with the signing key npm start keeps.
  const inbox = async (api: string): Promise<{ title: string }[]> => {
    const token = mintUserToken(readFileSync(join(dataDir, 'dev-signing-key'), 'utf8').trim(), userId);
    const answer = await request(api, { method: 'GET', url: `/v1/users/${userId}/inbox`, headers: { authorization: `Bearer ${token}` } });
    expect(answer.statusCode).toBe(200);
    return answer.json().messages;
  };

  /** Signals the group, waits for the exit, and answers what of the tree it saw before is still running. */
  const stopGroup = async (beckon: RunningProcess, signal: NodeJS.Signals): Promise<{ code: number | null; tree: ProcessEntry[]; left: ProcessEntry[] }> => {
    const group = beckon.child.pid!;
    const tree = processTree(group);
    process.kill(-group, signal);
    const code = await beckon.exited;
    // The servers lead groups of their own and are stopped by node before it exits; npm exits after node.
    const deadline = Date.now() + 15_000;
    let left = leftRunning(tree, group);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 200));
      left = leftRunning(tree, group);
    }
    return { code, tree, left };
  };

  it('on Ctrl-C (SIGINT to the group) prints "stopped" and leaves no process of the tree running', async () => {
    const { running: beckon, api, writeKey } = await start();
    const tracked = await request(api, { method: 'POST', url: '/v1/track', payload: { userId, event: 'Signed Up' }, headers: { authorization: basicAuth(writeKey) } });
    expect(tracked.statusCode).toBe(200);
    let messages: { title: string }[] = [];
    for (const deadline = Date.now() + 60_000; messages.length === 0 && Date.now() < deadline; ) {
      await new Promise((done) => setTimeout(done, 250));
      messages = await inbox(api);
    }
    expect(messages).toEqual([expect.objectContaining({ title: 'Welcome aboard!' })]);

    const { code, tree, left } = await stopGroup(beckon, 'SIGINT');
    const commands = tree.map((entry) => entry.command).join('\n');
    // The tree it walked holds what `npm start` runs: npm, node with tsx, the Temporal dev server and PostgreSQL.
    expect(commands).toMatch(/npm start/);
    expect(commands).toMatch(/node .*--import tsx src\/start\.ts/);
    expect(commands).toMatch(/temporal server start-dev/);
    expect(commands).toMatch(/native\/bin\/postgres -D/);
    expect(beckon.output()).toContain('[beckon] stopping (SIGINT)...');
    expect(beckon.output()).toContain('[beckon] stopped');
    expect(beckon.output()).not.toContain('exiting without a clean stop');
    // npm, once its script has exited, ends itself with the signal it was sent (as a shell does).
    expect({ code, signal: beckon.child.signalCode }).toEqual({ code: null, signal: 'SIGINT' });
    expect(left).toEqual([]);
  }, 360_000);

  it('starts again on the same data with the message still there, and on SIGTERM to the group stops the same way', async () => {
    const { running: beckon, api } = await start();
    // The same database: the migrations are in place and the user's inbox message survived the stop.
    expect(beckon.output()).toMatch(/migrations: 0 applied/);
    expect(await inbox(api)).toEqual([expect.objectContaining({ title: 'Welcome aboard!' })]);

    const { code, left } = await stopGroup(beckon, 'SIGTERM');
    expect(beckon.output()).toContain('[beckon] stopping (SIGTERM)...');
    expect(beckon.output()).toContain('[beckon] stopped');
    expect({ code, signal: beckon.child.signalCode }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(left).toEqual([]);
  }, 360_000);
});
