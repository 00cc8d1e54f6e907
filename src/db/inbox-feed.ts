import { randomUUID } from 'node:crypto';
import type { Notification, Pool } from 'pg';
import { startListening, type ListeningConnection } from './listening-connection';
import { runPeriodically } from '../util/periodic';

/** The channel the inbox trigger (migration 6) notifies on commit, with `<pseudonym> <id>`. */
const CHANNEL = 'beckon_inbox';

export type FeedMode = 'listen' | 'poll';

/** Called when the user's inbox may have new messages; `ids` names them when the feed knows. */
export type InboxChange = (ids?: string[]) => void;

export interface InboxFeed {
  readonly mode: FeedMode;
  /** Calls `onChange` for every commit of a message to the user's inbox; returns the unsubscribe function. */
  subscribe(pseudonym: string, onChange: InboxChange): () => void;
  close(): Promise<void>;
}

export interface InboxFeedOptions {
  /** `auto` listens when a probe notification comes back, else polls (a pooler in transaction mode does not deliver notifications to listeners). */
  mode?: FeedMode | 'auto';
  pollIntervalMs?: number;
  probeTimeoutMs?: number;
  log?: { info(message: string): void; warn(message: string): void };
}

type Subscribers = Map<string, Set<InboxChange>>;

function notify(subscribers: Subscribers, pseudonym: string, ids?: string[]): void {
  for (const onChange of subscribers.get(pseudonym) ?? []) onChange(ids);
}

function notifyAll(subscribers: Subscribers): void {
  for (const pseudonym of subscribers.keys()) notify(subscribers, pseudonym);
}

/**
 * One per API process: a single Postgres connection LISTENs for new inbox messages and fans them out
 * to the live streams of this process. Where notifications do not arrive, one query per interval
 * serves every stream instead.
 */
export async function startInboxFeed(pool: Pool, options: InboxFeedOptions = {}): Promise<InboxFeed> {
  const subscribers: Subscribers = new Map();
  const log = options.log ?? { info: () => {}, warn: () => {} };
  const mode = options.mode ?? 'auto';
  const stopListening = mode === 'poll' ? undefined : await listen(pool, subscribers, log, options.probeTimeoutMs ?? 3_000, mode === 'listen');
  if (mode === 'listen' && !stopListening) throw new Error('Postgres notifications do not reach a listener on this database');
  if (mode === 'auto' && !stopListening) log.info('inbox streams: Postgres notifications do not reach a listener here (a pooler in transaction mode?); polling instead');
  const stopPolling = stopListening ? undefined : poll(pool, subscribers, options.pollIntervalMs ?? 1_000, log);

  return {
    mode: stopListening ? 'listen' : 'poll',
    subscribe(pseudonym, onChange) {
      const set = subscribers.get(pseudonym) ?? new Set<InboxChange>();
      set.add(onChange);
      subscribers.set(pseudonym, set);
      return () => {
        set.delete(onChange);
        if (set.size === 0 && subscribers.get(pseudonym) === set) subscribers.delete(pseudonym);
      };
    },
    async close() {
      await stopListening?.();
      await stopPolling?.();
    },
  };
}

/**
 * LISTENs on a connection of its own, reconnecting when it drops (streams then catch up from their cursor).
 * First checks that a probe notification comes back, and answers undefined when it does not (or, unless
 * `required`, when LISTEN fails).
 */
async function listen(
  pool: Pool,
  subscribers: Subscribers,
  log: NonNullable<InboxFeedOptions['log']>,
  probeTimeoutMs: number,
  required: boolean,
): Promise<(() => Promise<void>) | undefined> {
  const probe = `probe ${randomUUID()}`;
  let probeArrived: () => void = () => {};
  const probed = new Promise<void>((resolve) => (probeArrived = resolve));

  let connection: ListeningConnection;
  try {
    connection = await startListening(pool, CHANNEL, {
      label: 'inbox streams',
      log,
      onNotification: (message: Notification) => {
        const payload = message.payload ?? '';
        if (payload === probe) return probeArrived();
        const [pseudonym, id] = payload.split(' ');
        if (pseudonym && id) notify(subscribers, pseudonym, [id]);
      },
      // Whatever was committed while no connection listened: every stream re-reads from its cursor.
      onReconnected: () => notifyAll(subscribers),
    });
  } catch (err) {
    if (required) throw err;
    log.warn(`inbox streams: LISTEN failed (${(err as Error).message})`);
    return undefined;
  }
  const stop = () => connection.stop();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), probeTimeoutMs)));
  const outcome = await pool
    .query('SELECT pg_notify($1, $2)', [CHANNEL, probe])
    .then(() => Promise.race([probed.then(() => 'arrived' as const), timedOut]))
    .finally(() => clearTimeout(timer))
    .catch(async (err: unknown) => {
      await stop();
      throw err;
    });
  if (outcome === 'timeout') {
    await stop();
    return undefined;
  }
  return stop;
}

/** Every interval, one query for all subscribed users; a change of a user's newest id or count wakes that user's streams. */
function poll(pool: Pool, subscribers: Subscribers, intervalMs: number, log: NonNullable<InboxFeedOptions['log']>): () => Promise<void> {
  const last = new Map<string, string>();
  const round = async (): Promise<void> => {
    const pseudonyms = [...subscribers.keys()];
    for (const known of last.keys()) if (!subscribers.has(known)) last.delete(known);
    if (pseudonyms.length === 0) return;
    const result = await pool.query<{ pseudonym: string; fingerprint: string }>(
      `SELECT pseudonym, max(id)::text || '/' || count(*)::text AS fingerprint
       FROM inbox_messages WHERE pseudonym = ANY($1::text[]) GROUP BY pseudonym`,
      [pseudonyms],
    );
    for (const { pseudonym, fingerprint } of result.rows) {
      const previous = last.get(pseudonym);
      last.set(pseudonym, fingerprint);
      // A user's first round wakes too: a message may have landed between the stream's opening read and this round.
      if (previous !== fingerprint) notify(subscribers, pseudonym);
    }
  };
  return runPeriodically(intervalMs, round, (err) => log.warn(`inbox streams: poll failed (${err.message})`));
}
