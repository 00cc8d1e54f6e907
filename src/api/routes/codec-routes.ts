import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { describeRoute } from '../openapi';
import { parse } from '../validate';

/** A payload as the Web UI sends it: proto3 JSON, bytes in base64. */
const jsonPayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.base64({ message: 'must be base64' })).default({}),
      data: z.base64({ message: 'must be base64' }).default(''),
    }),
    { error: 'must be a list of payloads' },
  ),
});

const fromJson = (payload: z.infer<typeof jsonPayloads>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(payload.data, 'base64'),
});

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

/**
 * A codec server for the Temporal Web UI (`POST /codec/decode`), so that operators can read the
 * payloads Beckon encrypts. It reveals personal data: it answers only the one UI origin configured
 * (CODEC_UI_ORIGIN), and in production belongs behind the operators' network or proxy.
 */
export function codecRoutes(app: FastifyInstance, codec: PayloadCodec, uiOrigin: string): void {
  // The same UI is reached as 127.0.0.1 or localhost; both name this one origin.
  const origins = new Set([uiOrigin, uiOrigin.replace('//127.0.0.1', '//localhost'), uiOrigin.replace('//localhost', '//127.0.0.1')]);
  const cors = (origin: string | undefined) => ({
    'access-control-allow-origin': origin && origins.has(origin) ? origin : uiOrigin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, x-namespace, authorization',
    'access-control-allow-credentials': 'true',
    vary: 'origin',
  });
  app.options('/codec/decode', async (request, reply) => reply.status(204).headers(cors(request.headers.origin)).send());
  const doc = describeRoute({
    summary: 'Decrypts payloads for the Temporal Web UI (codec server)',
    tags: ['operations'],
    body: jsonPayloads,
    responses: { 400: 'A payload is not base64 or cannot be decrypted with this deployment key' },
  });
  app.post('/codec/decode', doc, async (request, reply) => {
    const { payloads } = parse(jsonPayloads, request.body);
    const decoded = await codec.decode(payloads.map(fromJson)).catch((err: Error) => {
      throw new ValidationError([{ path: 'payloads', reason: `cannot be decrypted: ${err.message}` }]);
    });
    return reply.headers(cors(request.headers.origin)).send({ payloads: decoded.map(toJson) });
  });
}
