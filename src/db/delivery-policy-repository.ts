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

    /**
     * Publishes policy.yaml (or its absence) for every worker. A change bumps the catalog revision, so user
     * workflows reload the catalog, whose campaigns carry the policy's global control group.
     */
    async save(policy: DeliveryPolicy | undefined): Promise<void> {
      await db.query(
        `WITH saved AS (
           INSERT INTO delivery_policy (singleton, policy) VALUES (true, $1::jsonb)
           ON CONFLICT (singleton) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()
             WHERE delivery_policy.policy IS DISTINCT FROM EXCLUDED.policy
           RETURNING 1)
         UPDATE campaign_catalog SET revision = revision + 1 WHERE singleton AND EXISTS (SELECT 1 FROM saved)`,
        [policy === undefined ? null : JSON.stringify(policy)],
      );
    },
  };
}

export type DeliveryPolicyRepository = ReturnType<typeof createDeliveryPolicyRepository>;
