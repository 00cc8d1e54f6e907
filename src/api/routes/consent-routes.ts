import type { FastifyInstance, FastifyRequest } from 'fastify';
import { consentBody } from '../schemas/consent-schemas';
import type { ClientAuth } from '../auth/client-auth';
import type { ApiDeps } from '../deps';
import { AUTH_FAILURES, CLIENT_AUTH, describeRoute } from '../openapi';
import { userParams } from '../schemas/common-schemas';
import { parse } from '../validate';

/**
 * Consent and preferences per user, channel and category (`*` for the whole channel). Every change
 * keeps its source and time; the send path reads the current choices at send time. A user token sets
 * only its own user's choices.
 */
export function consentRoutes(app: FastifyInstance, deps: ApiDeps, auth: ClientAuth): void {
  const { consents, users } = deps;

  const tags = ['consent'];
  const preHandler = auth.requireUser();
  const currentDoc = describeRoute({ summary: "The user's current choices per channel and category", tags, params: userParams, auth: CLIENT_AUTH, responses: AUTH_FAILURES });
  app.get('/v1/users/:userId/consent', { ...currentDoc, preHandler }, async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    return { userId, consents: await consents.current(deps.pseudonymize(userId)) };
  });

  const historyDoc = describeRoute({
    summary: 'Every change of consent, oldest first, with its source and time',
    tags,
    params: userParams,
    auth: CLIENT_AUTH,
    responses: AUTH_FAILURES,
  });
  app.get('/v1/users/:userId/consent/history', { ...historyDoc, preHandler }, async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    return { userId, changes: await consents.history(deps.pseudonymize(userId)) };
  });

  // Both set the choices given and leave the others: a consent is a set of independent choices, each with its own history.
  const record = async (request: FastifyRequest) => {
    const { userId } = parse(userParams, request.params, 'params');
    const body = parse(consentBody, request.body, 'body');
    const pseudonym = deps.pseudonymize(userId);
    // Consent often comes before the first event (a sign-up form): the profile is created then.
    await users.touch(userId, pseudonym);
    await consents.record(pseudonym, body.consents, body.source);
    return { userId, consents: await consents.current(pseudonym) };
  };
  const recordDoc = describeRoute({
    summary: 'Sets the choices given (others stay); creates the profile of a user not seen yet',
    tags,
    params: userParams,
    body: consentBody,
    auth: CLIENT_AUTH,
    responses: { ...AUTH_FAILURES, 400: 'A choice names an unknown channel, a bad category, or the same choice twice' },
  });
  app.put('/v1/users/:userId/consent', { ...recordDoc, preHandler }, record);
  app.patch('/v1/users/:userId/consent', { ...recordDoc, preHandler }, record);
}
