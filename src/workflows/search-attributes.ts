import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes Beckon registers on the namespace; ops query journeys by them in the Web UI. */
export const beckonUser = defineSearchAttributeKey('BeckonUser', SearchAttributeType.KEYWORD);
export const beckonCampaign = defineSearchAttributeKey('BeckonCampaign', SearchAttributeType.KEYWORD);
export const beckonCampaignVersion = defineSearchAttributeKey('BeckonCampaignVersion', SearchAttributeType.INT);
export const beckonStep = defineSearchAttributeKey('BeckonStep', SearchAttributeType.KEYWORD);
export const beckonJourneyStatus = defineSearchAttributeKey('BeckonJourneyStatus', SearchAttributeType.KEYWORD);

/** Journeys: the experiment arm of the entry (`holdout`, a variant's name, `treatment` or `all`). */
export const beckonVariant = defineSearchAttributeKey('BeckonVariant', SearchAttributeType.KEYWORD);

export const beckonSearchAttributes = [beckonUser, beckonCampaign, beckonCampaignVersion, beckonStep, beckonJourneyStatus, beckonVariant];
