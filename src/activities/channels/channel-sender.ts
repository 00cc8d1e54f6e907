import type { ContactPoints } from '../../db/profile-repository';
import type { Queryable } from '../../db/queryable';
import type { TemplateDefinition } from '../../domain/campaign/campaign-schema';

/** Template variables at send time (see src/domain/template-variables.ts for what may be referenced). */
export interface TemplateContext {
  entry: Record<string, unknown>;
  traits: Record<string, unknown>;
  variables: Record<string, unknown>;
}

/** One message as a channel sends it: who, what, and the delivery it belongs to. */
export interface OutgoingMessage {
  deliveryKey: string;
  pseudonym: string;
  campaignId: string;
  campaignVersion: number;
  stepId: string;
  category: string;
  template: TemplateDefinition;
  context: TemplateContext;
  contact: ContactPoints;
}

export interface ChannelSender {
  /**
   * True when sending the same delivery again cannot reach the user twice (the inbox insert is
   * keyed, a webhook carries an idempotency key); false for SMTP and FCM, which deliver every copy.
   */
  repeatSafe: boolean;
  /** Whether the user can be reached on this channel at all (an address, a device token). */
  hasAddress(contact: ContactPoints): boolean;
  /** Resolves with the provider's id; throws SendRejected when the provider surely did not take it, anything else when unsure. */
  send(message: OutgoingMessage): Promise<{ providerId: string }>;
  /**
   * A channel whose delivery is a row in Beckon's own Postgres (the in-app inbox) delivers inside the send
   * path's decision transaction, over its client: decision, inbox row and outcome commit together, or none does.
   */
  sendWithin?(db: Queryable, message: OutgoingMessage): Promise<{ providerId: string }>;
}

/** The provider answered and did not take the message: nothing reached the user. */
export class SendRejected extends Error {
  constructor(
    /** Short machine reason: rejected_address, template_error, provider_error, invalid_token... */
    readonly reason: string,
    readonly detail: string,
    /** True when a later attempt may succeed (4xx SMTP, 5xx HTTP, FCM unavailable). */
    readonly retryable: boolean,
    /** When the provider said when to try again (Retry-After): the wait before the next attempt. */
    readonly retryAfterMs?: number,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'SendRejected';
  }
}
