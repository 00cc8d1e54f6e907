import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { cert, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';
import type { LinkSigner } from '../../privacy/signed-links';
import { SendRejected, type ChannelSender, type OutgoingMessage } from './channel-sender';
import { createRenderer, templateAt } from './template-render';

export interface PushSenderDeps {
  /** firebase-admin's messaging of an app initialised with the service account. */
  messaging: Messaging;
  /** Forgets a device token FCM says is dead. */
  removeToken: (token: string) => Promise<unknown>;
  /** Signs the `beckonOpen` token the app posts to /v1/engagement/push-opened when the user opens the push. */
  links?: LinkSigner;
}

/**
 * firebase-admin messaging for a service account given as a path to its JSON file or as the JSON
 * itself. `httpAgent` carries both the OAuth token request and the FCM calls (a proxy, or tests);
 * google-auth-library applies it to the token request only when the account is read from a file.
 */
export function createFirebaseMessaging(serviceAccount: string, httpAgent?: Agent): Messaging {
  const account = serviceAccount.trim().startsWith('{') ? (JSON.parse(serviceAccount) as object) : serviceAccount;
  const app = initializeApp({ credential: cert(account, httpAgent), ...(httpAgent && { httpAgent }) }, `beckon-${randomUUID()}`);
  return getMessaging(app);
}

/** Tokens FCM will never deliver to again: unregistered (app removed), or not a token at all. */
function isDeadToken(err: { code?: string; message?: string }): boolean {
  if (err.code === 'messaging/registration-token-not-registered' || err.code === 'messaging/invalid-registration-token') return true;
  return err.code === 'messaging/invalid-argument' && /registration token/i.test(err.message ?? '');
}

/** FCM answered with an error worth another attempt (its servers, its quotas). */
const TRANSIENT = new Set(['messaging/server-unavailable', 'messaging/internal-error', 'messaging/message-rate-exceeded', 'messaging/device-message-rate-exceeded']);

/**
 * Push through FCM v1, one request per device token. Sent when any device took it (the others are
 * not retried: a retry would repeat it on the devices that did); dead tokens are removed.
 */
export function createPushSender(deps: PushSenderDeps): ChannelSender {
  const render = createRenderer();
  return {
    repeatSafe: false,
    hasAddress: (contact) => contact.pushTokens.length > 0,
    async send(message: OutgoingMessage) {
      const { template } = message;
      if (template.channel !== 'push') throw new Error(`push sender got a ${template.channel} template`);
      const title = await render(template.title, message.context, templateAt(message, 'title'));
      const body = await render(template.body, message.context, templateAt(message, 'body'));
      const data: Record<string, string> = { deliveryKey: message.deliveryKey, campaignId: message.campaignId };
      if (template.url !== undefined) data.url = await render(template.url, message.context, templateAt(message, 'url'));
      if (deps.links) data.beckonOpen = deps.links.sign({ purpose: 'open', deliveryKey: message.deliveryKey, pseudonym: message.pseudonym, channel: 'push' });

      const results = await Promise.allSettled(
        message.contact.pushTokens.map(({ token }) => deps.messaging.send({ token, notification: { title, body }, data })),
      );
      const sent: string[] = [];
      const dead: string[] = [];
      const answered: string[] = [];
      let unsure: Error | undefined;
      for (const [i, result] of results.entries()) {
        const { token } = message.contact.pushTokens[i]!;
        if (result.status === 'fulfilled') sent.push(result.value);
        else {
          const err = result.reason as { code?: string; message?: string };
          if (isDeadToken(err)) dead.push(token);
          else if (err.code?.startsWith('messaging/')) answered.push(`${err.code}: ${err.message}`);
          else unsure ??= result.reason instanceof Error ? result.reason : new Error(JSON.stringify(result.reason)); // No answer from FCM (network): it may have delivered.
        }
      }
      for (const token of dead) await deps.removeToken(token);
      if (sent.length > 0) return { providerId: sent.join(' ') };
      if (unsure) throw unsure;
      if (answered.length > 0) {
        const retryable = answered.some((text) => TRANSIENT.has(text.split(':')[0]!));
        throw new SendRejected(retryable ? 'fcm_unavailable' : 'fcm_rejected', answered.join('; '), retryable);
      }
      throw new SendRejected('no_valid_token', `FCM reported all ${dead.length} device tokens as unregistered or invalid; they were removed`, false);
    },
  };
}
