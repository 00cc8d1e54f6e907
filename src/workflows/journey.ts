import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { deliveryKey, type CampaignStep } from '../domain/campaign';
import { deliveryActivityOptions } from './activity-policies';
import type { JourneyResult, JourneyStatus, JourneyWorkflowInput } from './messages';
import { beckonCampaign, beckonCampaignVersion, beckonJourneyStatus, beckonStep, beckonUser } from './search-attributes';

/** Activities whose calls carry a summary, so the Web UI timeline reads like the campaign. */
function delivery(summary: string) {
  return proxyActivities<Activities>({ ...deliveryActivityOptions, summary });
}

function showProgress(step: string, status: JourneyStatus): void {
  upsertSearchAttributes([
    { key: beckonStep, value: step },
    { key: beckonJourneyStatus, value: status },
  ]);
}

/** The journey sets its own search attributes, so ops can find it by user, campaign and version in the Web UI. */
function showIdentity({ pseudonym, campaign }: JourneyWorkflowInput): void {
  upsertSearchAttributes([
    { key: beckonUser, value: pseudonym },
    { key: beckonCampaign, value: campaign.id },
    { key: beckonCampaignVersion, value: campaign.version },
  ]);
}

function stepLabel(index: number, step: CampaignStep): string {
  return `${index}:${step.type}:${step.channel}`;
}

/** One user's run through one campaign version: walks the steps in order. */
export async function journeyWorkflow(input: JourneyWorkflowInput): Promise<JourneyResult> {
  const { campaign, pseudonym, entry } = input;
  showIdentity(input);
  let delivered = 0;
  for (const [index, step] of campaign.steps.entries()) {
    showProgress(stepLabel(index, step), 'running');
    const outcome = await delivery(`step ${index}: ${step.channel} "${step.title}"`).deliverInApp({
      pseudonym,
      deliveryKey: deliveryKey(campaign, pseudonym, entry, index),
      campaignId: campaign.id,
      campaignVersion: campaign.version,
      title: step.title,
      body: step.body,
    });
    if (outcome.status === 'delivered') delivered += 1;
  }
  showProgress('end', 'completed');
  return { status: 'completed', delivered };
}
