import { ApplicationFailure, log } from '@temporalio/activity';
import { Liquid } from 'liquidjs';
import type { Pool } from 'pg';
import type { Channel, TemplateDefinition } from '../domain/campaign-schema';
import { createInboxRepository } from '../db/inbox';

export interface DeliverMessageInput {
  pseudonym: string;
  /** (campaign version, user, entry, step): the same key never sends twice. */
  deliveryKey: string;
  campaignId: string;
  campaignVersion: number;
  category: string;
  stepId: string;
  channel: Channel;
  template: TemplateDefinition;
  /** Template variables: `entry` (the entry event's properties), `traits`, `variables` (the step's). */
  context: { entry: Record<string, unknown>; traits: Record<string, unknown>; variables: Record<string, unknown> };
}

export type DeliveryOutcome =
  | { status: 'delivered'; messageId: string }
  | { status: 'duplicate'; messageId: string }
  | { status: 'skipped'; reason: string };

/** One activity per message step; the channel decides how the message leaves. */
export function createMessageActivities(deps: { pool: Pool }) {
  const inbox = createInboxRepository(deps.pool);
  const liquid = new Liquid();
  /** A template that cannot render will not render on a retry either: fail the step for good. */
  const render = async (text: string, context: DeliverMessageInput['context']): Promise<string> => {
    try {
      return String(await liquid.parseAndRender(text, context));
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`template does not render: ${(err as Error).message}`, 'TemplateError');
    }
  };

  return {
    async deliverMessage(input: DeliverMessageInput): Promise<DeliveryOutcome> {
      const { template } = input;
      if (template.channel !== 'in_app') {
        // Email, push and webhook senders arrive with the delivery work; until then the step is recorded as skipped, not faked.
        log.warn('channel not available yet; message skipped', { channel: template.channel, deliveryKey: input.deliveryKey });
        return { status: 'skipped', reason: `channel ${template.channel} is not available yet` };
      }
      const { id, created } = await inbox.insert({
        pseudonym: input.pseudonym,
        deliveryKey: input.deliveryKey,
        campaignId: input.campaignId,
        campaignVersion: input.campaignVersion,
        title: await render(template.title, input.context),
        body: await render(template.body, input.context),
      });
      return created ? { status: 'delivered', messageId: id } : { status: 'duplicate', messageId: id };
    },
  };
}
