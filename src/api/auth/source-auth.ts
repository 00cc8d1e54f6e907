import type { FastifyRequest } from 'fastify';
import type { Source, SourceRepository } from '../../db/source-repository';
import { UnauthorizedError } from '../errors';

/** How long a checked key is trusted without asking Postgres again; also the most a revocation waits to bite. */
const CACHE_MS = 5_000;
const CHALLENGE = 'Basic realm="beckon", charset="UTF-8"';

declare module 'fastify' {
  interface FastifyRequest {
    /** The source whose write key authenticated this request (ingestion routes only). */
    source?: Source;
  }
}

/**
 * The write key from HTTP Basic (the key as user name, as Segment does), from `writeKey` in the
 * body, or from `?writeKey=` (a browser's EventSource cannot set headers).
 */
export function writeKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0];
    if (user) return user;
  }
  for (const carrier of [request.body, request.query]) {
    const key = (carrier as { writeKey?: unknown } | undefined)?.writeKey;
    if (typeof key === 'string' && key) return key;
  }
  return undefined;
}

/** The live source of a write key, or undefined; one per API process, so every route that takes a write key shares its cache. */
export type WriteKeyCheck = (writeKey: string) => Promise<Source | undefined>;

/** Checks write keys against Postgres, trusting each answer for CACHE_MS. */
export function cachedWriteKeyCheck(sources: SourceRepository, now: () => number = Date.now): WriteKeyCheck {
  const cache = new Map<string, { source: Source | undefined; until: number }>();
  return async (key) => {
    const cached = cache.get(key);
    if (cached && cached.until > now()) return cached.source;
    const source = await sources.authenticate(key);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { source, until: now() + CACHE_MS });
    return source;
  };
}

/** A preHandler that admits a request only with a live write key and sets `request.source`. */
export function requireSource(checkWriteKey: WriteKeyCheck) {
  return async (request: FastifyRequest): Promise<void> => {
    const key = writeKeyOf(request);
    if (!key) throw new UnauthorizedError('send the source write key as the HTTP Basic user name (Authorization: Basic base64("<write key>:"))', CHALLENGE);
    const source = await checkWriteKey(key);
    if (!source) throw new UnauthorizedError('the write key is unknown or revoked', CHALLENGE);
    request.source = source;
  };
}
