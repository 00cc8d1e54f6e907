import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { journeyQuery, journeyWorkflowId, stateQuery, userWorkflowId, type JourneyView, type UserStateView } from '../workflows/messages';
import { beckonCampaign, beckonCampaignVersion, beckonJourneyStatus, beckonStep } from '../workflows/search-attributes';
import { userJourneysQuery } from './visibility-queries';

/** The workflow (user or journey) does not exist in Temporal. */
export class WorkflowMissingError extends Error {
  readonly statusCode = 404;
  constructor(readonly workflowId: string, hint: string) {
    super(`no workflow ${workflowId}; ${hint}`);
    this.name = 'WorkflowMissingError';
  }
}

/** The operation needs a workflow in another state (cancel a running journey, reset a failed one). */
export class WorkflowStateError extends Error {
  readonly statusCode = 409;
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowStateError';
  }
}

export interface JourneySummary {
  workflowId: string;
  campaignId: string | undefined;
  campaignVersion: number | undefined;
  campaignName: unknown;
  step: string | undefined;
  journeyStatus: string | undefined;
  executionStatus: string;
  startTime: string;
  closeTime: string | null;
}

const EventType = temporal.api.enums.v1.EventType;
/** Events that mark where a journey went wrong; the last good workflow task is the last one completed before the first of them. */
const FAILURE_EVENTS = new Set([
  EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
]);

/** The last workflow task completed before the first failure: resetting there re-runs the step that failed. */
export function lastGoodWorkflowTask(events: readonly temporal.api.history.v1.IHistoryEvent[]): temporal.api.history.v1.IHistoryEvent | undefined {
  const failedAt = events.findIndex((event) => FAILURE_EVENTS.has(event.eventType ?? 0));
  const before = failedAt < 0 ? events : events.slice(0, failedAt);
  const good = [...before].reverse().find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  return good?.eventId ? good : undefined;
}

/** Per-user operations: a user's journeys, the user workflow's state, cancelling or resetting one journey. */
export function createUserOps(deps: { temporal: Client }) {
  const { workflow } = deps.temporal;
  const notFound = (err: unknown, workflowId: string, hint: string): never => {
    if (err instanceof WorkflowNotFoundError) throw new WorkflowMissingError(workflowId, hint);
    throw err;
  };

  return {
    async journeys(pseudonym: string, limit = 100): Promise<JourneySummary[]> {
      const found: JourneySummary[] = [];
      for await (const info of workflow.list({ query: userJourneysQuery(pseudonym), pageSize: limit })) {
        const attributes = info.typedSearchAttributes;
        found.push({
          workflowId: info.workflowId,
          campaignId: attributes.get(beckonCampaign),
          campaignVersion: attributes.get(beckonCampaignVersion),
          campaignName: info.memo?.campaignName,
          step: attributes.get(beckonStep),
          journeyStatus: attributes.get(beckonJourneyStatus),
          executionStatus: info.status.name,
          startTime: info.startTime.toISOString(),
          closeTime: info.closeTime?.toISOString() ?? null,
        });
        if (found.length >= limit) break;
      }
      return found;
    },

    /** The user workflow's own view (its `state` query): counters, traits, running journeys, armed absence rules. */
    async state(pseudonym: string): Promise<UserStateView> {
      const id = userWorkflowId(pseudonym);
      return workflow.getHandle(id).query(stateQuery).catch((err) => notFound(err, id, 'the user has sent no event yet'));
    },

    /** A journey's own view (its `journey` query), also after it has closed. */
    async journey(campaignId: string, pseudonym: string, entry: number): Promise<JourneyView> {
      const id = journeyWorkflowId(campaignId, pseudonym, entry);
      return workflow.getHandle(id).query(journeyQuery).catch((err) => notFound(err, id, '`beckon users journeys <userId>` lists the user\'s journeys'));
    },

    /** Requests cancellation of one running journey; it ends as cancelled and frees the campaign for re-entry. */
    async cancelJourney(campaignId: string, pseudonym: string, entry: number, reason = 'cancelled by ops'): Promise<{ workflowId: string }> {
      const id = journeyWorkflowId(campaignId, pseudonym, entry);
      const handle = workflow.getHandle(id);
      const description = await handle.describe().catch((err) => notFound(err, id, '`beckon users journeys <userId>` lists the user\'s journeys'));
      if (description.status.name !== 'RUNNING') throw new WorkflowStateError(`journey ${id} is ${description.status.name.toLowerCase()}, not running`);
      await deps.temporal.workflowService.requestCancelWorkflowExecution({
        namespace: deps.temporal.options.namespace,
        workflowExecution: { workflowId: id },
        identity: 'beckon-ops',
        reason,
        requestId: randomUUID(),
      });
      return { workflowId: id };
    },

    /**
     * Resets a failed or timed-out journey to the last workflow task completed before it went wrong:
     * a new run replays up to there and retries the failed step (signals received since are re-applied).
     */
    async resetJourney(workflowId: string, reason = 'reset by ops'): Promise<{ workflowId: string; runId: string; resetToEventId: number }> {
      const handle = workflow.getHandle(workflowId);
      const description = await handle.describe().catch((err) => notFound(err, workflowId, 'check the id with `beckon users journeys <userId>`'));
      if (!['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(description.status.name)) {
        throw new WorkflowStateError(`journey ${workflowId} is ${description.status.name.toLowerCase()}; only a failed, timed-out or terminated journey is reset`);
      }
      const history = await handle.fetchHistory();
      const lastGood = lastGoodWorkflowTask(history.events ?? [])?.eventId;
      if (!lastGood) throw new WorkflowStateError(`journey ${workflowId} never completed a workflow task before it failed; there is no good point to reset to`);
      const reset: temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse = await deps.temporal.workflowService.resetWorkflowExecution({
        namespace: deps.temporal.options.namespace,
        workflowExecution: { workflowId, runId: description.runId },
        workflowTaskFinishEventId: lastGood,
        reason,
        requestId: randomUUID(),
      });
      return { workflowId, runId: reset.runId ?? '', resetToEventId: Number(lastGood) };
    },
  };
}

export type UserOps = ReturnType<typeof createUserOps>;
