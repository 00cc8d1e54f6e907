import { isCancellation, metricMeter, workflowInfo, type Next, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { JourneyResult, JourneyWorkflowInput } from './messages';

/**
 * Counts journeys started and ended by campaign and outcome through the SDK's workflow metric meter:
 * exported by the worker runtime's Prometheus endpoint, skipped while a history replays (so a journey
 * resumed on another worker counts once), and adding no command, so running workflows replay unchanged.
 */
const started = metricMeter.createCounter('beckon_journeys_started', 'journeys', 'Journeys started, by campaign.');
const ended = metricMeter.createCounter('beckon_journeys_ended', 'journeys', 'Journeys ended, by campaign and outcome (completed, exited, cancelled, failed).');

class JourneyMetricsInbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (workflowInfo().workflowType !== 'journeyWorkflow') return next(input);
    const campaign = (input.args[0] as JourneyWorkflowInput | undefined)?.campaign.id ?? 'unknown';
    started.add(1, { campaign });
    try {
      const result = (await next(input)) as JourneyResult;
      ended.add(1, { campaign, outcome: result.status });
      return result;
    } catch (err) {
      ended.add(1, { campaign, outcome: isCancellation(err) ? 'cancelled' : 'failed' });
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new JourneyMetricsInbound()] });
