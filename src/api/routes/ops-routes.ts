import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAdminTokenRepository } from '../../db/admin-token-repository';
import { createCampaignOps } from '../../ops/campaign-ops';
import { createPrivacyOps } from '../../ops/privacy-ops';
import { createRerunOps } from '../../ops/rerun-ops';
import { createUserOps } from '../../ops/user-ops';
import type { AdminScope } from '../../privacy/admin-token';
import { requireScope } from '../auth/admin-auth';
import type { ApiDeps } from '../deps';
import { errorHandler } from '../errors';
import { opsAdminRoutes } from './ops-admin-routes';
import { opsCampaignRoutes } from './ops-campaign-routes';
import { opsUserRoutes } from './ops-user-routes';

/** Named errors of the ops layer, each with its HTTP status; the message says what to do. */
const OPS_ERRORS: Record<string, string> = {
  CampaignNotFoundError: 'not_found',
  WorkflowMissingError: 'not_found',
  LifecycleConflictError: 'conflict',
  WorkflowStateError: 'conflict',
  BatchBusyError: 'busy',
};

function opsErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const code = OPS_ERRORS[error.name];
  if (code) {
    void reply.status((error as { statusCode?: number }).statusCode ?? 400).send({ error: code, message: error.message });
    return;
  }
  errorHandler(error, request, reply);
}

/** The ops API under /v1/ops: every route needs an admin token with the route's scope. */
export function opsRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance) => {
    app.setErrorHandler(opsErrorHandler);
    const tokens = createAdminTokenRepository(deps.pool);
    const guard = (scope: AdminScope) => ({ preHandler: requireScope(tokens, scope) });
    opsCampaignRoutes(app, createCampaignOps(deps), createRerunOps(deps), guard);
    const userOps = createUserOps(deps);
    opsUserRoutes(app, deps, userOps, createPrivacyOps({ ...deps, userOps }), guard);
    opsAdminRoutes(app, deps, tokens, guard);
  };
}
