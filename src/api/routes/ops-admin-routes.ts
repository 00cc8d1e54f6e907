import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { AdminTokenRepository } from '../../db/admin-token-repository';
import type { AdminScope } from '../../privacy/admin-token';
import { describeBatch } from '../../temporal/batch-operations';
import type { ApiDeps } from '../deps';
import { batchParams, createTokenBody, tokenParams } from '../schemas/ops-schemas';
import { parse } from '../validate';

/** `/v1/ops/whoami` (the token's own name and scopes), `/v1/ops/batches/:jobId` (progress of a cancel or resume) and `/v1/ops/tokens` (admin tokens, admin scope). */
export function opsAdminRoutes(app: FastifyInstance, deps: ApiDeps, tokens: AdminTokenRepository, guard: (needed: AdminScope) => RouteShorthandOptions): void {
  // Any valid token passes `read`; the console shows the operate actions only when the scopes allow them.
  app.get('/whoami', guard('read'), async (request) => {
    const { id, name, scopes } = request.adminToken!;
    return { id, name, scopes };
  });

  app.get('/batches/:jobId', guard('read'), async (request, reply) => {
    const { jobId } = parse(batchParams, request.params, 'params');
    const progress = await describeBatch(deps.temporal, jobId);
    if (!progress) return reply.status(404).send({ error: 'not_found', message: `no batch operation ${jobId}` });
    return progress;
  });

  app.get('/tokens', guard('admin'), async () => ({ tokens: await tokens.list() }));

  app.post('/tokens', guard('admin'), async (request, reply) => {
    const body = parse(createTokenBody, request.body);
    const created = await tokens.create(body.name, body.scopes);
    return reply.status(201).send({ ...created.record, token: created.token });
  });

  app.delete('/tokens/:tokenId', guard('admin'), async (request, reply) => {
    const { tokenId } = parse(tokenParams, request.params, 'params');
    if (!(await tokens.revoke(tokenId))) return reply.status(404).send({ error: 'not_found', message: `no active token ${tokenId}` });
    return reply.status(204).send();
  });
}
