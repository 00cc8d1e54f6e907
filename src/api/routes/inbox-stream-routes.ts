import type { FastifyInstance } from 'fastify';
import type { InboxMessage } from '../../db/inbox-repository';
import { mintStreamTicket } from '../../privacy/user-token';
import type { ClientAuth } from '../auth/client-auth';
import type { ApiDeps } from '../deps';
import { lastEventId } from '../schemas/inbox-schemas';
import { AUTH_FAILURES, CLIENT_AUTH, describeRoute } from '../openapi';
import { userParams } from '../schemas/common-schemas';
import { parse } from '../validate';

export interface InboxStreamOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs?: number;
  /** How long a stream ticket may wait to be used. */
  ticketTtlSeconds?: number;
}

/** Streamed ids a connection remembers; past it the oldest half is folded into the cursor. */
const MAX_REMEMBERED = 500;
const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-store, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};
/** What EventSource waits before reconnecting (it then sends Last-Event-ID). */
const RECONNECT_MS = 3_000;
/** Long enough to open an EventSource after fetching the ticket, short enough that a ticket left in a log is worth nothing. */
const TICKET_TTL_SECONDS = 60;

/**
 * `GET /v1/users/:userId/inbox/stream`: server-sent events, one `message` event per inbox message as
 * soon as its transaction commits. The event id is the message id, so a reconnecting client that
 * sends `Last-Event-ID` gets what it missed first. A browser, whose EventSource cannot send headers,
 * first trades its user token for a single-use stream ticket (`POST .../inbox/stream-ticket`) and
 * opens `?ticket=`: no long-lived secret goes into a URL.
 */
export function inboxStreamRoutes(app: FastifyInstance, deps: ApiDeps, auth: ClientAuth, options: InboxStreamOptions = {}): void {
  const { inbox, inboxFeed: changes } = deps;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const open = new Set<() => void>();

  // Before the server closes: it waits for open connections, and a stream would otherwise hold it open for good.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  const ticketDoc = describeRoute({
    summary: "Trades the user's token for a single-use ticket that opens one stream (EventSource cannot send headers)",
    description: 'Open `GET /v1/users/{userId}/inbox/stream?ticket=<ticket>` within `expiresAt`; each reconnection needs a new ticket.',
    tags: ['inbox'],
    params: userParams,
    auth: CLIENT_AUTH,
    responses: { ...AUTH_FAILURES, 409: 'The source has no signing key to sign tickets with' },
  });
  app.post('/v1/users/:userId/inbox/stream-ticket', { ...ticketDoc, preHandler: auth.requireUser() }, async (request, reply) => {
    const { userId } = parse(userParams, request.params, 'params');
    const signingKey = request.client?.signingKey;
    if (!signingKey) {
      return reply.status(409).send({ error: 'conflict', message: `source ${request.client?.source.id} has no signing key to sign tickets with (npm run sources -- rotate-key <source id>)` });
    }
    const expiresAt = Math.floor(Date.now() / 1000) + (options.ticketTtlSeconds ?? TICKET_TTL_SECONDS);
    const ticket = mintStreamTicket(signingKey, userId, expiresAt);
    const url = `/v1/users/${encodeURIComponent(userId)}/inbox/stream?ticket=${encodeURIComponent(ticket)}`;
    return { userId, ticket, url, expiresAt: new Date(expiresAt * 1000).toISOString() };
  });

  const doc = describeRoute({
    summary: 'New inbox messages as server-sent events, as soon as they are committed',
    description:
      'One `message` event per message, its id the message id; send `Last-Event-ID` (or `?lastEventId=`) to get what was missed first. ' +
      'A browser passes `?ticket=` (single use); other clients may send the user token as a header.',
    tags: ['inbox'],
    params: userParams,
    auth: ['streamTicket', ...CLIENT_AUTH],
    responses: { ...AUTH_FAILURES, 400: 'Last-Event-ID is not a message id' },
  });
  app.get('/v1/users/:userId/inbox/stream', { ...doc, preHandler: auth.requireUser({ acceptTicket: true }) }, async (request, reply) => {
    const { userId } = parse(userParams, request.params, 'params');
    const headerId = request.headers['last-event-id'];
    const queryId = (request.query as { lastEventId?: unknown }).lastEventId;
    const resumeFrom =
      headerId !== undefined ? parse(lastEventId, headerId, 'headers.last-event-id') : queryId !== undefined ? parse(lastEventId, queryId, 'query.lastEventId') : undefined;
    // HEAD gets the stream's headers and nothing else: Node sends no headers for a HEAD answer until it ends, so a stream would never answer.
    if (request.method === 'HEAD') return reply.status(200).headers(STREAM_HEADERS).send();
    const pseudonym = deps.pseudonymize(userId);

    // Subscribed before the starting point is read, so nothing committed in between is missed.
    let lateIds: string[] = [];
    let wake: () => void = () => {};
    const unsubscribe = changes.subscribe(pseudonym, (ids) => {
      if (ids) lateIds.push(...ids);
      wake();
    });
    let baseline: bigint;
    try {
      baseline = BigInt(resumeFrom ?? (await inbox.latestId(pseudonym)));
    } catch (err) {
      unsubscribe();
      throw err;
    }

    // Headers set so far (CORS) go out with the stream's own: a hijacked reply sends only what is written to it.
    const early = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { ...early, ...STREAM_HEADERS });
    raw.write(`retry: ${RECONNECT_MS}\n: stream of ${changes.mode === 'listen' ? 'notified' : 'polled'} inbox messages\n\n`);

    let closed = false;
    const sent = new Set<bigint>();
    let pumping: Promise<void> | undefined;
    let again = false;

    const send = (message: InboxMessage): void => {
      raw.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
      sent.add(BigInt(message.id));
      if (sent.size > MAX_REMEMBERED) {
        const oldest = [...sent].sort((a, b) => (a < b ? -1 : 1)).slice(0, MAX_REMEMBERED / 2);
        for (const id of oldest) sent.delete(id);
        baseline = oldest[oldest.length - 1] ?? baseline;
      }
    };

    // Everything above the starting point not yet streamed, whatever order transactions committed in.
    const pump = async (): Promise<void> => {
      do {
        again = false;
        const alsoIds = lateIds.filter((id) => BigInt(id) <= baseline && !sent.has(BigInt(id)));
        lateIds = [];
        const messages = await inbox.since(pseudonym, baseline.toString(), { alsoIds, exceptIds: [...sent].map(String) });
        for (const message of messages) if (!closed) send(message);
      } while (again && !closed);
    };

    const end = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
      raw.end();
    };

    wake = () => {
      if (closed) return;
      if (pumping) {
        again = true;
        return;
      }
      pumping = pump()
        .catch((err: Error) => {
          // The client reconnects with Last-Event-ID and loses nothing.
          request.log.warn({ err }, 'inbox stream ended: cannot read the inbox');
          end();
        })
        .finally(() => (pumping = undefined));
    };

    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
    open.add(end);
    raw.on('close', end);
    // A client gone while the starting point was read closed before the listener was there: end now, not at shutdown.
    if (raw.destroyed) {
      end();
      return reply;
    }
    wake();
    return reply;
  });
}
