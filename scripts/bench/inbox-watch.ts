import { Client } from 'pg';

export interface InboxWatch {
  /** Resolves with performance.now() when the next inbox message for `pseudonym` is committed. */
  next(pseudonym: string, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Listens on the inbox's NOTIFY channel (sent by a trigger, delivered only on commit), so the
 * time a message is seen here is the time it became visible to readers, not the time it was written.
 */
export async function watchInbox(databaseUrl: string): Promise<InboxWatch> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const waiting = new Map<string, (at: number) => void>();
  client.on('notification', (message) => {
    const at = performance.now();
    const pseudonym = message.payload?.split(' ')[0];
    if (!pseudonym) return;
    waiting.get(pseudonym)?.(at);
    waiting.delete(pseudonym);
  });
  await client.query('LISTEN beckon_inbox');
  return {
    next(pseudonym, timeoutMs = 30_000) {
      if (waiting.has(pseudonym)) return Promise.reject(new Error(`already waiting for ${pseudonym}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(pseudonym);
          reject(new Error(`no inbox message for ${pseudonym} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(pseudonym, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
    stop: () => client.end(),
  };
}
