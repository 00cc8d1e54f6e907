import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';

/**
 * The OpenAPI document is generated from the same zod schemas that validate requests: each route
 * declares them through `describeRoute`, which turns them into JSON Schema for the document only.
 * Validation stays with zod (`parse`), so errors keep Beckon's field-and-reason form.
 */
const toJsonSchema = (schema: z.ZodType) => {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The document says its dialect once; a per-schema $schema would confuse OpenAPI tools.
  delete json.$schema;
  return json;
};

export interface RouteDoc {
  summary: string;
  description?: string;
  tags: string[];
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  /** Which credentials the route takes (any one of them): a source's write key, a user token, an ops admin token, ...; none when absent. */
  auth?: SecurityScheme | readonly SecurityScheme[];
  /** Status codes with what they mean, beyond 200. */
  responses?: Record<number, string>;
  /** The 200 answer's shape, when the document should show it. */
  response?: z.ZodType;
}

/** The credentials of the API, as `components.securitySchemes` names them. */
export type SecurityScheme = 'writeKey' | 'userToken' | 'signingKey' | 'streamTicket' | 'adminToken';

/** The client routes (a user's inbox, stream, consent): that user's token, or the app server's signing key; the write key only on an open source. */
export const CLIENT_AUTH: readonly SecurityScheme[] = ['userToken', 'signingKey', 'writeKey'];

/** What the client routes answer when the credential does not do. */
export const AUTH_FAILURES: Record<number, string> = {
  401: 'No credential, or one that is malformed, expired, signed by a key rotated out, or (on a source that requires tokens) the write key alone',
  403: 'The token is for another user, or the browser origin is not allowed for the source',
};

const errorBody = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    problems: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
};

/** The route's schema for the document (Fastify neither validates nor serialises with it here). */
export function describeRoute(doc: RouteDoc): { schema: FastifySchema } {
  const responses: Record<string, unknown> = {
    200: doc.response ? { description: 'OK', ...toJsonSchema(doc.response) } : { description: 'OK', type: 'object', additionalProperties: true },
  };
  for (const [status, description] of Object.entries(doc.responses ?? {})) responses[status] = { description, ...errorBody };
  return {
    schema: {
      summary: doc.summary,
      description: doc.description,
      tags: doc.tags,
      ...(doc.body ? { body: toJsonSchema(doc.body) } : {}),
      ...(doc.querystring ? { querystring: toJsonSchema(doc.querystring) } : {}),
      ...(doc.params ? { params: toJsonSchema(doc.params) } : {}),
      ...(doc.auth ? { security: (typeof doc.auth === 'string' ? [doc.auth] : doc.auth).map((scheme) => ({ [scheme]: [] })) } : {}),
      response: responses,
    },
  };
}

/** What every ops route may answer beyond its own statuses. */
const OPS_FAILURES = { 401: 'No admin token, or one that is unknown or revoked', 403: "The admin token lacks the route's scope" };

/** An ops route's description: the admin token's scope it needs is named in the text and the document's security. */
export function describeOpsRoute(scope: string, doc: Omit<RouteDoc, 'auth' | 'tags'>): { schema: FastifySchema } {
  const description = [doc.description, `Needs an admin token with the \`${scope}\` scope (or a broader one).`].filter(Boolean).join(' ');
  return describeRoute({ ...doc, tags: ['ops'], description, auth: 'adminToken', responses: { ...OPS_FAILURES, ...doc.responses } });
}

/** Registers the document at `/docs/json` and its browsable form at `/docs`; call before the routes. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  // zod validates in the handlers; the schemas on routes exist for the document alone.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Beckon API',
        version: '1',
        description:
          'Events in (the Segment HTTP Tracking API: an app using a Segment or RudderStack library only changes the host), ' +
          'and what users see (in-app inbox); the ops API under /v1/ops. Errors name each field and the reason.',
      },
      components: {
        securitySchemes: {
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description:
              "A source's write key as the user name, the password empty (as Segment). On the client routes only for a source whose clientAuth is `optional`.",
          },
          userToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'ut1.<source id>.<base64url user ID>[.<expiry>].<HMAC-SHA256>',
            description: "A user's token, made by the app's server with the source's signing key: opens that user's client routes only (403 on another's).",
          },
          signingKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: '<source id>.sk_<secret>',
            description: "The source's signing key, for the app's own server: opens every user's client routes and mints tokens. Never ship it to a client.",
          },
          streamTicket: {
            type: 'apiKey',
            in: 'query',
            name: 'ticket',
            description: 'A single-use ticket for one EventSource connection (which cannot send headers), from POST /v1/users/{userId}/inbox/stream-ticket.',
          },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'An admin token (`beckon tokens create`; `npm start` prints a dev one) with the scope the route names: read, operate or admin.',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
