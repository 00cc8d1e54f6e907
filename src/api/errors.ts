import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';

export interface FieldProblem {
  /** Dotted path of the field, e.g. `properties.plan` or `userId`. */
  path: string;
  reason: string;
}

/** The client sent something we cannot accept; answered with 400 and every field at fault. */
export class ValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.path || '(body)'}: ${p.reason}`).join('; '));
    this.name = 'ValidationError';
  }

  static fromZod(error: ZodError, prefix?: string): ValidationError {
    return new ValidationError(
      error.issues.map((issue) => ({
        path: [prefix, ...issue.path.map(String)].filter((part) => part !== undefined && part !== '').join('.'),
        reason: issue.message,
      })),
    );
  }
}

/** No credentials, or credentials that name no live source or token; answered with 401. */
export class UnauthorizedError extends Error {
  readonly statusCode = 401;
  constructor(
    message: string,
    /** The scheme the client should use, sent as `WWW-Authenticate`. */
    readonly challenge: string,
  ) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** A write key sent more requests than its limit allows; answered with 429 and when to try again. */
export class RateLimitedError extends Error {
  readonly statusCode = 429;
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`more than ${limit} requests a second with this write key; retry after ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}

/** A dependency (Temporal, Postgres) is down; nothing was written, so the client may retry after `retryAfterSeconds`. */
export class ServiceUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(
    readonly dependency: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable; nothing was recorded, retry later`, options);
    this.name = 'ServiceUnavailableError';
  }
}

/**
 * Beckon takes in more than Temporal answers in time (every slot for its signals is taken); nothing was
 * recorded: answered with 429 and Retry-After, which clients back off on, as for a rate limit.
 */
export class BusyError extends Error {
  readonly statusCode = 429;
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(`Beckon is taking in more events than it can pass on right now; nothing was recorded, retry after ${retryAfterSeconds} s`, options);
    this.name = 'BusyError';
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03']);
/** gRPC UNAVAILABLE, DEADLINE_EXCEEDED, and CANCELLED (what the client's own deadline ends a slow call with; seen as 500s under load). */
const UNAVAILABLE_GRPC = new Set([14, 4, 1]);

/** gRPC DEADLINE_EXCEEDED and CANCELLED: the server did not answer within the call's deadline (it may still have done the call). */
const SLOW_GRPC = new Set([4, 1]);

/** True when the error (or one of its causes) is a gRPC call that ran out of time, not one the server refused. */
export function isSlowAnswer(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current && depth < 8; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'number' && SLOW_GRPC.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** True when the error (or one of its causes) says a server could not be reached, not that the request was wrong. */
export function isUnavailable(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current && depth < 8; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof code === 'number' && UNAVAILABLE_GRPC.has(code)) return true;
    if (typeof message === 'string' && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message)) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Maps every error to a JSON answer; only a real fault of ours is a 500. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof ValidationError) {
    void reply.status(400).send({ error: 'invalid_request', message: error.message, problems: error.problems });
    return;
  }
  if (error instanceof UnauthorizedError) {
    void reply.status(401).header('WWW-Authenticate', error.challenge).send({ error: 'unauthorized', message: error.message });
    return;
  }
  if (error instanceof RateLimitedError) {
    void reply.status(429).header('Retry-After', String(error.retryAfterSeconds)).send({ error: 'rate_limited', message: error.message });
    return;
  }
  if (error instanceof BusyError) {
    request.log.warn({ err: error }, 'busy: no free slot for a signal to Temporal');
    void reply.status(429).header('Retry-After', String(error.retryAfterSeconds)).send({ error: 'busy', message: error.message });
    return;
  }
  if (error instanceof ServiceUnavailableError || isUnavailable(error)) {
    const retryAfter = error instanceof ServiceUnavailableError ? error.retryAfterSeconds : 5;
    request.log.warn({ err: error }, 'dependency unavailable');
    void reply
      .status(503)
      .header('Retry-After', String(retryAfter))
      .send({ error: 'unavailable', message: 'A service Beckon depends on is unavailable; nothing was recorded. Retry later.' });
    return;
  }
  if (/^Z_(DATA|BUF)_ERROR$/.test(String((error as { code?: unknown }).code))) {
    void reply.status(400).send({ error: 'invalid_request', message: `the body is not valid ${request.headers['content-encoding']} data: ${error.message}` });
    return;
  }
  const statusCode = (error as FastifyError).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    void reply.status(statusCode).send({ error: 'bad_request', message: error.message });
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  void reply.status(500).send({ error: 'internal', message: 'Internal error; it has been logged.' });
}
