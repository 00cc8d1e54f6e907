import { createHmac } from 'node:crypto';
import { SendRejected, type ChannelSender, type OutgoingMessage } from './channel-sender';
import { retryAfterMs } from './retry-after';
import { createRenderer, templateAt, type Render, type TemplateAt } from './template-render';

export interface WebhookSenderDeps {
  /** Key of the HMAC-SHA256 signature; receivers verify with the same key. */
  secret: string;
  timeoutMs: number;
  /** Seconds since the epoch, for the signature's timestamp. */
  nowSeconds?: () => number;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp lets receivers refuse replays of old requests. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** Renders every string leaf of the body template, each named by its path (`body.items[0]`) for the template cache. */
async function renderBody(value: unknown, render: Render, context: object, at: TemplateAt): Promise<unknown> {
  if (typeof value === 'string') return render(value, context, at);
  if (Array.isArray(value)) return Promise.all(value.map((item, i) => renderBody(item, render, context, { ...at, field: `${at.field}[${i}]` })));
  if (value && typeof value === 'object') {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, inner]) => [key, await renderBody(inner, render, context, { ...at, field: `${at.field}.${key}` })] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/** Answers worth another attempt: the receiver is overloaded, timed out, or failed on its side. */
const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * A signed JSON POST to the template's URL. Repeat-safe: every attempt carries the delivery key
 * as `Idempotency-Key`, so a receiver that keeps the keys it has seen acts once.
 */
export function createWebhookSender(deps: WebhookSenderDeps): ChannelSender {
  const render = createRenderer();
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  return {
    repeatSafe: true,
    hasAddress: () => true,
    async send(message: OutgoingMessage) {
      const { template } = message;
      if (template.channel !== 'webhook') throw new Error(`webhook sender got a ${template.channel} template`);
      const url = await render(template.url, message.context, templateAt(message, 'url'));
      const body = JSON.stringify({
        deliveryKey: message.deliveryKey,
        campaignId: message.campaignId,
        campaignVersion: message.campaignVersion,
        stepId: message.stepId,
        category: message.category,
        user: message.pseudonym,
        data: await renderBody(template.body, render, message.context, templateAt(message, 'body')),
      });
      const timestamp = nowSeconds();
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': message.deliveryKey,
            'beckon-signature': webhookSignature(deps.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(deps.timeoutMs),
        });
      } catch (err) {
        // The request may or may not have arrived; a repeat is safe here (idempotency key), so say "not yet".
        throw new SendRejected('unreachable', `POST ${new URL(url).origin}: ${(err as Error).message}`, true);
      }
      const answer = (await response.text()).slice(0, 200);
      if (response.ok) return { providerId: response.headers.get('x-request-id') ?? `http ${response.status}` };
      const retryable = RETRYABLE_STATUS(response.status);
      // A receiver that says when it takes requests again (429, 503) is obeyed.
      const after = retryable ? retryAfterMs(response.headers.get('retry-after'), Date.now()) : undefined;
      throw new SendRejected(`http_${response.status}`, `${response.status} ${answer}`.trim(), retryable, after);
    },
  };
}
