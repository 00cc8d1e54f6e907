import type { Pool } from 'pg';
import { createInboxRepository } from '../../db/inbox-repository';
import type { ChannelSender } from './channel-sender';
import { createRenderer, templateAt } from './template-render';

/** The in-app inbox: a row keyed by the delivery key, so a repeat finds the first row instead of adding one. */
export function createInAppSender(deps: { pool: Pool }): ChannelSender {
  const inbox = createInboxRepository(deps.pool);
  const render = createRenderer();
  return {
    repeatSafe: true,
    hasAddress: () => true,
    async send(message) {
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
    },
  };
}
