import type { FastifyBaseLogger, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { SigningKey, Source, SourceRepository } from '../../db/source-repository';
import type { StreamTicketRepository } from '../../db/stream-ticket-repository';
import { bearerToken } from '../../privacy/admin-token';
import {
  parseStreamTicket,
  parseUserToken,
  signedBy,
  signingKeyMatches,
  sourceOfSigningKey,
  STREAM_TICKET_PREFIX,
  USER_TOKEN_PREFIX,
  type SignedClaims,
} from '../../privacy/user-token';
import { UnauthorizedError } from '../errors';
import { userParams } from '../schemas/common-schemas';
import { parse } from '../validate';
import { writeKeyOf, type WriteKeyCheck } from './source-auth';

/** How long a source and its opened signing keys are trusted without asking Postgres again; also the most a rotation or revocation waits to bite. */
const CACHE_MS = 5_000;
const CHALLENGE = 'Bearer realm="beckon-users"';
/** What a browser may send to the client routes. */
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH';
const CORS_HEADERS = 'authorization, content-type, last-event-id';

/** Who is calling a client route. */
export interface ClientPrincipal {
  source: Source;
  /** The only user this credential may act for; undefined for the app's server (signing key) and the write key of an open source. */
  userId?: string;
  via: 'user-token' | 'stream-ticket' | 'signing-key' | 'write-key';
  /** The source's newest signing key, which signs stream tickets; undefined for an open source that has none. */
  signingKey?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called a client route (inbox, stream, consent, token). */
    client?: ClientPrincipal;
  }
}

interface SourceEntry {
  source: Source;
  keys: SigningKey[];
}

export interface ClientAuthOptions {
  /** Single-use stream tickets (`?ticket=` on the stream route). */
  tickets: StreamTicketRepository;
  /** The API's one write-key check (shared with ingestion, so one cache); by default an uncached look-up. */
  checkWriteKey?: WriteKeyCheck;
  log?: FastifyBaseLogger;
  now?: () => number;
  cacheMs?: number;
}

const forbidden = (reply: FastifyReply, message: string) => reply.status(403).send({ error: 'forbidden', message });

/**
 * The authentication of the client routes, which a user's browser or app calls: a user token
 * (`Authorization: Bearer ut1...`) acts for its user only; the source's signing key (the app's
 * server) for any user; a stream ticket (`?ticket=`, the stream only) once; the write key only on
 * a source whose `clientAuth` is `optional`. Takes its repositories as arguments, so it can be built
 * in a route module or in the entry point alike.
 */
export function createClientAuth(sources: SourceRepository, options: ClientAuthOptions) {
  const now = options.now ?? Date.now;
  const checkWriteKey = options.checkWriteKey ?? ((key: string) => sources.authenticate(key));
  const cacheMs = options.cacheMs ?? CACHE_MS;
  const cache = new Map<string, { entry: SourceEntry | undefined; until: number }>();
  const warnedOpen = new Set<string>();
  let anyOrigins: { origins: Set<string>; until: number } | undefined;

  async function sourceEntry(sourceId: string): Promise<SourceEntry | undefined> {
    const cached = cache.get(sourceId);
    if (cached && cached.until > now()) return cached.entry;
    const source = await sources.find(sourceId);
    const entry = source ? { source, keys: await sources.signingKeys(sourceId) } : undefined;
    if (cache.size > 10_000) cache.clear();
    cache.set(sourceId, { entry, until: now() + cacheMs });
    return entry;
  }

  async function originsOfAnySource(): Promise<Set<string>> {
    if (anyOrigins && anyOrigins.until > now()) return anyOrigins.origins;
    anyOrigins = { origins: await sources.anyAllowedOrigins(), until: now() + cacheMs };
    return anyOrigins.origins;
  }

  /** Checks a signed credential's source, signature and expiry; throws 401 with the reason. */
  async function verified(claims: SignedClaims, what: string): Promise<SourceEntry> {
    const entry = await sourceEntry(claims.sourceId);
    if (!entry) throw new UnauthorizedError(`the ${what} names no live source`, CHALLENGE);
    if (entry.keys.length === 0) throw new UnauthorizedError(`source ${entry.source.id} has no signing key yet (npm run sources -- rotate-key ${entry.source.id})`, CHALLENGE);
    if (!signedBy(claims, entry.keys.map((k) => k.key))) {
      throw new UnauthorizedError(`the ${what} is not signed by a live signing key of source ${entry.source.id} (a key rotated out, or altered)`, CHALLENGE);
    }
    if (claims.expiresAt !== undefined && claims.expiresAt * 1000 <= now()) {
      throw new UnauthorizedError(`the ${what} expired at ${new Date(claims.expiresAt * 1000).toISOString()}; get a new one`, CHALLENGE);
    }
    return entry;
  }

  async function principalOf(request: FastifyRequest, acceptTicket: boolean): Promise<ClientPrincipal> {
    const ticket = acceptTicket ? (request.query as { ticket?: unknown } | undefined)?.ticket : undefined;
    if (ticket !== undefined) {
      const parsed = typeof ticket === 'string' ? parseStreamTicket(ticket) : { ok: false as const, reason: 'must be given once' };
      if (!parsed.ok) throw new UnauthorizedError(`query.ticket ${parsed.reason}`, CHALLENGE);
      const entry = await verified(parsed.claims, 'stream ticket');
      if (!(await options.tickets.use(parsed.claims.nonce!, new Date(parsed.claims.expiresAt! * 1000)))) {
        throw new UnauthorizedError('the stream ticket was used already: a ticket opens one stream; get a new one to reconnect', CHALLENGE);
      }
      return { source: entry.source, userId: parsed.claims.userId, via: 'stream-ticket', signingKey: entry.keys[0]?.key };
    }

    const bearer = bearerToken(request.headers.authorization);
    if (bearer?.startsWith(`${USER_TOKEN_PREFIX}.`)) {
      const parsed = parseUserToken(bearer);
      if (!parsed.ok) throw new UnauthorizedError(`the user token ${parsed.reason}`, CHALLENGE);
      const entry = await verified(parsed.claims, 'user token');
      return { source: entry.source, userId: parsed.claims.userId, via: 'user-token', signingKey: entry.keys[0]?.key };
    }
    if (bearer?.startsWith(`${STREAM_TICKET_PREFIX}.`)) throw new UnauthorizedError('a stream ticket goes in ?ticket= on the stream route only', CHALLENGE);
    const signingSource = bearer ? sourceOfSigningKey(bearer) : undefined;
    if (bearer && signingSource) {
      const entry = await sourceEntry(signingSource);
      if (!entry || !signingKeyMatches(bearer, entry.keys.map((k) => k.hash))) throw new UnauthorizedError('the signing key is unknown, rotated out or revoked', CHALLENGE);
      return { source: entry.source, via: 'signing-key', signingKey: entry.keys[0]?.key };
    }
    if (bearer) throw new UnauthorizedError('the bearer credential is neither a user token (ut1....) nor a signing key (src_....sk_...)', CHALLENGE);

    const writeKey = writeKeyOf(request);
    if (writeKey) {
      const source = await checkWriteKey(writeKey);
      if (!source) throw new UnauthorizedError('the write key is unknown or revoked', CHALLENGE);
      if (source.clientAuth === 'required') {
        throw new UnauthorizedError(
          `source ${source.id} requires user tokens on this route: the write key alone is not enough; send Authorization: Bearer <user token> (made by your server with the signing key)`,
          CHALLENGE,
        );
      }
      if (!warnedOpen.has(source.id)) {
        warnedOpen.add(source.id);
        options.log?.warn(
          { source: source.id },
          `source ${source.id} (${source.name}) is open: its public write key reads and changes any user's inbox and consent; ` +
            `move its clients to user tokens, then \`npm run sources -- client-auth ${source.id} required\``,
        );
      }
      const entry = await sourceEntry(source.id);
      return { source, via: 'write-key', signingKey: entry?.keys[0]?.key };
    }
    throw new UnauthorizedError("send the user's token as Authorization: Bearer <user token> (your server makes it with the source's signing key)", CHALLENGE);
  }

  /** The origin of a browser request if the source allows it; a request from another origin is refused. */
  function originAllowed(request: FastifyRequest, source: Source): boolean {
    const origin = request.headers.origin;
    return origin === undefined || source.allowedOrigins.includes(origin);
  }

  return {
    /** Logs each open source (clientAuth optional) once, at start: their public write key reads and changes any user's inbox and consent. */
    async warnOpenSources(): Promise<void> {
      for (const source of await sources.list()) {
        if (source.revokedAt || source.clientAuth !== 'optional') continue;
        options.log?.warn(
          { source: source.id },
          `source ${source.id} (${source.name}) is open: its write key alone opens its users' inbox and consent; ` +
            `move its clients to user tokens, then \`npm run sources -- client-auth ${source.id} required\``,
        );
      }
    },

    /**
     * A preHandler for routes under `/v1/users/:userId/`: the credential must be valid (401) and be
     * for this user (403); sets `request.client`.
     */
    requireUser(opts: { acceptTicket?: boolean } = {}): preHandlerAsyncHookHandler {
      return async (request, reply) => {
        const principal = await principalOf(request, opts.acceptTicket === true);
        const { userId } = parse(userParams, request.params, 'params');
        if (!originAllowed(request, principal.source)) {
          reply.removeHeader('access-control-allow-origin');
          return forbidden(reply, `origin ${request.headers.origin} may not call source ${principal.source.id}'s client routes (npm run sources -- origins ${principal.source.id} <origin>...)`);
        }
        if (principal.userId !== undefined && principal.userId !== userId) {
          return forbidden(reply, `this ${principal.via === 'stream-ticket' ? 'stream ticket' : 'user token'} is for another user than ${userId}`);
        }
        request.client = principal;
      };
    },

    /** A preHandler that admits the app's server only: `Authorization: Bearer <signing key>`. */
    requireSigningKey(): preHandlerAsyncHookHandler {
      return async (request) => {
        const bearer = bearerToken(request.headers.authorization);
        const sourceId = bearer ? sourceOfSigningKey(bearer) : undefined;
        if (!bearer || !sourceId) throw new UnauthorizedError("send the source's signing key as Authorization: Bearer <signing key> (from your server only)", CHALLENGE);
        const entry = await sourceEntry(sourceId);
        if (!entry || !signingKeyMatches(bearer, entry.keys.map((k) => k.hash))) throw new UnauthorizedError('the signing key is unknown, rotated out or revoked', CHALLENGE);
        request.client = { source: entry.source, via: 'signing-key', signingKey: entry.keys[0]?.key ?? bearer };
      };
    },

    /**
     * An onRequest hook for the client routes: a browser origin that some source allows gets
     * `Access-Control-Allow-Origin` (its requests carry no cookies, so no credentials flag); the
     * authenticated source's own list is checked in `requireUser`.
     */
    corsHeaders(): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
      return async (request, reply) => {
        const origin = request.headers.origin;
        void reply.header('vary', 'Origin');
        if (origin && (await originsOfAnySource()).has(origin)) void reply.header('access-control-allow-origin', origin);
      };
    },

    /** Answers a CORS preflight (which carries no credentials, so no source) for an origin some source allows. */
    preflight: async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const origin = request.headers.origin;
      void reply.header('vary', 'Origin');
      if (!origin) return reply.status(204).header('allow', CORS_METHODS).send();
      if (!(await originsOfAnySource()).has(origin)) {
        return forbidden(reply, `origin ${origin} is not allowed to call the client routes (npm run sources -- origins <source id> ${origin})`);
      }
      return reply
        .status(204)
        .headers({
          'access-control-allow-origin': origin,
          'access-control-allow-methods': CORS_METHODS,
          'access-control-allow-headers': CORS_HEADERS,
          'access-control-max-age': '600',
        })
        .send();
    },
  };
}

export type ClientAuth = ReturnType<typeof createClientAuth>;
