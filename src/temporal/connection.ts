import { Client, Connection } from '@temporalio/client';

/** Connects a Temporal client, retrying while a just-started server comes up. */
export async function connectClient(options: {
  address: string;
  namespace: string;
  /** How long to keep trying before giving up. */
  waitMs?: number;
}): Promise<Client> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    try {
      const connection = await Connection.connect({ address: options.address, connectTimeout: '5s' });
      return new Client({ connection, namespace: options.namespace });
    } catch (err) {
      if (Date.now() >= deadline) {
        throw new Error(`cannot reach Temporal at ${options.address}: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
