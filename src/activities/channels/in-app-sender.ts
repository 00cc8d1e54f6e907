import type { Pool } from 'pg';
import { createInboxRepository } from '../../db/inbox-repository';
import type { Queryable } from '../../db/queryable';
import type { ChannelSender, OutgoingMessage } from './channel-sender';
import { createRenderer, templateAt } from './template-render';

/** The in-app inbox: a row keyed by the delivery key, so a repeat finds the first row instead of adding one. */
export function createInAppSender(deps: { pool: Pool }): ChannelSender {
  const render = createRenderer();
  const deliver = async (db: Queryable, message: OutgoingMessage) => {
    const inbox = createInboxRepository(db);
    const { template } = message;
    if (template.channel !== 'in_app') throw new Error(`in-app sender got a ${template.channel} template`);
    const { id } = await inbox.insert({
      pseudonym: message.pseudonym,
      deliveryKey: message.deliveryKey,
      campaignId: message.campaignId,
      campaignVersion: message.campaignVersion,
      title: await render(template.title, message.context, templateAt(message, 'title')),
      body: await render(template.body, message.context, templateAt(message, 'body')),
      // Where a click on the message leads; the click route reports it as Message Clicked.
      ...(template.url !== undefined && { actionUrl: await render(template.url, message.context, templateAt(message, 'url')) }),
    });
    return { providerId: `inbox:${id}` };
  };
  return {
    repeatSafe: true,
    hasAddress: () => true,
    send: (message) => deliver(deps.pool, message),
    // In the send path's transaction: the inbox row commits with the decision and the outcome.
    sendWithin: (db, message) => deliver(db, message),
  };
}
