import type { FastifyInstance } from 'fastify';
import type { AdminTokenRepository } from '../../db/admin-token-repository';
import { describeBatch } from '../../temporal/batch-operations';
import type { ApiDeps } from '../deps';
import { batchParams, createTokenBody, tokenParams } from '../schemas/ops-schemas';
import { parse } from '../validate';
import type { OpsRoute } from './ops-routes';

/** `/v1/ops/whoami` (the token's own name and scopes), `/v1/ops/batches/:jobId` (progress of a cancel or resume) and `/v1/ops/tokens` (admin tokens, admin scope). */
export function opsAdminRoutes(app: FastifyInstance, deps: ApiDeps, tokens: AdminTokenRepository, route: OpsRoute): void {
  // Any valid token passes `read`; the console shows the operate actions only when the scopes allow them.
  const whoamiDoc = { summary: "The calling token's id, name and scopes (the console shows operate actions only when they allow them)" };
  app.get('/whoami', route('read', whoamiDoc), async (request) => {
    const { id, name, scopes } = request.adminToken!;
    return { id, name, scopes };
  });

  const batchDoc = { summary: 'Progress of a batch operation (a campaign cancel, resume or re-run)', params: batchParams, responses: { 404: 'No batch operation with this id' } };
  app.get('/batches/:jobId', route('read', batchDoc), async (request, reply) => {
    const { jobId } = parse(batchParams, request.params, 'params');
    const progress = await describeBatch(deps.temporal, jobId);
    if (!progress) return reply.status(404).send({ error: 'not_found', message: `no batch operation ${jobId}` });
    return progress;
  });

  app.get('/tokens', route('admin', { summary: 'The admin tokens, revoked ones included; never their secrets' }), async () => ({ tokens: await tokens.list() }));

  const createDoc = { summary: 'Makes an admin token (201); the answer is the only time its secret is shown', body: createTokenBody };
  app.post('/tokens', route('admin', createDoc), async (request, reply) => {
    const body = parse(createTokenBody, request.body);
    const created = await tokens.create(body.name, body.scopes);
    return reply.status(201).send({ ...created.record, token: created.token });
  });

  const revokeDoc = { summary: 'Revokes an admin token for good (204)', params: tokenParams, responses: { 404: 'No active token with this id' } };
  app.delete('/tokens/:tokenId', route('admin', revokeDoc), async (request, reply) => {
    const { tokenId } = parse(tokenParams, request.params, 'params');
    if (!(await tokens.revoke(tokenId))) return reply.status(404).send({ error: 'not_found', message: `no active token ${tokenId}` });
    return reply.status(204).send();
  });
}
