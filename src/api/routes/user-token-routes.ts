import type { FastifyInstance } from 'fastify';
import { mintUserToken } from '../../privacy/user-token';
import type { ClientAuth } from '../auth/client-auth';
import { describeRoute } from '../openapi';
import { userParams } from '../schemas/common-schemas';
import { userTokenBody } from '../schemas/user-token-schemas';
import { parse } from '../validate';

/**
 * `POST /v1/users/:userId/token`: a user token made by Beckon, for an app's server that would rather
 * not compute the HMAC itself (the README shows how to). Takes the signing key, never a user's token.
 */
export function userTokenRoutes(app: FastifyInstance, auth: ClientAuth): void {
  const doc = describeRoute({
    summary: "A user token for this user, signed with the source's newest signing key (for the app's server)",
    description: 'The token opens this user\'s inbox, stream and consent routes; `expiresIn` seconds (default 3600), or null for one that lasts until the key is rotated out.',
    tags: ['users'],
    params: userParams,
    body: userTokenBody,
    auth: 'signingKey',
    responses: { 400: 'A bad user ID or expiresIn', 401: 'No signing key, or one unknown, rotated out or revoked' },
  });
  app.post('/v1/users/:userId/token', { ...doc, preHandler: auth.requireSigningKey() }, async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const { expiresIn } = parse(userTokenBody, request.body ?? undefined, 'body');
    const expiresAt = expiresIn === null ? undefined : Math.floor(Date.now() / 1000) + expiresIn;
    const token = mintUserToken(request.client!.signingKey!, userId, { expiresAt });
    return { userId, token, expiresAt: expiresAt === undefined ? null : new Date(expiresAt * 1000).toISOString() };
  });
}
