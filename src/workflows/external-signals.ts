import { ApplicationFailure, getExternalWorkflowHandle, isCancellation, log, type SignalDefinition } from '@temporalio/workflow';

/**
 * How a signal to another workflow fails when that workflow is not running (it completed, was
 * terminated or erased, or never started): sdk-core resolves the signal with an ApplicationFailure
 * whose type is the server's cause, `ExternalWorkflowExecutionNotFound`. It is the one failure workflows here expect.
 */
export const TARGET_GONE = 'ExternalWorkflowExecutionNotFound';

export function isTargetGone(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === TARGET_GONE;
}

/** A signal to another workflow failed in a way nobody expects; thrown as a plain Error, it fails the workflow task, which Temporal retries. */
export class ExternalSignalError extends Error {
  override readonly name = 'ExternalSignalError';
}

/**
 * Signals another workflow. Resolves true when it took the signal, false when it is not running
 * (logged: the caller decides what that means); a cancellation propagates; any other failure is
 * logged and thrown as an ExternalSignalError, so it is seen and retried instead of swallowed.
 */
export async function signalExternal<Args extends unknown[]>(workflowId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(workflowId).signal(signal, ...args);
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (isTargetGone(err)) {
      log.info(`signal ${signal.name} not delivered: ${workflowId} is not running`, { target: workflowId, signal: signal.name });
      return false;
    }
    log.error(`signal ${signal.name} to ${workflowId} failed`, { target: workflowId, signal: signal.name, error: String(err) });
    throw new ExternalSignalError(`signal ${signal.name} to ${workflowId} failed: ${(err as Error).message}`);
  }
}
