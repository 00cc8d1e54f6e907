import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { DeliverMessageInput, DeliveryOutcome } from '../../src/activities/message-activities';
import type { TemplateDefinition } from '../../src/domain/campaign/campaign-schema';

let steps = 0;

/** The input a journey gives the send activity for one message step; each call is a new step unless `stepId` says otherwise. */
export function messageInput(pseudonym: string, template: TemplateDefinition, overrides: Partial<DeliverMessageInput> = {}): DeliverMessageInput {
  const campaignId = overrides.campaignId ?? 'send-test';
  const stepId = overrides.stepId ?? `step-${++steps}`;
  return {
    pseudonym,
    deliveryKey: `${campaignId}:v1:${pseudonym}:1:${stepId}`,
    campaignId,
    campaignVersion: 1,
    category: 'marketing',
    stepId,
    channel: template.channel,
    template,
    context: { entry: {}, traits: {}, variables: {} },
    ...overrides,
  };
}

/** Runs the real activity function in an activity context, as a worker would (one attempt). */
export function runActivity(fn: (input: DeliverMessageInput) => Promise<DeliveryOutcome>, input: DeliverMessageInput): Promise<DeliveryOutcome> {
  // Failures are what several tests expect; the SDK's warning for each would bury the report.
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, input);
}
