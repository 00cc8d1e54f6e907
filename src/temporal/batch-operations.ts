import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';

/** One batch operation: cancel, or signal, every workflow a visibility query matches. */
export type BatchRequest =
  | { kind: 'cancel'; query: string; reason: string }
  | { kind: 'signal'; query: string; reason: string; signal: string; input: unknown };

export interface BatchProgress {
  jobId: string;
  state: 'running' | 'completed' | 'failed' | 'unknown';
  kind: string;
  query: string;
  reason: string;
  /** Workflows the query matched (0 until the server has counted them). */
  total: number;
  done: number;
  failed: number;
  startedAt: string | null;
  closedAt: string | null;
}

const IDENTITY = 'beckon-ops';
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_NOT_FOUND = 5;

/** Another batch is running and the namespace allows only so many at once; the caller retries later. */
export class BatchBusyError extends Error {
  readonly statusCode = 429;
  constructor(options?: { cause?: unknown }) {
    super('Temporal is already running as many batch operations as it allows; retry in a few seconds', options);
    this.name = 'BatchBusyError';
  }
}

/** Starts the batch on the Temporal server (StartBatchOperation); it runs there, and `describeBatch` reports its progress. */
export async function startBatch(client: Client, request: BatchRequest, options: { busyWaitMs?: number } = {}): Promise<string> {
  const jobId = `beckon-${request.kind}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const operation =
    request.kind === 'cancel'
      ? { cancellationOperation: { identity: IDENTITY } }
      : {
          signalOperation: {
            identity: IDENTITY,
            signal: request.signal,
            input: { payloads: await encodeToPayloads(client.options.loadedDataConverter, request.input) },
          },
        };
  const deadline = Date.now() + (options.busyWaitMs ?? 30_000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      await client.workflowService.startBatchOperation({
        namespace: client.options.namespace,
        jobId,
        visibilityQuery: request.query,
        reason: request.reason,
        ...operation,
      });
      return jobId;
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_RESOURCE_EXHAUSTED) throw err;
      if (Date.now() + delay > deadline) throw new BatchBusyError({ cause: err });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

const STATES: Record<number, BatchProgress['state']> = {
  [temporal.api.enums.v1.BatchOperationState.BATCH_OPERATION_STATE_RUNNING]: 'running',
  [temporal.api.enums.v1.BatchOperationState.BATCH_OPERATION_STATE_COMPLETED]: 'completed',
  [temporal.api.enums.v1.BatchOperationState.BATCH_OPERATION_STATE_FAILED]: 'failed',
};
const KINDS: Record<number, string> = {
  [temporal.api.enums.v1.BatchOperationType.BATCH_OPERATION_TYPE_CANCEL]: 'cancel',
  [temporal.api.enums.v1.BatchOperationType.BATCH_OPERATION_TYPE_SIGNAL]: 'signal',
  [temporal.api.enums.v1.BatchOperationType.BATCH_OPERATION_TYPE_TERMINATE]: 'terminate',
};

const toIso = (time: temporal.api.workflowservice.v1.IDescribeBatchOperationResponse['startTime']) =>
  time?.seconds ? new Date(Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6)).toISOString() : null;

/** The batch's progress, or undefined when the server knows no such job. */
export async function describeBatch(client: Client, jobId: string): Promise<BatchProgress | undefined> {
  try {
    const batch = await client.workflowService.describeBatchOperation({ namespace: client.options.namespace, jobId });
    return {
      jobId,
      state: STATES[batch.state ?? 0] ?? 'unknown',
      kind: KINDS[batch.operationType ?? 0] ?? 'other',
      query: batch.query ?? '',
      reason: batch.reason ?? '',
      total: Number(batch.totalOperationCount ?? 0),
      done: Number(batch.completeOperationCount ?? 0),
      failed: Number(batch.failureOperationCount ?? 0),
      startedAt: toIso(batch.startTime),
      closedAt: toIso(batch.closeTime),
    };
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_NOT_FOUND) return undefined;
    throw err;
  }
}

/** Polls until the batch ends, reporting each change of progress; resolves with the final figures. */
export async function waitForBatch(client: Client, jobId: string, onProgress: (progress: BatchProgress) => void = () => {}, pollMs = 500): Promise<BatchProgress> {
  let last = '';
  for (;;) {
    const progress = await describeBatch(client, jobId);
    if (!progress) throw new Error(`batch ${jobId} is unknown to Temporal`);
    const key = `${progress.state}:${progress.done}:${progress.failed}:${progress.total}`;
    if (key !== last) onProgress(progress);
    last = key;
    if (progress.state !== 'running') return progress;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
