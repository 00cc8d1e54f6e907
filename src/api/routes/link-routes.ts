import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ANY_CATEGORY } from '../../db/consent-repository';
import { parseDeliveryKey } from '../../domain/engagement';
import { CHANNELS, type Channel } from '../../domain/campaign/campaign-schema';
import type { LinkClaims, LinkPurpose } from '../../privacy/signed-links';
import type { ApiDeps } from '../deps';
import { describeRoute } from '../openapi';
import { parse } from '../validate';
import { linkErrorPage, unsubscribedPage, unsubscribePage } from './link-pages';

/** The smallest transparent GIF: the open pixel. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_CACHE = { 'cache-control': 'no-store, no-cache, must-revalidate, private, max-age=0', pragma: 'no-cache', expires: '0' };

const tokenParams = z.object({ token: z.string().min(1, 'is required').max(8192, 'is too long') });
const pushOpenedBody = z.object({ token: z.string({ error: 'is required: the `beckonOpen` value of the push data' }).min(1, 'must not be empty') });

type Checked = { ok: true; claims: LinkClaims } | { ok: false; reason: string };

/**
 * Routes that recipients reach from a message: one-click unsubscribe (RFC 8058), the open pixel, the
 * click redirect, and the app's report of an opened push. Their signature authenticates them, not a key.
 */
export function linkRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { consents, engagement: reporter, campaignStats: stats } = deps;

  const check = (token: string, purpose: LinkPurpose): Checked => {
    const verified = deps.linkSigner.verify(token, purpose);
    if (!verified.ok) return { ok: false, reason: `This link ${verified.reason}.` };
    return verified;
  };

  const doc = (summary: string, extra: { body?: z.ZodType } = {}) =>
    describeRoute({ summary, tags: ['engagement'], ...(extra.body ? { body: extra.body } : { params: tokenParams }), responses: { 400: 'A forged, altered or broken link' } });
  const htmlError = (reply: FastifyReply, reason: string) => reply.status(400).type('text/html; charset=utf-8').headers(NO_CACHE).send(linkErrorPage(reason));

  // Scoped so that any body (mail clients post `List-Unsubscribe=One-Click` form data) is accepted here only.
  void app.register(async (scope) => {
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    // GET only shows the page: link scanners fetch links, and must not unsubscribe anyone.
    scope.get('/v1/unsubscribe/:token', doc('A page asking to confirm the unsubscribe (changes nothing)'), async (request, reply) => {
      const { token } = parse(tokenParams, request.params, 'params');
      const checked = check(token, 'unsubscribe');
      if (!checked.ok) return htmlError(reply, checked.reason);
      return reply.type('text/html; charset=utf-8').headers(NO_CACHE).send(unsubscribePage(channelName(checked.claims.channel)));
    });

    scope.post('/v1/unsubscribe/:token', doc('RFC 8058 one-click unsubscribe: revokes consent for the whole channel of the link'), async (request, reply) => {
      const { token } = parse(tokenParams, request.params, 'params');
      const checked = check(token, 'unsubscribe');
      if (!checked.ok) return htmlError(reply, checked.reason);
      const channel = checked.claims.channel as Channel;
      if (!CHANNELS.includes(channel)) return htmlError(reply, 'This link names no channel Beckon sends on.');
      // The whole channel: one click must stop every mail of this kind, whatever list the campaign was in.
      await consents.record(checked.claims.pseudonym, [{ channel, category: ANY_CATEGORY, granted: false }], 'list-unsubscribe').catch((err: { code?: string }) => {
        // A profile erased since the mail was sent: nothing will be sent to it anyway.
        if (err.code !== '23503') throw err;
      });
      // Counted for the message's campaign step (unsubscribe rate), once per message.
      const ref = parseDeliveryKey(checked.claims.deliveryKey);
      if (ref) await stats.recordUnsubscribe(ref, checked.claims.deliveryKey, channel);
      return reply.type('text/html; charset=utf-8').headers(NO_CACHE).send(unsubscribedPage(channelName(channel)));
    });
  });

  app.get('/v1/e/o/:token', doc('The open pixel: a 1x1 GIF; Message Opened'), async (request, reply) => {
    const { token } = parse(tokenParams, request.params, 'params');
    const checked = check(token, 'open');
    if (!checked.ok) return reply.status(400).headers(NO_CACHE).send({ error: 'invalid_link', message: checked.reason });
    const { deliveryKey, channel, pseudonym } = checked.claims;
    // The image is shown whatever happens to the report: a mail client cannot do anything about our outage.
    await reporter.report({ kind: 'opened', deliveryKey, channel }, pseudonym, { background: true }).catch((err: Error) => request.log.warn({ err }, 'open not recorded'));
    return reply.type('image/gif').headers(NO_CACHE).send(PIXEL);
  });

  app.get('/v1/e/c/:token', doc("The click redirect: 302 to the link's URL; Message Clicked"), async (request, reply) => {
    const { token } = parse(tokenParams, request.params, 'params');
    const checked = check(token, 'click');
    if (!checked.ok) return htmlError(reply, checked.reason);
    const { deliveryKey, channel, pseudonym, url } = checked.claims;
    if (!url || !/^https?:\/\//i.test(url)) return htmlError(reply, 'This link has no web address to go to.');
    // The reader reaches the page even when the click cannot be recorded.
    await reporter.report({ kind: 'clicked', deliveryKey, channel, url }, pseudonym, { background: true }).catch((err: Error) => request.log.warn({ err }, 'click not recorded'));
    return reply.headers(NO_CACHE).redirect(url, 302);
  });

  /** The app reports a tapped push with the signed `beckonOpen` value of the push data. */
  app.post('/v1/engagement/push-opened', doc('The app reports an opened push with its signed beckonOpen value: Message Opened', { body: pushOpenedBody }), async (request, reply) => {
    const { token } = parse(pushOpenedBody, request.body, 'body');
    const checked = check(token, 'open');
    if (!checked.ok) return reply.status(400).send({ error: 'invalid_link', message: checked.reason });
    const { deliveryKey, channel, pseudonym } = checked.claims;
    const outcome = await reporter.report({ kind: 'opened', deliveryKey, channel }, pseudonym);
    if (outcome === 'unknown_delivery') return reply.status(400).send({ error: 'invalid_link', message: 'This token names no Beckon delivery.' });
    return reply.status(200).send({ recorded: true });
  });
}

function channelName(channel: string): string {
  return channel === 'email' ? 'email' : channel === 'push' ? 'push notifications' : channel === 'in_app' ? 'in-app messages' : channel;
}
