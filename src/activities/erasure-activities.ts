import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { createDataKeyRepository } from '../db/data-key-repository';
import { createErasureRepository, type RemovedRows } from '../db/erasure-repository';
import { unlabelledJourneysQuery, userJourneysQuery, userWorkflowsQuery } from '../ops/visibility-queries';
import { pseudonymOfWorkflow } from '../temporal/payload-codec';
import { forEachBounded } from '../util/bounded-parallel';

/** Executions one listing returns; the next listing finds the rest. */
const PAGE = 100;
/** Pages of everyone's not-yet-labelled journeys one round reads (normally a handful; past 1,000 the rest goes unread). */
const UNLABELLED_PAGES = 10;
/** An execution still listed this long after its deletion was asked is asked again. */
const REASK_MS = 5_000;
/** Listing rounds between two warnings that executions are still listed (about 8 s, then 10 s apart). */
const SLOW_ROUNDS = 10;

// gRPC NOT_FOUND: already deleted, by an earlier attempt or by Temporal's retention.
const isNotFound = (err: unknown) => (err as { code?: number }).code === 5;

/**
 * Deletes every workflow of these pseudonyms: user (and visitor) workflows first, so none starts
 * another journey, then their journeys. Deleting a running execution terminates it first. The raw
 * service calls carry no payload, so nothing is encrypted again with a key about to be destroyed.
 */
async function deleteWorkflows(client: Client, pseudonyms: readonly string[], concurrency: number): Promise<number> {
  const namespace = client.options.namespace;
  // When each execution (`workflowId/runId`) was last asked to go, and what Temporal answered: one still listed a while
  // later is asked again, and the warning about those still listed says what their last call answered.
  const asked = new Map<string, { at: number; answer: 'deleted' | 'not found' }>();
  const keyOf = (workflowId: string, runId?: string) => `${workflowId}/${runId ?? ''}`;
  // Where the time goes, logged at the end: asking for deletions, listing, waiting for visibility to catch up.
  const spent = { deleteMs: 0, listMs: 0, rounds: 0 };
  const timed = async <T>(into: 'deleteMs' | 'listMs', work: Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await work;
    } finally {
      spent[into] += Date.now() - started;
    }
  };
  const remove = async (workflowId: string, runId?: string) => {
    const answer = await client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, ...(runId && { runId }) } }).then(
      () => 'deleted' as const,
      (err: unknown) => {
        if (!isNotFound(err)) throw err;
        return 'not found' as const;
      },
    );
    asked.set(keyOf(workflowId, runId), { at: Date.now(), answer });
  };
  // Deletions are independent calls: ERASURE_DELETE_CONCURRENCY at a time (one by default: on the dev server more were slower).
  const removeAll = (executions: readonly { workflowId: string; runId?: string }[]) =>
    timed('deleteMs', forEachBounded(executions, concurrency, ({ workflowId, runId }) => remove(workflowId, runId)));
  const begun = Date.now();
  await removeAll(pseudonyms.map((pseudonym) => ({ workflowId: `user:${pseudonym}` })));
  const theirs = new Set(pseudonyms);
  // Their journeys by BeckonUser, not by parent (journeys outlive the run that started them), and those just
  // started that have not set BeckonUser yet, found by the pseudonym in their workflow ID.
  const queries = [
    { query: userWorkflowsQuery(pseudonyms), pages: 1 },
    ...pseudonyms.map((pseudonym) => ({ query: userJourneysQuery(pseudonym), pages: 1 })),
    { query: unlabelledJourneysQuery(), pages: UNLABELLED_PAGES, mine: (workflowId: string) => theirs.has(pseudonymOfWorkflow(workflowId) ?? '') },
  ];
  // Visibility lags deletion: list until no execution of theirs is listed, so the answer can say none is left.
  // The raw listing decodes no memo, so it still works on a second run, after the user's key is gone.
  for (;;) {
    // Those of theirs listed this round, with their status: none left ends the erasure's wait.
    const still: { key: string; status: number }[] = [];
    spent.rounds += 1;
    const due: { workflowId: string; runId: string }[] = [];
    for (const { query, pages, mine } of queries) {
      let nextPageToken: Uint8Array | undefined;
      for (let n = 0; n < pages; n += 1) {
        const page = await timed('listMs', client.workflowService.listWorkflowExecutions({ namespace, query, pageSize: PAGE, nextPageToken }));
        for (const info of page.executions ?? []) {
          const workflowId = info.execution?.workflowId ?? '';
          const runId = info.execution?.runId ?? '';
          if (!workflowId || (mine && !mine(workflowId))) continue;
          const key = keyOf(workflowId, runId);
          still.push({ key, status: info.status ?? 0 });
          const last = asked.get(key);
          if (last === undefined || Date.now() - last.at > REASK_MS) due.push({ workflowId, runId });
        }
        if (!page.nextPageToken?.length) break;
        nextPageToken = page.nextPageToken;
      }
    }
    await removeAll(due);
    const listed = still.length;
    Context.current().heartbeat({ asked: asked.size, listed });
    if (listed === 0) {
      const workflows = new Set([...asked.keys()].map((key) => key.slice(0, key.lastIndexOf('/')))).size;
      log.info('erasure: workflows deleted', { workflows, executions: asked.size, ...spent, totalMs: Date.now() - begun });
      return workflows;
    }
    // Temporal deletes asynchronously, and a loaded server lags: say so every 10 rounds, so a slow erasure shows in the log.
    if (spent.rounds % SLOW_ROUNDS === 0) {
      log.warn('erasure: executions still listed after their deletion was asked', {
        listed, asked: asked.size, ...spent, waitedMs: Date.now() - begun,
        still: still.slice(0, 5).map(({ key, status }) =>
          `${key} ${temporal.api.enums.v1.WorkflowExecutionStatus[status]}, last asked: ${asked.get(key)?.answer ?? 'not yet'}`),
      });
    }
    // Visibility usually catches up within a few hundred milliseconds: look again soon, then less often.
    await Context.current().sleep(Math.min(1_000, 200 * 2 ** (spent.rounds - 1)));
  }
}

/** Tests only: where a worker kills itself in an erasure, to prove the erasure finishes after a restart. */
export type ErasureFaultPoint = 'erasure-after-rows';

/** The steps of an erasure (see erasureWorkflow); each is safe to repeat. */
export function createErasureActivities(deps: {
  pool: Pool;
  client?: () => Client;
  /** Deletion calls in flight at once (ERASURE_DELETE_CONCURRENCY). */
  deleteConcurrency?: number;
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
      return deleteWorkflows(deps.client?.() ?? Context.current().client, pseudonyms, deps.deleteConcurrency ?? 1);
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
