import type { ErasureResult } from '../../src/workflows/messages';
import type { TestApi } from './api';

/** For a test that erases: an erasure waits for Temporal's deletions, which a dev server loaded by the other test files lags by a minute or more. */
export const ERASING_MS = 300_000;

/** What `DELETE /v1/ops/users/:userId` answers once the erasure is done. */
export type ErasedBody = { userId: string; status: 'completed' } & ErasureResult;

/**
 * Erases a user through the ops API, as an operator does. The API waits up to a minute and then
 * answers 202 with the erasure's workflow ID (it finishes on its own); on a loaded machine Temporal's
 * deletions can take that long, so a 202 is followed to the workflow's result, not taken as a failure.
 */
export async function eraseThroughApi(api: TestApi, userId: string, headers: Record<string, string>): Promise<ErasedBody> {
  const response = await api.http({ method: 'DELETE', url: `/v1/ops/users/${encodeURIComponent(userId)}`, headers });
  const body = response.json();
  if (response.statusCode === 200) return body as ErasedBody;
  if (response.statusCode !== 202 || body.status !== 'running' || typeof body.workflowId !== 'string') {
    throw new Error(`erasure of ${userId} answered ${response.statusCode}: ${response.body}`);
  }
  const result = (await api.temporal.workflow.getHandle(body.workflowId).result()) as ErasureResult;
  return { userId, status: 'completed', ...result };
}
