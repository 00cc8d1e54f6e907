import type { Pool } from 'pg';
import { createInboxRepository } from '../db/inbox';

export interface DeliverInAppInput {
  pseudonym: string;
  deliveryKey: string;
  campaignId: string;
  campaignVersion: number;
  title: string;
  body: string;
}

export type DeliveryOutcome = { status: 'delivered'; messageId: string } | { status: 'duplicate'; messageId: string };

/** In-app channel: the inbox row is the message, so writing it once under the delivery key is the whole send. */
export function createInAppActivities(deps: { pool: Pool }) {
  const inbox = createInboxRepository(deps.pool);
  return {
    async deliverInApp(input: DeliverInAppInput): Promise<DeliveryOutcome> {
      const { id, created } = await inbox.insert(input);
      return { status: created ? 'delivered' : 'duplicate', messageId: id };
    },
  };
}
