import type { Campaign } from '../campaign/campaign-model';
import type { DeliveryPolicy } from '../campaign/campaign-schema';

/** The category the global control group never covers: receipts, password resets and the like must arrive. */
export const TRANSACTIONAL = 'transactional';

/** Whether the policy's global control group covers campaigns of this category. */
export function coversCategory(globalControl: NonNullable<DeliveryPolicy['globalControl']>, category: string): boolean {
  if (category === TRANSACTIONAL) return false;
  return globalControl.categories === undefined || globalControl.categories.includes(category);
}

/** A winner the auto rule decided for one campaign version. */
export interface DecidedWinner {
  variant: string;
  decidedAt: string;
}

/**
 * The campaign as the catalog hands it to workflows: with the global control group when the policy
 * covers its category, and with its version's decided winner. Journeys take both from their input,
 * so a decision or a policy change reaches only journeys that start after the catalog reload.
 */
export function withProgrammeRules(campaign: Campaign, policy: DeliveryPolicy | undefined, decided: DecidedWinner | undefined): Campaign {
  const globalControl = policy?.globalControl;
  const covered = globalControl !== undefined && globalControl.percent > 0 && coversCategory(globalControl, campaign.category);
  return {
    ...campaign,
    ...(covered && { globalControl: { percent: globalControl.percent, salt: globalControl.salt } }),
    ...(decided && { decidedWinner: decided }),
  };
}
