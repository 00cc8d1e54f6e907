import type { Pool } from 'pg';
import { startListening, type ListenOptions } from '../../src/db/listening-connection';
import { createPool } from '../../src/db/pool';
import { eventually } from '../support/api';
import { testDatabaseUrl, testPool } from '../support/env';

/** The connection both feeds (inbox streams, destroyed data keys) listen on: it reconnects, and stop leaves nothing open. */
describe('a listening connection', () => {
  const admin = testPool();
  const pools: Pool[] = [];
  const named = (name: string) => {
    const url = new URL(testDatabaseUrl());
    url.searchParams.set('application_name', name);
    const pool = createPool(url.toString(), 1);
    pools.push(pool);
    return pool;
  };
  const connectionsOf = async (name: string) =>
    Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [name])).rows[0]!.n);
  const recorder = () => {
    const heard: string[] = [];
    const warned: string[] = [];
    let reconnected = 0;
    const options: ListenOptions = {
      label: 'test feed',
      onNotification: (message) => heard.push(message.payload ?? ''),
      onReconnected: () => (reconnected += 1),
      log: { warn: (message) => warned.push(message) },
    };
    return { heard, warned, reconnected: () => reconnected, options };
  };

  afterAll(async () => {
    for (const pool of pools) await pool.end();
    await admin.end();
  });

  it('hears its channel, reconnects after its connection is cut and says so, and stop closes it', async () => {
    const name = `listen-${Date.now().toString(36)}`;
    const channel = `test_${name.replace(/-/g, '_')}`;
    const { heard, warned, reconnected, options } = recorder();
    const connection = await startListening(named(name), channel, options);
    expect(connection.listening).toBe(true);
    await admin.query('SELECT pg_notify($1, $2)', [channel, 'one']);
    await eventually(async () => heard, (payloads) => payloads.includes('one'));

    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
    await eventually(async () => reconnected(), (n) => n === 1);
    expect(connection.listening).toBe(true);
    expect(warned).toContain('test feed: listening connection closed; reconnecting');
    await admin.query('SELECT pg_notify($1, $2)', [channel, 'two']);
    await eventually(async () => heard, (payloads) => payloads.includes('two'));

    await connection.stop();
    expect(connection.listening).toBe(false);
    await eventually(() => connectionsOf(name), (n) => n === 0);
  });

  it('stopped while waiting to reconnect, it opens nothing more', async () => {
    const name = `listen-stop-${Date.now().toString(36)}`;
    const { reconnected, options } = recorder();
    const connection = await startListening(named(name), `test_${name.replace(/-/g, '_')}`, options);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
    await eventually(async () => connection.listening, (listening) => !listening);
    await connection.stop();
    // The first retry would have come after 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect({ reconnected: reconnected(), open: await connectionsOf(name) }).toEqual({ reconnected: 0, open: 0 });
  });

  it('a first LISTEN that fails is thrown, leaving no connection; with keepTrying it is said, and retried until stopped', async () => {
    const name = `listen-bad-${Date.now().toString(36)}`;
    const { warned, options } = recorder();
    // Not an identifier: LISTEN fails after the connection is open.
    await expect(startListening(named(name), 'not a channel', options)).rejects.toThrow(/syntax error/);
    expect(await connectionsOf(name)).toBe(0);

    const trying = await startListening(named(name), 'not a channel', { ...options, keepTrying: { meanwhile: 'caches expire meanwhile' } });
    expect(trying.listening).toBe(false);
    expect(warned).toEqual([expect.stringMatching(/^test feed: LISTEN failed \(syntax error.*\); caches expire meanwhile$/)]);
    await trying.stop();
    await eventually(() => connectionsOf(name), (n) => n === 0);
  });
});
