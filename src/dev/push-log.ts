import type { Pool } from 'pg';
import type { ChannelSender } from '../activities/channels/channel-sender';
import { createRenderer } from '../activities/channels/template-render';
import { createDevOutboxRepository } from '../db/dev-outbox-repository';

/** `npm start`'s push sink when no Firebase service account is set: the push is rendered, logged and kept for GET /v1/dev/push. */
export function createDevPushSender(deps: { pool: Pool; log: (line: string) => void }): ChannelSender {
  const outbox = createDevOutboxRepository(deps.pool);
  const render = createRenderer();
  return {
    repeatSafe: false,
    hasAddress: (contact) => contact.pushTokens.length > 0,
    async send(message) {
      const { template } = message;
      if (template.channel !== 'push') throw new Error(`push log got a ${template.channel} template`);
      const title = await render(template.title, message.context);
      const body = await render(template.body, message.context);
      const url = template.url === undefined ? null : await render(template.url, message.context);
      const tokens = message.contact.pushTokens.map((t) => t.token);
      await outbox.add({ channel: 'push', recipients: tokens, subject: title, body: { title, body, url, deliveryKey: message.deliveryKey } });
      deps.log(`push to ${tokens.length} device(s): "${title}" ${body}`);
      return { providerId: `dev-push:${message.deliveryKey}` };
    },
  };
}
