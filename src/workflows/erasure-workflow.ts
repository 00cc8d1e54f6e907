import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { erasureActivityOptions } from './activity-policies';
import type { ErasureInput, ErasureResult } from './messages';

const { suppressUser, deleteUserWorkflows, eraseUserRows, destroyUserKeys, recordErasure } = proxyActivities<Activities>(erasureActivityOptions);

/**
 * Erases one person, durably: a crash at any step resumes at that step. Suppression comes first
 * (no call recreates them meanwhile), then their workflows, their rows, and last their data key,
 * which makes whatever Temporal or a copy of its history still holds of them unreadable.
 * Every step is safe to repeat, so a second erasure of the same person removes nothing more.
 */
export async function erasureWorkflow(input: ErasureInput): Promise<ErasureResult> {
  const pseudonyms = await suppressUser({ erasureId: input.erasureId, pseudonym: input.pseudonym, requestedBy: input.requestedBy });
  const workflows = await deleteUserWorkflows(pseudonyms);
  const rows = await eraseUserRows({ erasureId: input.erasureId, pseudonyms });
  const keys = await destroyUserKeys(pseudonyms);
  const removed = { workflows, rows, keys, visitors: pseudonyms.length - 1 };
  await recordErasure({ erasureId: input.erasureId, removed });
  return { erasureId: input.erasureId, pseudonym: input.pseudonym, removed };
}
