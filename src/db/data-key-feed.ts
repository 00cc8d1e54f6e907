import type { Pool } from 'pg';
import { DATA_KEY_DESTROYED_CHANNEL } from './data-key-repository';
import { startListening } from './listening-connection';

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
  const connection = await startListening(pool, DATA_KEY_DESTROYED_CHANNEL, {
    label: 'data keys',
    log,
    // The connection listens on this channel alone.
    onNotification: (message) => {
      if (message.payload) handlers.destroyed([message.payload]);
    },
    // Keys destroyed while nobody listened here were not heard of: forget them all, the next use reloads.
    onReconnected: () => handlers.missed(),
    keepTrying: { meanwhile: "destroyed keys leave other processes' caches when they expire" },
  });
  return {
    get listening() {
      return connection.listening;
    },
    close: () => connection.stop(),
  };
}
