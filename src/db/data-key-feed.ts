import { Client, type Notification, type Pool } from 'pg';
import { DATA_KEY_DESTROYED_CHANNEL } from './data-key-repository';

/** What a process does when a user's data key is destroyed anywhere (see DataKeyRepository.destroy). */
export interface DataKeyDestructionHandlers {
  /** These keys (ids as stored) were destroyed: drop them from every cache. */
  destroyed(keyIds: string[]): void;
  /** Notifications may have been missed (the listening connection dropped and is back): drop every cached key. */
  missed(): void;
}

export interface DataKeyFeed {
  /** Whether the listening connection is up right now. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * One per process: a connection of its own LISTENs for destroyed data keys, so an erasure in one
 * process makes the key unusable in every other at once, not only when their caches expire. It
 * reconnects when it drops and then reports the gap; where LISTEN cannot work (a pooler in
 * transaction mode) it keeps retrying and the caches' expiry is the bound.
 */
export async function startDataKeyFeed(
  pool: Pool,
  handlers: DataKeyDestructionHandlers,
  log: { warn(message: string): void } = { warn: () => {} },
): Promise<DataKeyFeed> {
  let stopped = false;
  let client: Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const onNotification = (message: Notification): void => {
    if (message.channel === DATA_KEY_DESTROYED_CHANNEL && message.payload) handlers.destroyed([message.payload]);
  };

  const connect = async (attempt: number): Promise<void> => {
    const next = new Client(pool.options);
    next.on('notification', onNotification);
    next.on('error', (err) => log.warn(`data keys: listening connection failed (${err.message})`));
    next.on('end', () => {
      if (client === next && !stopped) {
        log.warn('data keys: listening connection closed; reconnecting');
        reconnect(1);
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${DATA_KEY_DESTROYED_CHANNEL}`);
    } catch (err) {
      await next.end().catch(() => {});
      throw err;
    }
    if (stopped) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    // Keys destroyed while nobody listened here were not heard of: forget them all, the next use reloads.
    if (attempt > 0) handlers.missed();
  };

  const reconnect = (attempt: number): void => {
    client = undefined;
    retryTimer = setTimeout(() => {
      if (stopped) return;
      connect(attempt).catch((err: Error) => {
        log.warn(`data keys: cannot listen yet (${err.message})`);
        reconnect(attempt + 1);
      });
    }, Math.min(30_000, 500 * 2 ** attempt));
    retryTimer.unref();
  };

  await connect(0).catch((err: Error) => {
    log.warn(`data keys: LISTEN failed (${err.message}); destroyed keys leave other processes' caches when they expire`);
    reconnect(1);
  });

  return {
    get listening() {
      return client !== undefined;
    },
    async close() {
      stopped = true;
      clearTimeout(retryTimer);
      const last = client;
      client = undefined;
      await last?.end().catch(() => {});
    },
  };
}
