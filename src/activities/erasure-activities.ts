import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createDataKeyRepository } from '../db/data-key-repository';
import { createErasureRepository, type RemovedRows } from '../db/erasure-repository';
import { userJourneysQuery, userWorkflowsQuery } from '../ops/visibility-queries';

/** Executions one listing returns; the next listing finds the rest. */
const PAGE = 100;
/** An execution still listed this long after its deletion was asked is asked again. */
const REASK_MS = 5_000;

// gRPC NOT_FOUND: already deleted, by an earlier attempt or by Temporal's retention.
const isNotFound = (err: unknown) => (err as { code?: number }).code === 5;

/**
 * Deletes every workflow of these pseudonyms: user (and visitor) workflows first, so none starts
 * another journey, then their journeys. Deleting a running execution terminates it first. The raw
 * service calls carry no payload, so nothing is encrypted again with a key about to be destroyed.
 */
async function deleteWorkflows(client: Client, pseudonyms: readonly string[]): Promise<number> {
  const namespace = client.options.namespace;
  // When each execution was last asked to go: one still listed a while later is asked again.
  const asked = new Map<string, number>();
  const remove = async (workflowId: string, runId?: string) => {
    await client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, ...(runId && { runId }) } }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    asked.set(`${workflowId}/${runId ?? ''}`, Date.now());
  };
  for (const pseudonym of pseudonyms) await remove(`user:${pseudonym}`);
  const queries = [userWorkflowsQuery(pseudonyms), ...pseudonyms.map(userJourneysQuery)];
  // Visibility lags deletion: list until no execution of theirs is listed, so the answer can say none is left.
  // The raw listing decodes no memo, so it still works on a second run, after the user's key is gone.
  for (;;) {
    let listed = 0;
    for (const query of queries) {
      const page = await client.workflowService.listWorkflowExecutions({ namespace, query, pageSize: PAGE });
      for (const info of page.executions ?? []) {
        const workflowId = info.execution?.workflowId ?? '';
        const runId = info.execution?.runId ?? '';
        if (!workflowId) continue;
        listed += 1;
        const last = asked.get(`${workflowId}/${runId}`);
        if (last === undefined || Date.now() - last > REASK_MS) await remove(workflowId, runId);
      }
    }
    Context.current().heartbeat({ asked: asked.size, listed });
    if (listed === 0) return new Set([...asked.keys()].map((key) => key.slice(0, key.lastIndexOf('/')))).size;
    await Context.current().sleep(500);
  }
}

/** Tests only: where a worker kills itself in an erasure, to prove the erasure finishes after a restart. */
export type ErasureFaultPoint = 'erasure-after-rows';

/** The steps of an erasure (see erasureWorkflow); each is safe to repeat. */
export function createErasureActivities(deps: {
  pool: Pool;
  client?: () => Client;
  onKeysDestroyed?: (pseudonyms: readonly string[]) => void;
  fault?: (point: ErasureFaultPoint) => void;
}) {
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

    async eraseUserRows(input: { erasureId: string; pseudonyms: string[] }): Promise<RemovedRows> {
      const removed = await erasures.eraseRows(input.pseudonyms, input.erasureId);
      deps.fault?.('erasure-after-rows');
      return removed;
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
