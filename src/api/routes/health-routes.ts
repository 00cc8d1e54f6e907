import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps';
import { describeRoute } from '../openapi';

/** `GET /healthz`: 200 when Postgres and Temporal answer, else 503 naming the one that did not. */
export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const doc = describeRoute({
    summary: 'Whether Postgres and Temporal answer',
    tags: ['operations'],
    responses: { 503: 'Postgres or Temporal does not answer; the body names which' },
  });
  app.get('/healthz', doc, async (_request, reply) => {
    const checks = await Promise.allSettled([
      deps.health.ping(),
      // Bounded, so a Temporal outage answers 503 now rather than after the client's retries.
      deps.temporal.withDeadline(Date.now() + 3_000, () => deps.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const [postgres, temporal] = checks.map((check) => (check.status === 'fulfilled' ? 'ok' : 'unavailable'));
    const healthy = postgres === 'ok' && temporal === 'ok';
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', postgres, temporal });
  });
}
