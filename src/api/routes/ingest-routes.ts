import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps';
import { RateLimitedError, ValidationError, type FieldProblem } from '../errors';
import type { IngestOutcome } from '../ingestion';
import { checkMessage, type IngestMessage } from '../segment/segment-normalize';
import { describeRoute } from '../openapi';
import { BATCH_LIMIT_BYTES, batchEnvelope, batchItemType, MESSAGE_TYPES, messageSchemas, type MessageType } from '../segment/segment-schemas';
import { parse } from '../validate';

export interface IngestOptions {
  /** Requests a write key may make per second, per API process. */
  rateLimitPerSecond: number;
  /** The window the limit counts in; a second unless a test lengthens it. */
  rateLimitWindowMs?: number;
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
  const authenticate = deps.requireSource;
  const { ingest } = deps;

  // Clients label their JSON loosely (RudderStack's gzipped batches carry a form content type): read every body here as JSON.
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  await app.register(rateLimit, {
    global: false,
    // After the route's authentication (preHandler), so the budget is the write key's, not the caller's address.
    hook: 'preHandler',
    keyGenerator: (request) => (request.source ? `source:${request.source.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => new RateLimitedError(context.max, Math.ceil(context.ttl / 1000)),
  });
  const limits = { rateLimit: { max: options.rateLimitPerSecond, timeWindow: options.rateLimitWindowMs ?? 1000 } };

  const failures = {
    400: 'A field is missing or wrong: each one is named with the reason',
    401: 'No write key, or one that is unknown or revoked',
    413: 'The body is over the size limit',
    429: "The write key's rate limit is reached, or Temporal takes no more right now (busy); nothing was recorded, retry after Retry-After seconds",
    503: 'Temporal or Postgres is unreachable; nothing was recorded, retry after Retry-After seconds',
  };
  for (const type of MESSAGE_TYPES) {
    const doc = describeRoute({ summary: SUMMARIES[type], tags: ['ingestion'], body: messageSchemas[type], auth: 'writeKey', responses: failures });
    app.post(`/v1/${type}`, { ...doc, preHandler: authenticate, config: limits }, async (request) => {
      const checked = checkMessage(type, request.body, new Date());
      if (!checked.ok) throw new ValidationError(checked.problems);
      const outcome = await ingest(request.source!, checked.message);
      // A dropped call (erased person, no tracking consent) is still a success: a client that got an error would retry it forever.
      const dropped = outcome === 'suppressed' || outcome === 'untracked';
      return { success: true, messageId: checked.message.messageId, duplicate: outcome === 'duplicate', ...(dropped && { dropped: outcome }) };
    });
  }

  const batchDoc = describeRoute({
    summary: 'Several calls at once (what the Segment and RudderStack libraries send)',
    description:
      'Up to 500 KB, each item up to 32 KB with a `type`. Good items are taken even when others are bad; the answer lists each bad item ' +
      'by index with its problems. Only a batch with no good item is answered 400.',
    tags: ['ingestion'],
    body: batchEnvelope,
    auth: 'writeKey',
    responses: failures,
  });
  app.post('/v1/batch', { ...batchDoc, preHandler: authenticate, config: limits, bodyLimit: BATCH_LIMIT_BYTES }, async (request) => {
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
    rejected.sort((a, b) => a.index - b.index);
    // Items that pass their schema can still be refused (an identify with a bad email); when that leaves none taken, nothing was written.
    if (outcomes.every((outcome) => outcome === undefined)) throw new ValidationError(rejected.flatMap((r) => r.problems));
    if (rejected.length > 0) request.log.warn({ source: request.source!.id, rejected }, 'batch items rejected');
    return {
      success: true,
      accepted: outcomes.filter((o) => o === 'accepted').length,
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      dropped: outcomes.filter((o) => o === 'suppressed' || o === 'untracked').length,
      rejected,
    };
  });
}

const SUMMARIES: Record<MessageType, string> = {
  track: 'Something a user did (an event with properties)',
  identify: 'Who a user is: traits, email, phone, time zone, locale, push token',
  page: 'A page view, seen by campaigns as the event "Page Viewed"',
  screen: 'A screen view, seen by campaigns as the event "Screen Viewed"',
  group: "The user belongs to a group (account, company): the group's traits, for campaigns' group_trait conditions",
  alias: 'An anonymous visitor (previousId) is this user: what they did before counts toward triggers after',
};

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
    const queue = byUser.get(who);
    if (queue) queue.push(item);
    else byUser.set(who, [item]);
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
