import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { ValidationError } from '../api/errors';
import { createCampaignLifecycleRepository } from '../db/campaign-lifecycle-repository';
import { createUserRepository } from '../db/user-repository';
import { startBatch } from '../temporal/batch-operations';
import { rerunSignal, type RerunSignal } from '../workflows/messages';
import { CampaignNotFoundError, LifecycleConflictError } from './campaign-ops';
import { userWorkflowsMatching, userWorkflowsQuery } from './visibility-queries';

export type RerunTarget = { userIds: string[] } | { query: string };

export interface RerunResult {
  campaignId: string;
  dryRun: boolean;
  /** The visibility query over user workflows that selects who is affected. */
  query: string;
  /** How many running user workflows it matches. */
  count: number;
  /** Who would be (or is being) re-run, at most `DRY_RUN_LIST` of them: user ID (from Postgres) and pseudonym. */
  users: { userId: string | null; pseudonym: string }[];
  /** Listed user IDs that have no running user workflow (they never sent an event): nothing happens for them. */
  notFound: string[];
  jobId?: string;
}

const DRY_RUN_LIST = 1000;
const GRPC_INVALID_ARGUMENT = 3;

/** Re-runs a campaign for a set of users (a list, or a visibility query over user workflows), with a dry run that says who. */
export function createRerunOps(deps: { pool: Pool; temporal: Client; pseudonymize: (userId: string) => string }) {
  const lifecycle = createCampaignLifecycleRepository(deps.pool);
  const users = createUserRepository(deps.pool);

  const matching = async (query: string) => {
    try {
      const pseudonyms: string[] = [];
      for await (const info of deps.temporal.workflow.list({ query, pageSize: 500 })) {
        pseudonyms.push(info.workflowId.replace(/^user:/, ''));
        if (pseudonyms.length >= DRY_RUN_LIST) break;
      }
      return { pseudonyms, count: (await deps.temporal.workflow.count(query)).count };
    } catch (err) {
      if (isInvalidArgument(err)) throw new ValidationError([{ path: 'query', reason: `Temporal refused it: ${(err as Error).message}` }]);
      throw err;
    }
  };

  return {
    async rerun(campaignId: string, target: RerunTarget, options: { dryRun: boolean; reason?: string }): Promise<RerunResult> {
      const status = await lifecycle.status(campaignId);
      if (status === 'unknown') throw new CampaignNotFoundError(campaignId);
      if (status !== 'active') throw new LifecycleConflictError(campaignId, status, 'rerun', ['active']);
      const listed = 'userIds' in target ? new Map(target.userIds.map((userId) => [deps.pseudonymize(userId), userId])) : undefined;
      const selection = listed ? userWorkflowsQuery([...listed.keys()]) : narrowed((target as { query: string }).query);
      const query = `${selection} AND ExecutionStatus = 'Running'`;
      const { pseudonyms, count } = await matching(query);
      const userIds = await users.userIdsOf(pseudonyms);
      const found = new Set(pseudonyms);
      const result: RerunResult = {
        campaignId,
        dryRun: options.dryRun,
        query,
        count,
        users: pseudonyms.map((pseudonym) => ({ userId: userIds.get(pseudonym) ?? null, pseudonym })),
        notFound: listed ? [...listed].filter(([pseudonym]) => !found.has(pseudonym)).map(([, userId]) => userId) : [],
      };
      if (options.dryRun || count === 0) return result;
      const signal: RerunSignal = { version: 1, campaignId, requestId: randomUUID() };
      const jobId = await startBatch(deps.temporal, { kind: 'signal', query, reason: options.reason ?? `re-run of ${campaignId}`, signal: rerunSignal.name, input: signal });
      return { ...result, jobId };
    },
  };
}

export type RerunOps = ReturnType<typeof createRerunOps>;

/** The client wraps gRPC errors (ServiceError); the status code is on the error or one of its causes. */
function isInvalidArgument(err: unknown): boolean {
  for (let current = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (current.code === GRPC_INVALID_ARGUMENT) return true;
    current = current.cause as typeof current;
  }
  return false;
}

function narrowed(query: string): string {
  try {
    return userWorkflowsMatching(query);
  } catch (err) {
    throw new ValidationError([{ path: 'query', reason: (err as Error).message }]);
  }
}
