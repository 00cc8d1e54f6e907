import { Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import type { Pool } from 'pg';
import { createExperimentRepository, type EntryEnd } from '../db/experiment-repository';
import { assignExperiment } from '../domain/experiments/experiment-assignment';
import { journeyWorkflow } from '../workflows/journey-workflow';
import { journeyEndedSignal, type JourneyEndedSignal, type JourneyWorkflowInput } from '../workflows/messages';
import { beckonCampaign, beckonCampaignVersion, beckonJourneyStatus, beckonStep, beckonUser, beckonVariant } from '../workflows/search-attributes';

/** What the user workflow asks for to start one journey (shape 2: started through the client, not as a child). */
export interface StartJourneyInput {
  workflowId: string;
  /** The user workflow's own queue: with eager start the journey's first task comes back to this worker. */
  taskQueue: string;
  journey: JourneyWorkflowInput;
}

/** `started` false: the ID was taken (a retried or replayed start), and that journey stands. */
export interface StartedJourney {
  started: boolean;
  /** The server handed the journey's first workflow task straight back to this worker. */
  eager: boolean;
}

/** What a journey of shape 2 does when it ends: its experiment entry's end, then the word to its user workflow. */
export interface EndJourneyInput {
  end?: EntryEnd;
  userWorkflowId: string;
  signal: JourneyEndedSignal;
}

/**
 * The search attributes a journey starts with, so the Web UI finds it by user, campaign, version,
 * arm and first step from its first event on; the journey upserts only what changes later.
 */
export function journeyStartAttributes(input: JourneyWorkflowInput): SearchAttributePair[] {
  const { campaign, pseudonym } = input;
  const first = campaign.steps[0];
  return [
    { key: beckonUser, value: pseudonym },
    { key: beckonCampaign, value: campaign.id },
    { key: beckonCampaignVersion, value: campaign.version },
    { key: beckonVariant, value: assignExperiment(campaign, pseudonym).variant },
    ...(first ? [{ key: beckonStep, value: first.id }] : []),
    { key: beckonJourneyStatus, value: 'running' },
  ];
}

/**
 * Starts a journey once; `eager` hands its first task straight back to this worker. REJECT_DUPLICATE: a start retried after its journey already ended (the
 * user workflow's task failed after the start) finds the ID taken instead of starting the journey again.
 */
export async function startJourneyWith(client: Client, { workflowId, taskQueue, journey }: StartJourneyInput, eager = false): Promise<StartedJourney> {
  const { campaign } = journey;
  try {
    const handle = await client.workflow.start(journeyWorkflow, {
      workflowId,
      taskQueue,
      args: [journey],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: journeyStartAttributes(journey),
      memo: { campaignName: campaign.name, campaignVersion: campaign.version },
      staticSummary: `${campaign.name} (v${campaign.version}), entry ${journey.entry}`,
      // Only a client on the worker's NativeConnection (the activity context's) can ask for it.
      requestEagerStart: eager,
    });
    return { started: true, eager: handle.eagerlyStarted };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { started: false, eager: false };
  }
}

/** Signals the user workflow that a journey ended; false when it is not running (erased, terminated): nothing to free. */
export async function tellUserWorkflowWith(client: Client, userWorkflowId: string, signal: JourneyEndedSignal): Promise<boolean> {
  try {
    await client.workflow.getHandle(userWorkflowId).signal(journeyEndedSignal, signal);
    return true;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    log.info(`journeyEnded not delivered: ${userWorkflowId} is not running`, { target: userWorkflowId, campaignId: signal.campaignId, entry: signal.entry });
    return false;
  }
}

/** Local activities of the journey's shape 2; the client is the worker's own (its connection, namespace and codec). */
export function createJourneyActivities(deps: { pool: Pool }) {
  const experiments = createExperimentRepository(deps.pool);
  return {
    async startJourney(input: StartJourneyInput): Promise<StartedJourney> {
      return startJourneyWith(Context.current().client, input, true);
    },
    /** Idempotent: the first end recorded stands, and a repeated journeyEnded frees nothing twice. */
    async endJourney({ end, userWorkflowId, signal }: EndJourneyInput): Promise<boolean> {
      if (end) await experiments.recordEnd(end);
      return tellUserWorkflowWith(Context.current().client, userWorkflowId, signal);
    },
  };
}
