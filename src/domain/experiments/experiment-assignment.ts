import type { Campaign, CampaignStep } from '../campaign/campaign-model';
import { assignVariant, splitBucket, stableBucket } from '../split';

/** The held-out group's arm name; no variant may take it. */
export const CONTROL_ARM = 'holdout';
/** The arm of users in the policy's global control group: entered, measured, sent nothing by any covered campaign. */
export const GLOBAL_CONTROL_ARM = 'global-control';
/** The arm of everyone not held out, in a campaign with a holdout and no variants. */
export const TREATMENT_ARM = 'treatment';
/** The only arm of a campaign with no experiment. */
export const ALL_ARM = 'all';

/** Which arm of the campaign's experiment an entrant is in; stable per (user, campaign, salt). */
export interface ExperimentAssignment {
  variant: string;
  /** Held out: entered, measured, sent nothing. */
  heldOut: boolean;
}

type VariantStep = Extract<CampaignStep, { type: 'split' }> | (Extract<CampaignStep, { type: 'message' }> & { variants: NonNullable<Extract<CampaignStep, { type: 'message' }>['variants']> });

/** The step whose variants are the campaign's experiment (validation allows one). */
export function experimentStep(campaign: Pick<Campaign, 'steps'>): VariantStep | undefined {
  return campaign.steps.find((step): step is VariantStep => step.type === 'split' || (step.type === 'message' && step.variants !== undefined));
}

/** The arms in display order: the control group first when there is one. */
export function experimentArms(campaign: Pick<Campaign, 'steps' | 'holdout'>): string[] {
  const step = experimentStep(campaign);
  const variants = step ? step.variants.map((variant) => variant.name) : [];
  if ((campaign.holdout ?? 0) > 0) return [CONTROL_ARM, ...(variants.length > 0 ? variants : [TREATMENT_ARM])];
  return variants.length > 0 ? variants : [ALL_ARM];
}

/** The arm others are compared to: the held-out group, else the first variant; none without an experiment. */
export function controlArm(campaign: Pick<Campaign, 'steps' | 'holdout'>): string | undefined {
  const arms = experimentArms(campaign);
  return arms.length > 1 ? arms[0] : undefined;
}

/** Whether the user is in the global control group: one draw per (user, salt), the same for every campaign it covers. */
export function inGlobalControl(globalControl: { percent: number; salt: string }, pseudonym: string): boolean {
  return globalControl.percent > 0 && stableBucket([globalControl.salt, GLOBAL_CONTROL_ARM, pseudonym]) < globalControl.percent;
}

/**
 * The entrant's arm. The global control group comes first (the catalog sets `globalControl` on the
 * campaigns it covers). The holdout and the variant draw independent buckets, so the held-out share
 * is taken evenly from every variant. Once the winner rule has decided (`decidedWinner`, set by the
 * catalog), everyone not held out gets the winner. Without a salt a split keeps the bucket it always
 * had (per user, campaign and step), so adding this changed no running split's choices.
 */
export function assignExperiment(
  campaign: Pick<Campaign, 'id' | 'steps' | 'holdout' | 'salt' | 'globalControl' | 'decidedWinner'>,
  pseudonym: string,
): ExperimentAssignment {
  if (campaign.globalControl && inGlobalControl(campaign.globalControl, pseudonym)) return { variant: GLOBAL_CONTROL_ARM, heldOut: true };
  const salt = campaign.salt ?? '';
  const holdout = campaign.holdout ?? 0;
  if (holdout > 0 && stableBucket([campaign.id, salt, 'holdout', pseudonym]) < holdout) return { variant: CONTROL_ARM, heldOut: true };
  const step = experimentStep(campaign);
  if (!step) return { variant: holdout > 0 ? TREATMENT_ARM : ALL_ARM, heldOut: false };
  const decided = campaign.decidedWinner && step.variants.find((variant) => variant.name === campaign.decidedWinner!.variant);
  if (decided) return { variant: decided.name, heldOut: false };
  const bucket = campaign.salt === undefined ? splitBucket(pseudonym, campaign.id, step.id) : stableBucket([campaign.id, salt, step.id, pseudonym]);
  const variants: readonly { name: string; percent: number }[] = step.variants;
  return { variant: assignVariant(variants, bucket).name, heldOut: false };
}
