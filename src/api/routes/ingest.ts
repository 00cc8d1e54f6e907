import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { createSourceRepository } from '../../db/sources';
import { requireSource } from '../auth/source';
import type { ApiDeps } from '../deps';
import { RateLimitedError, ValidationError, type FieldProblem } from '../errors';
import { createIngestion, type IngestOutcome } from '../ingest';
import { checkMessage, type IngestMessage } from '../segment/normalize';
import { BATCH_LIMIT_BYTES, batchEnvelope, batchItemType, MESSAGE_TYPES } from '../segment/schemas';
import { parse } from '../validate';

export interface IngestOptions {
  /** Requests a write key may make per second, per API process. */
  rateLimitPerSecond: number;
}

/** Users of one batch handled at once; each user's own calls stay in order. */
const BATCH_CONCURRENCY = 16;

interface Rejected {
  index: number;
  messageId?: string;
  problems: FieldProblem[];
}

/**
 * The Segment HTTP Tracking API: `/v1/{track,identify,page,screen,alias}` and `/v1/batch`,
 * authenticated by a source's write key and limited per key.
 */
export async function ingestRoutes(app: FastifyInstance, deps: ApiDeps, options: IngestOptions): Promise<void> {
  const authenticate = requireSource(createSourceRepository(deps.pool));
  const ingest = createIngestion(deps);

  // Clients label their JSON loosely (RudderStack's gzipped batches carry a form content type): read every body here as JSON.
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => request.source?.id ?? request.ip,
    errorResponseBuilder: (_request, context) => new RateLimitedError(context.max, Math.ceil(context.ttl / 1000)),
  });
  const limits = { rateLimit: { max: options.rateLimitPerSecond, timeWindow: 1000 } };

  for (const type of MESSAGE_TYPES) {
    app.post(`/v1/${type}`, { preHandler: authenticate, config: limits }, async (request) => {
      const checked = checkMessage(type, request.body, new Date());
      if (!checked.ok) throw new ValidationError(checked.problems);
      const outcome = await ingest(request.source!, checked.message);
      return { success: true, messageId: checked.message.messageId, duplicate: outcome === 'duplicate' };
    });
  }

  app.post('/v1/batch', { preHandler: authenticate, config: limits, bodyLimit: BATCH_LIMIT_BYTES }, async (request) => {
    const received = new Date();
    const envelope = parse(batchEnvelope, request.body);
    const rejected: Rejected[] = [];
    const accepted: { index: number; message: IngestMessage }[] = [];
    envelope.batch.forEach((item, index) => {
      const typed = batchItemType.safeParse(item);
      if (!typed.success) {
        rejected.push({ index, problems: [{ path: `batch.${index}.type`, reason: typed.error.issues[0]?.message ?? 'is invalid' }] });
        return;
      }
      const checked = checkMessage(typed.data.type, item, received, envelope, `batch.${index}`);
      if (checked.ok) accepted.push({ index, message: checked.message });
      else rejected.push({ index, messageId: messageIdOf(item), problems: checked.problems });
    });
    if (accepted.length === 0) throw new ValidationError(rejected.flatMap((r) => r.problems));

    const outcomes = await ingestInOrderPerUser(accepted, async ({ index, message }) => {
      try {
        return await ingest(request.source!, message);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        rejected.push({ index, messageId: message.messageId, problems: err.problems.map((p) => ({ ...p, path: `batch.${index}.${p.path}` })) });
        return undefined;
      }
    });
    if (rejected.length > 0) request.log.warn({ source: request.source!.id, rejected }, 'batch items rejected');
    rejected.sort((a, b) => a.index - b.index);
    return {
      success: true,
      accepted: outcomes.filter((o) => o === 'accepted').length,
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      rejected,
    };
  });
}

function messageIdOf(item: unknown): string | undefined {
  const id = (item as { messageId?: unknown } | null)?.messageId;
  return typeof id === 'string' ? id : undefined;
}

/** Runs calls of different users concurrently and each user's calls in the order sent; the first failure fails all. */
async function ingestInOrderPerUser<T extends { message: IngestMessage }>(
  items: T[],
  work: (item: T) => Promise<IngestOutcome | undefined>,
): Promise<(IngestOutcome | undefined)[]> {
  const byUser = new Map<string, T[]>();
  for (const item of items) {
    const who = item.message.userId ?? `\u001f${item.message.anonymousId ?? ''}`;
    byUser.set(who, [...(byUser.get(who) ?? []), item]);
  }
  const queues = [...byUser.values()];
  const outcomes: (IngestOutcome | undefined)[] = [];
  let failed = false;
  const runQueue = async (): Promise<void> => {
    for (let queue = queues.shift(); queue && !failed; queue = queues.shift()) {
      for (const item of queue) {
        try {
          outcomes.push(await work(item));
        } catch (err) {
          // The client retries the whole batch; what was done is dropped as duplicate then.
          failed = true;
          throw err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, queues.length) }, runQueue));
  return outcomes;
}
