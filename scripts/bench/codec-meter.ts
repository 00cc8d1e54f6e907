import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { oneDecimal } from './stats';

/** What one side's codec did: calls, payloads and bytes each way, and the ms spent inside its calls. */
export interface CodecTally {
  encodeCalls: number;
  encoded: number;
  encodedBytes: number;
  encodeMs: number;
  decodeCalls: number;
  decoded: number;
  decodedBytes: number;
  decodeMs: number;
}

const emptyTally = (): CodecTally => ({ encodeCalls: 0, encoded: 0, encodedBytes: 0, encodeMs: 0, decodeCalls: 0, decoded: 0, decodedBytes: 0, decodeMs: 0 });
const bytesOf = (payloads: Payload[]) => payloads.reduce((sum, p) => sum + (p.data?.length ?? 0), 0);

/**
 * A codec that counts what goes through it before handing it on. The ms are wall time inside each call
 * (a key look-up's round trip to Postgres included, and whatever else the event loop ran meanwhile): an
 * upper bound of the codec's CPU; `codecCpuPerPayload` gives the pure crypto's.
 */
export function meteredCodec<T extends PayloadCodec>(inner: T): { codec: T; tally: () => CodecTally } {
  const tally = emptyTally();
  // On the codec's own prototype chain: still an EncryptionCodec to the API and the worker (key destructions, forgetUsers).
  const codec = Object.create(inner) as T;
  Object.assign(codec, {
    async encode(payloads: Payload[], context?: SerializationContext) {
      const started = performance.now();
      try {
        return await inner.encode(payloads, context);
      } finally {
        tally.encodeMs += performance.now() - started;
        tally.encodeCalls += 1;
        tally.encoded += payloads.length;
        tally.encodedBytes += bytesOf(payloads);
      }
    },
    async decode(payloads: Payload[]) {
      const started = performance.now();
      try {
        return await inner.decode(payloads);
      } finally {
        tally.decodeMs += performance.now() - started;
        tally.decodeCalls += 1;
        tally.decoded += payloads.length;
        tally.decodedBytes += bytesOf(payloads);
      }
    },
  });
  return { codec, tally: () => ({ ...tally }) };
}

/** What a side's codec did per unit of work between two tallies (bytes are per payload). */
export function codecPer(before: CodecTally, after: CodecTally, units: number) {
  const d = (key: keyof CodecTally) => after[key] - before[key];
  const per = (n: number) => oneDecimal(n / Math.max(units, 1));
  return {
    encoded: per(d('encoded')),
    decoded: per(d('decoded')),
    bytesPerEncoded: d('encoded') > 0 ? Math.round(d('encodedBytes') / d('encoded')) : 0,
    bytesPerDecoded: d('decoded') > 0 ? Math.round(d('decodedBytes') / d('decoded')) : 0,
    wallMs: oneDecimal((d('encodeMs') + d('decodeMs')) / Math.max(units, 1)),
  };
}

/**
 * The codec's CPU per payload of `bytes` bytes, with its key at hand (the deployment key: no look-up),
 * encode and decode: the crypto and protobuf work alone, measured by the process's CPU over `rounds`.
 */
export async function codecCpuPerPayload(codec: PayloadCodec, bytes: number, rounds = 2000): Promise<{ encodeMs: number; decodeMs: number }> {
  const payload: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.alloc(Math.max(bytes, 1), 'x') };
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let encoded: Payload[] = [];
  const encodeStart = cpuMs();
  for (let i = 0; i < rounds; i++) encoded = await codec.encode([payload]);
  const encodeMs = cpuMs() - encodeStart;
  const decodeStart = cpuMs();
  for (let i = 0; i < rounds; i++) await codec.decode(encoded);
  const decodeMs = cpuMs() - decodeStart;
  return { encodeMs: Math.round((encodeMs / rounds) * 1000) / 1000, decodeMs: Math.round((decodeMs / rounds) * 1000) / 1000 };
}
