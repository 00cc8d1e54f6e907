import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';

type History = temporal.api.history.v1.IHistory;

/** One recorded history as stored under test/replay/histories/: what it shows, and the history in Temporal's JSON form. */
export interface RecordedHistory {
  workflowId: string;
  workflowType: string;
  /** The journey shape or workflow behaviour it records, e.g. "pricing-no-purchase: purchase within 48h exits". */
  shape: string;
  recordedAt: string;
  history: unknown;
}

export interface ReplayOutcome {
  workflowId: string;
  shape?: string;
  ok: boolean;
  /** The error's name and message: a DeterminismViolationError when the code no longer matches the history. */
  error?: string;
  errorName?: string;
}

/**
 * A history as plain JSON (enums by name, 64-bit numbers and bytes as strings). Not the SDK's historyToJSON:
 * @temporalio/common and @temporalio/proto each carry their own protobufjs here, and its protojson refuses the other's types.
 */
export function historyToRecord(history: History): unknown {
  return temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), { longs: String, enums: String, bytes: String });
}

export function historyFromRecord(record: unknown): History {
  return temporal.api.history.v1.History.fromObject(record as Record<string, unknown>);
}

/** Every *.json under `dir`, sorted by file name, with its history decoded from Temporal's JSON form. */
export function readRecordedHistories(dir: string): (RecordedHistory & { decoded: History })[] {
  // Sub-folders keep the histories of earlier workflow code (recorded before a patch), which must still replay.
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort();
  return files.map((name) => {
    const recorded = JSON.parse(readFileSync(join(dir, name), 'utf8')) as RecordedHistory;
    return { ...recorded, decoded: historyFromRecord(recorded.history) };
  });
}

/** Replays each history against the given workflow code (a bundle or a workflows path), with the data converter that wrote it; one outcome per history. */
export async function replay(
  histories: { workflowId: string; history: History; shape?: string }[],
  code: Pick<ReplayWorkerOptions, 'workflowBundle' | 'workflowsPath' | 'dataConverter'>,
): Promise<ReplayOutcome[]> {
  // Two runs of one workflow (continue-as-new) share an ID: their shapes are taken in order.
  const shapes = new Map<string, (string | undefined)[]>();
  for (const h of histories) shapes.set(h.workflowId, [...(shapes.get(h.workflowId) ?? []), h.shape]);
  const outcomes: ReplayOutcome[] = [];
  const input = histories.map((h) => ({ workflowId: h.workflowId, history: h.history }));
  for await (const result of Worker.runReplayHistories({ ...code, replayName: 'beckon-replay' }, input)) {
    const shape = shapes.get(result.workflowId)?.shift();
    outcomes.push({
      workflowId: result.workflowId,
      ...(shape && { shape }),
      ok: !result.error,
      ...(result.error && { error: `${result.error.name}: ${result.error.message}`, errorName: result.error.name }),
    });
  }
  return outcomes;
}

/** Histories of the workflows a visibility query matches on a live server, in the order the store lists them, at most `limit`. */
export async function fetchHistories(client: Client, query: string, limit: number): Promise<{ workflowId: string; history: History }[]> {
  const found: { workflowId: string; history: History }[] = [];
  for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    found.push({ workflowId: info.workflowId, history: await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory() });
    if (found.length >= limit) break;
  }
  return found;
}
