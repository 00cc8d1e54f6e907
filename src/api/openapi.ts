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
  /** Which credentials the route takes: a source's write key, or none. */
  auth?: 'writeKey';
  /** Status codes with what they mean, beyond 200. */
  responses?: Record<number, string>;
  /** The 200 answer's shape, when the document should show it. */
  response?: z.ZodType;
}

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
      ...(doc.auth === 'writeKey' ? { security: [{ writeKey: [] }] } : {}),
      response: responses,
    },
  };
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
          'and what users see (in-app inbox). Errors name each field and the reason.',
      },
      components: {
        securitySchemes: {
          writeKey: { type: 'http', scheme: 'basic', description: "A source's write key as the user name, the password empty (as Segment)." },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
