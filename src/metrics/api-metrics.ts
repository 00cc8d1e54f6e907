import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What one API process counts; the registry is made by the entry point (src/api.ts) and scraped at GET /metrics. */
export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  ingestSeconds: Histogram<'type'>;
  events: Counter<'type' | 'outcome'>;
}

/** An event's fate at the door: taken, dropped as a repeat, refused (400), over the key's limit (429), or no store reachable (503). */
export type EventOutcome = 'accepted' | 'duplicate' | 'rejected' | 'rate_limited' | 'unavailable';

export function createApiMetrics(registry: Registry): ApiMetrics {
  return {
    registry,
    requests: new Counter({
      name: 'beckon_http_requests_total',
      help: 'HTTP calls answered, by route pattern (not the raw path: no user IDs) and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'beckon_ingest_duration_seconds',
      help: 'Time to answer an ingestion call (validation, dedup, signalWithStart), by call type.',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    events: new Counter({
      name: 'beckon_events_total',
      help: 'Ingested events by call type (track, identify, page, screen, alias, batch) and outcome.',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
  };
}

const INGEST_ROUTE = /^\/v1\/(track|identify|page|screen|alias|batch)$/;

/** Counts every answer, and for ingestion the events in it by outcome, from the status and the body the client gets. */
export function recordApiMetrics(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    const type = INGEST_ROUTE.exec(route)?.[1];
    if (!type) return payload;
    metrics.ingestSeconds.observe({ type }, reply.elapsedTime / 1000);
    for (const [outcome, count] of Object.entries(eventOutcomes(type, reply.statusCode, payload))) {
      if (count > 0) metrics.events.inc({ type, outcome }, count);
    }
    return payload;
  });
}

function eventOutcomes(type: string, status: number, payload: unknown): Partial<Record<EventOutcome, number>> {
  if (status === 429) return { rate_limited: 1 };
  if (status === 503) return { unavailable: 1 };
  if (status >= 400) return { rejected: 1 };
  const body = parseBody(payload);
  if (type !== 'batch') return body?.duplicate === true ? { duplicate: 1 } : { accepted: 1 };
  return {
    accepted: typeof body?.accepted === 'number' ? body.accepted : 0,
    duplicate: typeof body?.duplicates === 'number' ? body.duplicates : 0,
    rejected: Array.isArray(body?.rejected) ? body.rejected.length : 0,
  };
}

function parseBody(payload: unknown): Record<string, unknown> | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    return JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
