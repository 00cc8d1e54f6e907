import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';

/** Connects a Temporal client, retrying while a just-started server comes up. */
export async function connectClient(options: {
  address: string;
  namespace: string;
  /** How long to keep trying before giving up. */
  waitMs?: number;
  /** Encrypts what the client sends and decrypts what it reads (src/temporal/codec.ts). */
  payloadCodec?: PayloadCodec;
}): Promise<Client> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    try {
      const connection = await Connection.connect({ address: options.address, connectTimeout: '5s' });
      const dataConverter = options.payloadCodec ? { payloadCodecs: [options.payloadCodec] } : undefined;
      return new Client({ connection, namespace: options.namespace, dataConverter });
    } catch (err) {
      if (Date.now() >= deadline) {
        throw new Error(`cannot reach Temporal at ${options.address}: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
