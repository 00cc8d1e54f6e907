import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config';
import type { TrackedEvent } from '../../src/domain/events';
import { connectClient } from '../../src/temporal/client-connection';
import { journeyWorkflowId, type JourneyWorkflowInput } from '../../src/workflows/messages';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { startWorker } from '../../src/worker';
import { testPool, testTemporalAddress, workflowBundle } from '../support/env';
import { seedCampaigns } from '../support/workflow-env';

const repoRoot = resolve(__dirname, '..', '..');

/** `npm run replay -- --from-server`: fetches a finished journey's history from the dev server and replays it, as a process. */
describe('npm run replay -- --from-server', () => {
  it('replays the histories a visibility query selects, and exits 2 on a bad flag', async () => {
    const pool = testPool();
    const taskQueue = `replay-live-${Date.now().toString(36)}`;
    const client = await connectClient({ address: testTemporalAddress(), namespace: 'default', waitMs: 10_000 });
    const worker = await startWorker({ config: { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue }, pool, pseudonymKey: 'replay-test-key-'.padEnd(40, 'x'), workflowBundle: workflowBundle() });
    const pseudonym = `replay-live-${Date.now().toString(36)}`;
    const workflowId = journeyWorkflowId('welcome', pseudonym, 1);
    try {
      const at = new Date().toISOString();
      const entryEvent: TrackedEvent = { messageId: 'live-1', event: 'Signed Up', properties: {}, timestamp: at, receivedAt: at };
      const input: JourneyWorkflowInput = { version: 1, pseudonym, campaign: seedCampaigns().find((c) => c.id === 'welcome')!, entry: 1, entryEvent, history: { events: {}, traits: {} } };
      await (await client.workflow.start(journeyWorkflow, { workflowId, taskQueue, args: [input] })).result();
    } finally {
      await worker.shutdown();
      await client.connection.close();
      await pool.end();
    }
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((done) => {
        execFile(process.execPath, [require.resolve('tsx/cli'), 'scripts/replay/replay.ts', ...args], { cwd: repoRoot, env: { ...process.env, TEMPORAL_ADDRESS: testTemporalAddress() }, timeout: 120_000 }, (error, stdout) =>
          done({ code: error ? Number(error.code) : 0, stdout }),
        );
      });
    const replayed = await run(['--from-server', '--query', `WorkflowId = '${workflowId}'`]);
    expect(replayed.stdout).toContain(`ok   ${workflowId}`);
    expect(replayed.stdout).toMatch(/1 of 1 histories from .* replay on the current workflow code/);
    expect(replayed.code).toBe(0);
    expect((await run(['--limit', 'many'])).code).toBe(2);
  });
});
