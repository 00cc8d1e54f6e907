import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { google } from '@temporalio/proto';
import { loadConfig } from '../../src/config';
import { connectClient } from '../../src/temporal/client-connection';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { startWorker } from '../../src/worker';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { eventSignal, journeyWorkflowId, userWorkflowId } from '../../src/workflows/messages';
import { userWorkflow } from '../../src/workflows/user-workflow';
import { testPool, testTemporalAddress, workflowBundle } from '../support/env';
import { waitFor } from '../support/workflow-env';

const repoRoot = resolve(__dirname, '..', '..');

/**
 * `npm run replay -- --from-server`, as the README's check before a deploy runs it: with its default
 * query, against the dev server (a SQL visibility store, which refuses ORDER BY), as a process. The
 * workflows live in a namespace of their own, so the default query finds exactly this test's.
 */
describe('npm run replay -- --from-server', () => {
  const namespace = `replay-${Date.now().toString(36)}`;
  const pseudonym = `replay-live-${Date.now().toString(36)}`;
  const journeyId = journeyWorkflowId('welcome', pseudonym, 1);
  let client: Client;

  beforeAll(async () => {
    const admin = await connectClient({ address: testTemporalAddress(), namespace: 'default', waitMs: 10_000 });
    try {
      await admin.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: google.protobuf.Duration.fromObject({ seconds: 86_400 }) });
      // A new namespace reaches the frontend's cache a moment later.
      await waitFor(() => admin.workflowService.describeNamespace({ namespace }).then(() => true, () => false), 60_000);
      await ensureSearchAttributes(admin, namespace);
    } finally {
      await admin.connection.close();
    }
    client = await connectClient({ address: testTemporalAddress(), namespace, waitMs: 10_000 });
    await waitFor(() => client.workflow.count(`WorkflowType = '${journeyWorkflow.name}'`).then(() => true, () => false), 60_000);

    // A running user workflow and the welcome journey it started and finished.
    const pool = testPool();
    const taskQueue = `replay-live-${Date.now().toString(36)}`;
    const config = { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: taskQueue };
    const worker = await startWorker({ config, pool, pseudonymKey: 'replay-test-key-'.padEnd(40, 'x'), workflowBundle: workflowBundle() });
    try {
      const at = new Date().toISOString();
      await client.workflow.signalWithStart(userWorkflow, {
        workflowId: userWorkflowId(pseudonym),
        taskQueue,
        args: [{ version: 1, pseudonym }],
        signal: eventSignal,
        signalArgs: [{ version: 1, event: { messageId: 'live-1', event: 'Signed Up', properties: {}, timestamp: at, receivedAt: at } }],
      });
      await waitFor(() => client.workflow.getHandle(journeyId).describe().then(() => true, () => false), 60_000);
      await client.workflow.getHandle<typeof journeyWorkflow>(journeyId).result();
    } finally {
      await worker.shutdown();
      await pool.end();
    }
  });

  afterAll(async () => {
    await client?.connection.close();
  });

  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const env = { ...process.env, TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace };
      execFile(process.execPath, [require.resolve('tsx/cli'), 'scripts/replay/replay.ts', ...args], { cwd: repoRoot, env, timeout: 120_000 }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  it('replays what its default query selects: the running user workflow and the finished journey', async () => {
    const replayed = await run(['--from-server']);
    expect(replayed.stderr).not.toMatch(/invalid query/);
    expect(replayed.stdout).toContain(`ok   ${userWorkflowId(pseudonym)}`);
    expect(replayed.stdout).toContain(`ok   ${journeyId}`);
    expect(replayed.stdout).toContain(`2 of 2 histories from ${testTemporalAddress()} (WorkflowType IN ('${userWorkflow.name}', '${journeyWorkflow.name}'))`);
    expect(replayed.code).toBe(0);
  });

  it('replays what a query of its own selects, and exits 2 on a bad flag', async () => {
    const replayed = await run(['--from-server', '--query', `WorkflowId = '${journeyId}'`]);
    expect(replayed.stdout).toContain(`ok   ${journeyId}`);
    expect(replayed.stdout).toMatch(/1 of 1 histories from .* replay on the current workflow code/);
    expect(replayed.code).toBe(0);
    expect((await run(['--limit', 'many'])).code).toBe(2);
  });
});
