import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { AdminScope } from '../../privacy/admin-token';
import { requireScope } from '../auth/admin-auth';
import type { ApiDeps } from '../deps';
import { errorHandler } from '../errors';
import { describeOpsRoute, type RouteDoc } from '../openapi';
import { opsAdminRoutes } from './ops-admin-routes';
import { opsCampaignRoutes } from './ops-campaign-routes';
import { opsStatsRoutes } from './ops-stats-routes';
import { opsUserRoutes } from './ops-user-routes';

/** Named errors of the ops layer, each with its HTTP status; the message says what to do. */
const OPS_ERRORS: Record<string, string> = {
  CampaignNotFoundError: 'not_found',
  CampaignVersionNotFoundError: 'not_found',
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

/** An ops route's options: the guard of its scope and its description in the OpenAPI document. */
export type OpsRoute = (scope: AdminScope, doc: Omit<RouteDoc, 'auth' | 'tags'>) => RouteShorthandOptions;

/** The ops API under /v1/ops: every route needs an admin token with the route's scope. */
export function opsRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance) => {
    app.setErrorHandler(opsErrorHandler);
    const tokens = deps.adminTokens;
    const guard: OpsRoute = (scope, doc) => ({ preHandler: requireScope(tokens, scope), ...describeOpsRoute(scope, doc) });
    opsCampaignRoutes(app, deps.campaignOps, deps.rerunOps, guard);
    opsUserRoutes(app, deps, deps.userOps, deps.privacyOps, guard);
    opsStatsRoutes(app, deps.campaignStatsOps, guard);
    opsAdminRoutes(app, deps, tokens, guard);
  };
}
