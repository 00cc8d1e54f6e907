import { simpleParser } from 'mailparser';
import type { Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import { createDevOutboxRepository } from '../db/dev-outbox-repository';

export interface SmtpSink {
  port: number;
  stop(): Promise<void>;
}

/**
 * `npm start`'s mail sink: a local SMTP server (smtp-server) that accepts every message and keeps
 * it in dev_outbox, parsed, for GET /v1/dev/mail. Nothing leaves the machine.
 */
export async function startSmtpSink(options: { pool: Pool; host?: string; port?: number; log?: (line: string) => void }): Promise<SmtpSink> {
  const outbox = createDevOutboxRepository(options.pool);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
          await outbox.add({
            channel: 'email',
            recipients,
            subject: mail.subject ?? null,
            body: {
              from: mail.from?.text ?? null,
              messageId: mail.messageId ?? null,
              listUnsubscribe: mail.headerLines.find((line) => line.key === 'list-unsubscribe')?.line.replace(/^[^:]*:\s*/, '') ?? null,
              text: mail.text ?? null,
              html: typeof mail.html === 'string' ? mail.html : null,
            },
          });
          options.log?.(`email to ${recipients.join(', ')}: "${mail.subject ?? ''}"`);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return { port, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
