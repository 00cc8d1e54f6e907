import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { LinkSigner } from '../../privacy/signed-links';
import { SendRejected, type ChannelSender, type OutgoingMessage } from './channel-sender';
import { smtpRetryAfterMs } from './retry-after';
import { createRenderer, templateAt } from './template-render';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (465); otherwise STARTTLS when the server offers it, or always with `requireTls`. */
  secure: boolean;
  requireTls: boolean;
  user?: string;
  password?: string;
  pool: boolean;
}

/** A nodemailer SMTP transport from settings; pooled connections when asked. */
export function createSmtpTransport(settings: SmtpSettings): Transporter<SMTPTransport.SentMessageInfo> {
  return nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTls,
    ...(settings.user && { auth: { user: settings.user, pass: settings.password ?? '' } }),
    ...(settings.pool && { pool: true }),
  } as SMTPTransport.Options);
}

export interface EmailSenderDeps {
  transport: Transporter<SMTPTransport.SentMessageInfo>;
  /** The From header, e.g. `Beckon <hello@example.com>`; its domain names the Message-ID. */
  from: string;
  links: LinkSigner;
  /** Base URL of the API that serves the unsubscribe, open and click routes. */
  publicUrl: string;
}

/** `<hash@domain>`: the same delivery always carries the same Message-ID, which names no user or campaign. */
export function messageIdFor(deliveryKey: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'beckon.local';
  return `<${createHash('sha256').update(deliveryKey).digest('hex').slice(0, 32)}@${domain}>`;
}

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const unescapeAttribute = (text: string) => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Rewrites every http(s) `<a href>` to the signed click link, and puts the open pixel at the end of the body. */
export function trackHtml(html: string, link: (purpose: 'open' | 'click', url?: string) => string): string {
  const clicked = html.replace(/(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?:[^"']+)\2/gi, (_m, start: string, quote: string, url: string) =>
    `${start}${quote}${escapeAttribute(link('click', unescapeAttribute(url)))}${quote}`,
  );
  const pixel = `<img src="${escapeAttribute(link('open'))}" width="1" height="1" alt="" style="display:none">`;
  return /<\/body>/i.test(clicked) ? clicked.replace(/<\/body>/i, `${pixel}</body>`) : `${clicked}${pixel}`;
}

/** The text with every occurrence of the address, in any case, replaced. */
function redact(text: string, address: string): string {
  return text.split(new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')).join('<recipient>');
}

/** SMTP errors that prove the message did not leave: the server answered, or the session failed before DATA. */
const BEFORE_DATA = new Set(['CONN', 'API', 'EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'AUTH PLAIN', 'AUTH LOGIN', 'MAIL FROM', 'RCPT TO']);

function classify(err: { responseCode?: number; command?: string; code?: string; message: string }): SendRejected | undefined {
  if (typeof err.responseCode === 'number') {
    const permanent = err.responseCode >= 500;
    const reason = permanent ? (err.command === 'RCPT TO' ? 'rejected_address' : 'rejected') : 'deferred_by_server';
    return new SendRejected(reason, err.message, !permanent, permanent ? undefined : smtpRetryAfterMs(err.message));
  }
  if (err.command && BEFORE_DATA.has(err.command)) return new SendRejected('smtp_unavailable', err.message, true);
  return undefined;
}

/** Email over SMTP: Liquid subject, text and HTML; one-click unsubscribe header and link; open and click links. */
export function createEmailSender(deps: EmailSenderDeps): ChannelSender {
  const render = createRenderer();
  return {
    repeatSafe: false,
    hasAddress: (contact) => Boolean(contact.email),
    async send(message: OutgoingMessage) {
      const { template } = message;
      if (template.channel !== 'email') throw new Error(`email sender got a ${template.channel} template`);
      const link = (purpose: 'unsubscribe' | 'open' | 'click', url?: string) => {
        const token = deps.links.sign({ purpose, deliveryKey: message.deliveryKey, pseudonym: message.pseudonym, channel: 'email', ...(url && { url }) });
        const path = { unsubscribe: 'unsubscribe', open: 'e/o', click: 'e/c' }[purpose];
        return `${deps.publicUrl}/v1/${path}/${token}`;
      };
      const unsubscribeUrl = link('unsubscribe');
      const context = { ...message.context, unsubscribeUrl };
      const subject = await render(template.subject, context, templateAt(message, 'subject'));
      const text = `${await render(template.text, context, templateAt(message, 'text'))}\n\nUnsubscribe: ${unsubscribeUrl}\n`;
      const html = template.html === undefined
        ? undefined
        : trackHtml(`${await render(template.html, context, templateAt(message, 'html'))}<p><a href="${escapeAttribute(unsubscribeUrl)}">Unsubscribe</a></p>`, (purpose, url) =>
            // The unsubscribe link stays itself: a click redirect in front of it would record a click, not the choice.
            purpose === 'click' && url === unsubscribeUrl ? unsubscribeUrl : link(purpose, url),
          );
      try {
        const info = await deps.transport.sendMail({
          from: deps.from,
          to: message.contact.email!,
          subject,
          text,
          ...(html !== undefined && { html }),
          messageId: messageIdFor(message.deliveryKey, deps.from),
          headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        });
        return { providerId: info.response };
      } catch (err) {
        // Failure messages reach Temporal's history: the server's reply often quotes the address, which must not.
        const error = err as Error & { responseCode?: number; command?: string };
        error.message = redact(error.message, message.contact.email!);
        throw classify(error) ?? error;
      }
    },
  };
}
