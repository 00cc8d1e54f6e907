import type { InjectedSinks } from '@temporalio/worker';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliverMessageInput, DeliveryOutcome } from '../activities/message-activities';
import type { JourneyMetricsSinks } from '../workflows/journey-metrics-interceptor';

/** What one worker counts about sends; made by the entry point (src/worker.ts) and passed to the activities. */
export interface SendMetrics {
  sends: Counter<'channel' | 'outcome' | 'reason'>;
  sendSeconds: Histogram<'channel' | 'outcome'>;
}

export function createSendMetrics(registry: Registry): SendMetrics {
  return {
    sends: new Counter({
      name: 'beckon_sends_total',
      help: 'Message steps by channel and outcome (sent, skipped, deferred, paused, failed, unknown, error) and skip or failure reason.',
      labelNames: ['channel', 'outcome', 'reason'],
      registers: [registry],
    }),
    sendSeconds: new Histogram({
      name: 'beckon_send_duration_seconds',
      help: 'Time of one deliverMessage attempt (policy transaction, the provider call, the outcome recorded), by channel and outcome.',
      labelNames: ['channel', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/** Wraps the send activity so each attempt is counted once with what became of it; a thrown attempt counts as `error`. */
export function measuredDeliver(
  metrics: SendMetrics,
  deliver: (input: DeliverMessageInput) => Promise<DeliveryOutcome>,
): (input: DeliverMessageInput) => Promise<DeliveryOutcome> {
  return async (input) => {
    const stop = metrics.sendSeconds.startTimer({ channel: input.channel });
    try {
      const outcome = await deliver(input);
      const reason = 'reason' in outcome ? outcome.reason : '';
      metrics.sends.inc({ channel: input.channel, outcome: outcome.status, reason });
      stop({ outcome: outcome.status });
      return outcome;
    } catch (err) {
      const type = (err as { type?: unknown }).type;
      metrics.sends.inc({ channel: input.channel, outcome: 'error', reason: typeof type === 'string' ? type : 'exception' });
      stop({ outcome: 'error' });
      throw err;
    }
  };
}

/** The worker side of the journey interceptor's sink (src/workflows/journey-metrics-interceptor.ts). */
export function journeyMetricsSinks(registry: Registry): InjectedSinks<JourneyMetricsSinks> {
  const started = new Counter({
    name: 'beckon_journeys_started_total',
    help: 'Journeys started, by campaign (counted once: not again when a history replays on another worker).',
    labelNames: ['campaign'],
    registers: [registry],
  });
  const ended = new Counter({
    name: 'beckon_journeys_ended_total',
    help: 'Journeys ended, by campaign and outcome (completed, exited, cancelled, failed).',
    labelNames: ['campaign', 'outcome'],
    registers: [registry],
  });
  return {
    journeyMetrics: {
      started: { fn: (_info, campaign) => started.inc({ campaign }), callDuringReplay: false },
      ended: { fn: (_info, campaign, outcome) => ended.inc({ campaign, outcome }), callDuringReplay: false },
    },
  };
}
