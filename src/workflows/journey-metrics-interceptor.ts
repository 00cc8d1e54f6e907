import {
  isCancellation,
  proxySinks,
  workflowInfo,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import type { JourneyResult, JourneyWorkflowInput } from './messages';

/** How a journey ended, for the worker's beckon_journeys_ended_total. */
export type JourneyEndOutcome = JourneyResult['status'] | 'cancelled' | 'failed';

/** The worker counts these in its Prometheus registry (src/metrics/worker-metrics.ts); never called during replay. */
export interface JourneyMetricsSinks extends Sinks {
  journeyMetrics: {
    started(campaignId: string): void;
    ended(campaignId: string, outcome: JourneyEndOutcome): void;
  };
}

const { journeyMetrics } = proxySinks<JourneyMetricsSinks>();

/**
 * Counts journeys started and ended by campaign and outcome through a sink, which the worker runs
 * outside the sandbox and skips while a history replays (so a journey resumed on another worker counts
 * once); a sink call adds no command, so running workflows replay unchanged.
 */
class JourneyMetricsInbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (workflowInfo().workflowType !== 'journeyWorkflow') return next(input);
    const campaign = (input.args[0] as JourneyWorkflowInput | undefined)?.campaign.id ?? 'unknown';
    journeyMetrics.started(campaign);
    try {
      const result = (await next(input)) as JourneyResult;
      journeyMetrics.ended(campaign, result.status);
      return result;
    } catch (err) {
      journeyMetrics.ended(campaign, isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new JourneyMetricsInbound()] });
