import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { parseCampaignText } from './campaign-files';
import { createCampaignLifecycleRepository, type StoredStatus, type Transition } from '../db/campaign-lifecycle-repository';
import { createCampaignRepository, type PublishResult } from '../db/campaign-repository';
import { CampaignDefinitionError, type DefinitionProblem } from '../domain/campaign/campaign-validation';
import type { CampaignDefinition } from '../domain/campaign/campaign-schema';
import { startBatch } from '../temporal/batch-operations';
import { resumeSignal, type ResumeSignal } from '../workflows/messages';
import { campaignJourneysQuery } from './visibility-queries';

/** A lifecycle operation that the campaign's current status does not allow (e.g. resume an active one). */
export class LifecycleConflictError extends Error {
  readonly statusCode = 409;
  constructor(
    readonly campaignId: string,
    readonly status: StoredStatus,
    readonly operation: Transition | 'rerun',
    allowedFrom: StoredStatus[],
  ) {
    super(`campaign "${campaignId}" is ${status}; ${operation} applies to ${allowedFrom.join(' or ')} campaigns`);
    this.name = 'LifecycleConflictError';
  }
}

/** No campaign with that id was ever published. */
export class CampaignNotFoundError extends Error {
  readonly statusCode = 404;
  constructor(readonly campaignId: string) {
    super(`no campaign "${campaignId}"; \`beckon campaigns list\` shows the ones there are`);
    this.name = 'CampaignNotFoundError';
  }
}

export type ValidateResult = { valid: true; campaign: { id: string; name: string; steps: number } } | { valid: false; problems: DefinitionProblem[] };

export interface JourneyCounts {
  running: number;
  waiting: number;
  paused: number;
}

/** Campaign lifecycle for ops: validate, publish, pause, resume, cancel, archive, with Temporal's batch operations for the journeys. */
export function createCampaignOps(deps: { pool: Pool; temporal: Client }) {
  const lifecycle = createCampaignLifecycleRepository(deps.pool);
  const campaigns = createCampaignRepository(deps.pool);

  const transition = async (campaignId: string, operation: Transition) => {
    const result = await lifecycle.transition(campaignId, operation);
    if (result.outcome === 'not_found') throw new CampaignNotFoundError(campaignId);
    if (result.outcome === 'conflict') throw new LifecycleConflictError(campaignId, result.status, operation, result.allowedFrom);
    return result;
  };

  const counts = async (campaignId: string): Promise<JourneyCounts> => {
    const count = async (status?: string) => (await deps.temporal.workflow.count(campaignJourneysQuery(campaignId, { running: true, ...(status && { status }) }))).count;
    const [running, waiting, paused] = await Promise.all([count(), count('waiting'), count('paused')]);
    return { running, waiting, paused };
  };

  return {
    journeyCounts: counts,

    async list(includeArchived = false) {
      return lifecycle.list({ includeArchived });
    },

    async show(campaignId: string) {
      const campaign = await lifecycle.show(campaignId);
      if (!campaign) throw new CampaignNotFoundError(campaignId);
      return { ...campaign, journeys: await counts(campaignId) };
    },

    /** Checks a definition (YAML or JSON text) as start-up does, without publishing it. */
    validate(text: string, source: string): ValidateResult {
      try {
        const definition = parseCampaignText(text, source);
        return { valid: true, campaign: { id: definition.id, name: definition.name, steps: definition.steps.length } };
      } catch (err) {
        if (err instanceof CampaignDefinitionError) return { valid: false, problems: err.problems };
        throw err;
      }
    },

    /** Publishes a new version (none when the text equals the current one); running journeys keep theirs. Throws CampaignDefinitionError. */
    async publish(text: string, source: string): Promise<PublishResult & { status: StoredStatus }> {
      const definition: CampaignDefinition = parseCampaignText(text, source);
      const result = await campaigns.publish(definition, source);
      return { ...result, status: (await lifecycle.status(definition.id)) as StoredStatus };
    },

    /** No new entries, and every journey holds before its next message until resume; waits keep running. */
    async pause(campaignId: string) {
      const result = await transition(campaignId, 'pause');
      return { campaignId, outcome: result.outcome, status: result.status, journeys: await counts(campaignId) };
    },

    /** Entries again, and held journeys are signalled to go on at once (a batch signal over the paused ones). */
    async resume(campaignId: string, reason = 'resumed by ops') {
      const result = await transition(campaignId, 'resume');
      const signal: ResumeSignal = { version: 1, campaignId };
      const jobId = await startBatch(deps.temporal, {
        kind: 'signal',
        query: campaignJourneysQuery(campaignId, { running: true, status: 'paused' }),
        reason,
        signal: resumeSignal.name,
        input: signal,
      });
      return { campaignId, outcome: result.outcome, status: result.status, jobId };
    },

    /** Pauses entries first (so no journey starts behind the batch), then cancels every running journey in one batch operation. */
    async cancel(campaignId: string, reason = 'cancelled by ops') {
      const status = await lifecycle.status(campaignId);
      if (status === 'unknown') throw new CampaignNotFoundError(campaignId);
      if (status === 'active') await transition(campaignId, 'pause');
      const query = campaignJourneysQuery(campaignId, { running: true });
      const jobId = await startBatch(deps.temporal, { kind: 'cancel', query, reason });
      return { campaignId, status: status === 'active' ? 'paused' : status, jobId, query };
    },

    /** Out of the catalog for good (resume brings it back); running journeys finish on their version unless cancelled. */
    async archive(campaignId: string) {
      const result = await transition(campaignId, 'archive');
      return { campaignId, outcome: result.outcome, status: result.status, journeys: await counts(campaignId) };
    },
  };
}

export type CampaignOps = ReturnType<typeof createCampaignOps>;
