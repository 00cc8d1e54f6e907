import type { DeliveryPolicy } from '../domain/campaign/campaign-schema';
import type { Queryable } from './queryable';

/** The delivery policy (policy.yaml) every worker applies, published with the campaigns. */
export function createDeliveryPolicyRepository(db: Queryable) {
  return {
    /** Undefined until one is published (no caps, no quiet hours). */
    async load(): Promise<DeliveryPolicy | undefined> {
      const result = await db.query<{ policy: DeliveryPolicy | null }>('SELECT policy FROM delivery_policy WHERE singleton');
      return result.rows[0]?.policy ?? undefined;
    },

    /** Publishes policy.yaml (or its absence) for every worker. */
    async save(policy: DeliveryPolicy | undefined): Promise<void> {
      await db.query(
        `INSERT INTO delivery_policy (singleton, policy) VALUES (true, $1)
         ON CONFLICT (singleton) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()`,
        [policy === undefined ? null : JSON.stringify(policy)],
      );
    },
  };
}

export type DeliveryPolicyRepository = ReturnType<typeof createDeliveryPolicyRepository>;
