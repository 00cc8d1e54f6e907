import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createErasureRepository } from '../db/erasure-repository';
import { createUserExportRepository } from '../db/user-export-repository';
import { erasureWorkflowId, type ErasureInput, type ErasureResult } from '../workflows/messages';
import { erasureWorkflow } from '../workflows/erasure-workflow';
import type { UserOps } from './user-ops';

export type ErasureAnswer = { status: 'completed'; result: ErasureResult } | { status: 'running'; workflowId: string };

/** Erasure, export and suppression of one person, for the ops API and CLI. */
export function createPrivacyOps(deps: { temporal: Client; taskQueue: string; pool: Pool; userOps: UserOps; erasureWaitMs: number }) {
  const erasures = createErasureRepository(deps.pool);
  const exports = createUserExportRepository(deps.pool);
  return {
    /**
     * Starts the person's erasure workflow (or joins the one running) and waits up to ERASURE_WAIT_MS for it
     * (0: not at all): the answer says what was removed, or that it is still running and will finish on its own.
     */
    async erase(pseudonym: string, requestedBy: string): Promise<ErasureAnswer> {
      const waitMs = deps.erasureWaitMs;
      const workflowId = erasureWorkflowId(pseudonym);
      const input: ErasureInput = { version: 1, erasureId: randomUUID(), pseudonym, requestedBy };
      const handle = await deps.temporal.workflow.start(erasureWorkflow, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      if (waitMs === 0) return { status: 'running', workflowId };
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
      const result = await Promise.race([handle.result(), timeout]).finally(() => clearTimeout(timer));
      return result ? { status: 'completed', result } : { status: 'running', workflowId };
    },

    /** Everything Beckon holds about the person: Postgres rows, and their journeys and state from Temporal. */
    async export(userId: string, pseudonym: string): Promise<Record<string, unknown>> {
      const rows = await exports.export(pseudonym);
      const journeys = await deps.userOps.journeys(pseudonym, 1000);
      const withSteps = await Promise.all(
        journeys.map(async (journey) => {
          const [, campaignId, , entry] = journey.workflowId.split(':');
          const view = await deps.userOps.journey(campaignId!, pseudonym, Number(entry)).catch(() => undefined);
          return { ...journey, steps: view?.path ?? null, heardEvents: view?.heard ?? null };
        }),
      );
      const state = await deps.userOps.state(pseudonym).catch(() => null);
      return { userId, pseudonym, exportedAt: new Date().toISOString(), ...rows, journeys: withSteps, workflowState: state };
    },

    /** Lets calls for the person through again; false when they were not suppressed. */
    async lift(pseudonym: string, by: string): Promise<boolean> {
      return erasures.lift(pseudonym, by);
    },
  };
}

export type PrivacyOps = ReturnType<typeof createPrivacyOps>;
