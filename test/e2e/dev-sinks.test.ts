import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { basicAuth } from '../support/api';
import { daytimeZone } from '../support/daytime';
import { uniqueUserId } from '../support/env';
import { request } from '../support/http';
import { freePort } from '../support/ports';
import { cleanEnv, runEntryPoint, type RunningProcess } from '../support/processes';

/**
 * `npm start` with no SMTP server and no Firebase account: email goes to the local SMTP sink and push
 * to the push log, both listed by the API, so a campaign's sequence can be watched on one machine.
 */
describe('npm start dev sinks', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'beckon-sinks-'));
  const campaignsDir = mkdtempSync(join(tmpdir(), 'beckon-sinks-campaigns-'));
  let beckon: RunningProcess;
  let api: string;
  let pgPort: number;

  beforeAll(async () => {
    copyFileSync(resolve(__dirname, '..', '..', 'campaigns', 'policy.yaml'), join(campaignsDir, 'policy.yaml'));
    writeFileSync(join(campaignsDir, 'demo.yaml'), [
      'id: dev-demo',
      'name: Demo of the dev sinks',
      'entry: { event: Requested Demo }',
      'templates:',
      `  mail: { channel: email, subject: "Hello {{ traits.firstName | default: 'there' }}", text: "This came through the local SMTP sink." }`,
      '  ping: { channel: push, title: Ping, body: Through the push log }',
      'steps:',
      '  - { id: mail, type: message, template: mail }',
      '  - { id: ping, type: message, template: ping }',
      '',
    ].join('\n'));
    const port = await freePort();
    pgPort = await freePort();
    api = `http://127.0.0.1:${port}`;
    beckon = runEntryPoint('src/start.ts', cleanEnv({
      DATA_DIR: dataDir,
      CAMPAIGNS_DIR: campaignsDir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(pgPort),
      LOG_LEVEL: 'warn',
    }));
    await beckon.waitFor(/\[beckon\] Ctrl-C stops everything/, 180_000);
  });

  afterAll(async () => {
    // Ctrl-C, so the Temporal server and the process behind tsx stop too (SIGKILL only reaches tsx).
    await beckon?.stop('SIGINT', 60_000);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(campaignsDir, { recursive: true, force: true });
  });

  it('lists the email the journey sent in GET /v1/dev/mail and the push in GET /v1/dev/push', async () => {
    expect(beckon.output()).toMatch(/email goes to a local SMTP sink \(127\.0\.0\.1:\d+\): curl -s .*\/v1\/dev\/mail/);
    const userId = uniqueUserId('sinks');
    const writeKey = /dev source write key: (\S+)/.exec(beckon.output())![1]!;
    const headers = { authorization: basicAuth(writeKey) };
    const identified = await request(api, {
      method: 'POST',
      url: '/v1/identify',
      headers,
      payload: { userId, traits: { email: `${userId}@example.com` }, context: { timezone: daytimeZone(), device: { token: `device-${userId}` } } },
    });
    expect(identified.statusCode).toBe(200);
    expect((await request(api, { method: 'POST', url: '/v1/track', headers, payload: { userId, event: 'Requested Demo' } })).statusCode).toBe(200);

    const deadline = Date.now() + 90_000;
    let mail: { recipients: string[]; subject: string; body: { text: string; listUnsubscribe: string } }[] = [];
    let push: { recipients: string[]; subject: string }[] = [];
    while ((mail.length === 0 || push.length === 0) && Date.now() < deadline) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      mail = (await request(api, { method: 'GET', url: '/v1/dev/mail' })).json().messages;
      push = (await request(api, { method: 'GET', url: '/v1/dev/push' })).json().messages;
    }
    expect(mail).toEqual([expect.objectContaining({ recipients: [`${userId}@example.com`], subject: 'Hello there' })]);
    expect(mail[0]!.body.text).toMatch(/^This came through the local SMTP sink\.\n\nUnsubscribe: http:\/\/127\.0\.0\.1:\d+\/v1\/unsubscribe\/\S+\n$/);
    expect(mail[0]!.body.listUnsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/v1\/unsubscribe\/\S+>$/);
    expect(push).toEqual([expect.objectContaining({ recipients: [`device-${userId}`], subject: 'Ping' })]);
    expect(beckon.output()).toContain(`[dev mail] email to ${userId}@example.com: "Hello there"`);
    expect(beckon.output()).toContain('[dev push] push to 1 device(s): "Ping" Through the push log');
  });
});
