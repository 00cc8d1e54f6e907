import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AdminTokenRecord, AdminTokenRepository } from '../../db/admin-token-repository';
import { allows, bearerToken, type AdminScope } from '../../privacy/admin-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin token that authorised an ops request. */
    adminToken?: AdminTokenRecord;
  }
}

/**
 * A preHandler that lets a request through only with `Authorization: Bearer <admin token>` carrying
 * `scope` (or a broader one): 401 without a valid token, 403 with one that lacks the scope.
 */
export function requireScope(tokens: AdminTokenRepository, scope: AdminScope): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request.headers.authorization);
    const record = token ? await tokens.verify(token) : undefined;
    if (!record) {
      return reply
        .status(401)
        .header('WWW-Authenticate', 'Bearer realm="beckon-ops"')
        .send({
          error: 'unauthorized',
          message: token
            ? 'The admin token is unknown or revoked; create one with `beckon tokens create` (npm start prints a dev token).'
            : 'Send an admin token as `Authorization: Bearer <token>`; `npm start` prints a dev token, `beckon tokens create` makes one.',
        });
    }
    if (!allows(record.scopes, scope)) {
      return reply.status(403).send({
        error: 'forbidden',
        message: `This route needs the "${scope}" scope; token "${record.name}" has ${record.scopes.map((s) => `"${s}"`).join(', ')}.`,
      });
    }
    request.adminToken = record;
  };
}
