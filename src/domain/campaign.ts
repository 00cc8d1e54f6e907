/** A message shown in the user's in-app inbox. */
export interface InAppMessageStep {
  type: 'message';
  channel: 'in_app';
  title: string;
  body: string;
}

export type CampaignStep = InAppMessageStep;

/** One published version of a campaign; journeys keep the version they started with. */
export interface Campaign {
  id: string;
  version: number;
  name: string;
  /** The event that starts a journey. */
  entry: { event: string };
  steps: CampaignStep[];
}

/** Deterministic key of one send: the same (campaign version, user, entry, step) never sends twice. */
export function deliveryKey(campaign: Pick<Campaign, 'id' | 'version'>, pseudonym: string, entry: number, step: number): string {
  return `${campaign.id}:v${campaign.version}:${pseudonym}:${entry}:${step}`;
}
