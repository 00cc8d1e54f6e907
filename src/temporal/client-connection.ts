import { Client, Connection } from '@temporalio/client';
import type { DataConverter, PayloadCodec } from '@temporalio/common';

/** Where the failure converter that encodes failure messages lives; every client, worker and workflow bundle names it. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** Beckon's data converter: the payload codec, and failures whose messages and stacks the codec encrypts. */
export function beckonDataConverter(payloadCodec?: PayloadCodec): DataConverter {
  return { failureConverterPath: FAILURE_CONVERTER_PATH, ...(payloadCodec && { payloadCodecs: [payloadCodec] }) };
}

/** Connects a Temporal client, retrying while a just-started server comes up. */
export async function connectClient(options: {
  address: string;
  namespace: string;
  /** How long to keep trying before giving up. */
  waitMs?: number;
  /** Encrypts what the client sends and decrypts what it reads (src/temporal/payload-codec.ts). */
  payloadCodec?: PayloadCodec;
}): Promise<Client> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    try {
      const connection = await Connection.connect({ address: options.address, connectTimeout: '5s' });
      return new Client({ connection, namespace: options.namespace, dataConverter: beckonDataConverter(options.payloadCodec) });
    } catch (err) {
      if (Date.now() >= deadline) {
        throw new Error(`cannot reach Temporal at ${options.address}: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
