import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminTokenRepository } from '../../db/admin-token-repository';
import { allows, bearerToken } from '../../privacy/admin-token';
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

/** The cookie `POST /codec/login` sets: the Web UI sends it when "Include cross-origin credentials" is on. */
export const CODEC_COOKIE = 'beckon_codec';

const cookieToken = (header: string | undefined): string | undefined =>
  header
    ?.split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === CODEC_COOKIE)?.[1];

const LOGIN_PAGE = `<!doctype html><meta charset="utf-8"><title>Beckon codec login</title>
<form method="post" action="/codec/login"><p>Admin token (read scope) to let the Temporal Web UI decrypt payloads in this browser:</p>
<input name="token" type="password" size="70" autofocus> <button>Log in</button></form>`;

/**
 * A codec server for the Temporal Web UI (`POST /codec/decode`), so that operators can read the
 * payloads Beckon encrypts, with the same keys as the workers (users' data keys included). It
 * reveals personal data, so it needs an operator's admin token with the read scope: as
 * `Authorization: Bearer` (a proxy, the CLI) or as the HttpOnly cookie that `/codec/login` sets,
 * which the Web UI sends with "Include cross-origin credentials" ticked in its codec settings. It
 * answers only the configured UI origin (CODEC_UI_ORIGIN) for the browser's CORS check.
 */
export function codecRoutes(app: FastifyInstance, codec: PayloadCodec, uiOrigin: string, tokens: AdminTokenRepository): void {
  // The same UI is reached as 127.0.0.1 or localhost; both name this one origin.
  const origins = new Set([uiOrigin, uiOrigin.replace('//127.0.0.1', '//localhost'), uiOrigin.replace('//localhost', '//127.0.0.1')]);
  const cors = (origin: string | undefined) => ({
    'access-control-allow-origin': origin && origins.has(origin) ? origin : uiOrigin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, x-namespace, authorization',
    'access-control-allow-credentials': 'true',
    vary: 'origin',
  });
  const operator = async (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization) ?? cookieToken(request.headers.cookie);
    const record = token ? await tokens.verify(token) : undefined;
    return record && allows(record.scopes, 'read') ? record : undefined;
  };

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.get('/codec/login', async (_request, reply) => reply.type('text/html').send(LOGIN_PAGE));
  app.post('/codec/login', async (request, reply) => {
    const { token } = parse(z.object({ token: z.string({ error: 'is required' }).min(1, 'is required') }), request.body);
    const record = await tokens.verify(token);
    if (!record || !allows(record.scopes, 'read')) {
      return reply.status(401).send({ error: 'unauthorized', message: 'The token is unknown, revoked, or lacks the read scope.' });
    }
    // SameSite=Strict still reaches the API from the UI: ports do not make another site.
    const cookie = `${CODEC_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/codec; Max-Age=43200${request.protocol === 'https' ? '; Secure' : ''}`;
    return reply.header('set-cookie', cookie).type('text/html').send(`<p>Logged in as "${record.name}" for 12 hours: the Web UI can decrypt payloads in this browser.</p>`);
  });
  app.options('/codec/decode', async (request, reply) => reply.status(204).headers(cors(request.headers.origin)).send());
  const doc = describeRoute({
    summary: 'Decrypts payloads for the Temporal Web UI (codec server); needs an admin token (read)',
    tags: ['operations'],
    body: jsonPayloads,
    responses: { 400: 'A payload is not base64 or cannot be decrypted (its user was erased, or another deployment key)', 401: 'No admin token with the read scope' },
  });
  app.post('/codec/decode', doc, async (request, reply) => {
    if (!(await operator(request))) {
      return reply
        .status(401)
        .headers(cors(request.headers.origin))
        .send({ error: 'unauthorized', message: 'Send an admin token (read scope) as Authorization: Bearer, or log in at /codec/login' });
    }
    const { payloads } = parse(jsonPayloads, request.body);
    const decoded = await codec.decode(payloads.map(fromJson)).catch((err: Error) => {
      throw new ValidationError([{ path: 'payloads', reason: `cannot be decrypted: ${err.message}` }]);
    });
    return reply.headers(cors(request.headers.origin)).send({ payloads: decoded.map(toJson) });
  });
}
