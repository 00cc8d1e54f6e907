import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createDataKeyRepository } from '../db/data-key-repository';
import { createErasureRepository, type RemovedRows } from '../db/erasure-repository';
import { userJourneysQuery, userWorkflowsQuery } from '../ops/visibility-queries';

/** How many workflows one listing removes before it lists again (visibility catches up meanwhile). */
const PAGE = 100;

// gRPC NOT_FOUND: already deleted, by an earlier attempt or by Temporal's retention.
const isNotFound = (err: unknown) => (err as { code?: number }).code === 5;

/**
 * Deletes every workflow of these pseudonyms: user (and visitor) workflows first, so none starts
 * another journey, then their journeys. Deleting a running execution terminates it first. The raw
 * service calls carry no payload, so nothing is encrypted again with a key about to be destroyed.
 */
async function deleteWorkflows(client: Client, pseudonyms: readonly string[]): Promise<number> {
  const namespace = client.options.namespace;
  const deleted = new Set<string>();
  const remove = async (workflowId: string, runId?: string) => {
    await client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, ...(runId && { runId }) } }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    deleted.add(`${workflowId}/${runId ?? ''}`);
    Context.current().heartbeat(deleted.size);
  };
  for (const pseudonym of pseudonyms) await remove(`user:${pseudonym}`);
  const queries = [userWorkflowsQuery(pseudonyms), ...pseudonyms.map(userJourneysQuery)];
  // Visibility lags deletion: list again until no execution of theirs is left to remove.
  for (let round = 0; round < 1_000; round += 1) {
    let found = 0;
    for (const query of queries) {
      for await (const info of client.workflow.list({ query, pageSize: PAGE })) {
        if (deleted.has(`${info.workflowId}/${info.runId}`)) continue;
        found += 1;
        await remove(info.workflowId, info.runId);
        if (found >= PAGE) break;
      }
    }
    if (found === 0) return deleted.size;
  }
  throw new Error('workflows of the user kept appearing; the erasure retries');
}

/** The steps of an erasure (see erasureWorkflow); each is safe to repeat. */
export function createErasureActivities(deps: { pool: Pool; client?: () => Client; onKeysDestroyed?: (pseudonyms: readonly string[]) => void }) {
  const erasures = createErasureRepository(deps.pool);
  const keys = createDataKeyRepository(deps.pool);
  return {
    /** Suppresses the user and their linked visitors at once, so no call recreates them meanwhile; returns every pseudonym to erase. */
    async suppressUser(input: { erasureId: string; pseudonym: string; requestedBy: string }): Promise<string[]> {
      await erasures.recordRequested(input.erasureId, input.pseudonym, input.requestedBy);
      const pseudonyms = [input.pseudonym, ...(await erasures.linkedVisitors(input.pseudonym))];
      await erasures.suppress(pseudonyms, input.erasureId);
      return pseudonyms;
    },

    async deleteUserWorkflows(pseudonyms: string[]): Promise<number> {
      return deleteWorkflows(deps.client?.() ?? Context.current().client, pseudonyms);
    },

    async eraseUserRows(pseudonyms: string[]): Promise<RemovedRows> {
      return erasures.eraseRows(pseudonyms);
    },

    async destroyUserKeys(pseudonyms: string[]): Promise<number> {
      const destroyed = await keys.destroy(pseudonyms);
      deps.onKeysDestroyed?.(pseudonyms);
      return destroyed;
    },

    async recordErasure(input: { erasureId: string; removed: Record<string, unknown> }): Promise<void> {
      await erasures.recordCompleted(input.erasureId, input.removed);
    },
  };
}
