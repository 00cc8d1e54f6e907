import { Client, type Notification, type Pool } from 'pg';

export interface ListeningConnection {
  /** Whether a connection is listening right now. */
  readonly listening: boolean;
  /** Stops listening and reconnecting; a connection still being opened is closed as soon as it is up. */
  stop(): Promise<void>;
}

export interface ListenOptions {
  /** Names the feed in log lines ("inbox streams", "data keys"). */
  label: string;
  onNotification(message: Notification): void;
  /** A connection listens again after a drop: what was notified in between was missed. */
  onReconnected(): void;
  log: { warn(message: string): void };
  /**
   * When the first LISTEN fails: keep retrying in the background (with this said in the warning, e.g. what
   * bounds the gap meanwhile), rather than throwing to the caller.
   */
  keepTrying?: { meanwhile: string };
}

/**
 * LISTENs on `channel` on a connection of its own (a pooled one would be handed to other queries),
 * reconnecting with backoff when it drops, for as long as it is not stopped.
 */
export async function startListening(pool: Pool, channel: string, options: ListenOptions): Promise<ListeningConnection> {
  const { label, log } = options;
  let stopped = false;
  let client: Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const connect = async (attempt: number): Promise<void> => {
    const next = new Client(pool.options);
    next.on('notification', (message) => options.onNotification(message));
    next.on('error', (err) => log.warn(`${label}: listening connection failed (${err.message})`));
    next.on('end', () => {
      if (client === next && !stopped) {
        log.warn(`${label}: listening connection closed; reconnecting`);
        reconnect(1);
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (err) {
      await next.end().catch(() => {});
      throw err;
    }
    // Stopped while this connection was being opened: it is nobody's to close later.
    if (stopped) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    if (attempt > 0) options.onReconnected();
  };

  const reconnect = (attempt: number): void => {
    client = undefined;
    retryTimer = setTimeout(() => {
      if (stopped) return;
      connect(attempt).catch((err: Error) => {
        log.warn(`${label}: cannot listen yet (${err.message})`);
        reconnect(attempt + 1);
      });
    }, Math.min(30_000, 500 * 2 ** attempt));
    retryTimer.unref();
  };

  try {
    await connect(0);
  } catch (err) {
    if (!options.keepTrying) throw err;
    log.warn(`${label}: LISTEN failed (${(err as Error).message}); ${options.keepTrying.meanwhile}`);
    reconnect(1);
  }

  return {
    get listening() {
      return client !== undefined;
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      const last = client;
      client = undefined;
      await last?.end().catch(() => {});
    },
  };
}
