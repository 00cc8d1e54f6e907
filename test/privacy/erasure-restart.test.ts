import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { erasureWorkflowId, userWorkflowId, type ErasureResult } from '../../src/workflows/messages';
import { eventually, startTestApi, TEST_PSEUDONYM_KEY, type TestApi } from '../support/api';
import { testDatabaseUrl, testTemporalAddress, uniqueUserId } from '../support/env';
import { cleanEnv, runEntryPoint, type RunningProcess } from '../support/processes';

/** `npm run worker` killed (SIGKILL) in the middle of an erasure: a fresh worker finishes the job. */
describe('an erasure whose worker is killed halfway', () => {
  let api: TestApi;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    api = await startTestApi({ worker: false });
  });

  afterAll(async () => {
    await Promise.all(running.map((worker) => worker.stop('SIGKILL')));
    await api?.close();
  });

  const startWorker = async (faultPoint?: string) => {
    const worker = runEntryPoint('src/worker.ts', cleanEnv({
      DATABASE_URL: testDatabaseUrl(),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: api.taskQueue,
      PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      LOG_LEVEL: 'warn',
      DATABASE_POOL_MAX: '2',
      ...(faultPoint && { BECKON_FAULT_POINT: faultPoint }),
    }));
    running.push(worker);
    await worker.waitFor(/worker polling task queue/, 180_000);
    return worker;
  };

  it('completes after the restart, with every step done once or harmlessly again', async () => {
    const userId = uniqueUserId('erase-kill');
    const pseudonym = api.pseudonymize(userId);
    const admin = { authorization: `Bearer ${(await createAdminTokenRepository(api.pool).create('erasure kill test', ['admin'])).token}` };
    const doomed = await startWorker('erasure-after-rows');
    expect((await api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Signed Up', messageId: `${userId}-1` } })).statusCode).toBe(200);
    await eventually(
      async () => (await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox` })).json().messages as unknown[],
      (messages) => messages.length === 1,
      60_000,
    );

    const erasing = api.http({ method: 'DELETE', url: `/v1/ops/users/${encodeURIComponent(userId)}`, headers: admin });
    // tsx runs the worker in a child of its own and exits with that child's fate (killed: 137).
    expect(await doomed.exited).toBe(137);
    expect(doomed.output()).toContain('[fault] SIGKILL at erasure-after-rows');
    // The rows went before the kill, the key not yet: the workflow is stuck at its step, not lost.
    expect((await api.pool.query('SELECT 1 FROM users WHERE pseudonym = $1', [pseudonym])).rowCount).toBe(0);
    expect((await api.pool.query('SELECT 1 FROM user_data_keys WHERE pseudonym = $1', [pseudonym])).rowCount).toBe(1);

    const rescuer = await startWorker();
    const result = (await api.temporal.workflow.getHandle(erasureWorkflowId(pseudonym)).result()) as ErasureResult;
    expect(result.removed.keys).toBe(1);
    expect(result.removed.workflows).toBeGreaterThanOrEqual(2);
    // The retried step found the rows already gone, and reports what the first attempt's transaction removed.
    expect(result.removed.rows).toMatchObject({ users: 1, inbox_messages: 1 });
    expect([200, 202]).toContain((await erasing).statusCode);
    expect((await api.pool.query('SELECT 1 FROM user_data_keys WHERE pseudonym = $1', [pseudonym])).rowCount).toBe(0);
    const erasure = await api.pool.query('SELECT completed_at FROM erasures WHERE pseudonym = $1', [pseudonym]);
    expect(erasure.rows[0]?.completed_at).toBeInstanceOf(Date);
    await expect(api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).describe()).rejects.toThrow();
    await rescuer.stop('SIGTERM');
  }, 420_000);
});
