import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { startApi, type RunningApi } from '../../src/api';
import { loadConfig } from '../../src/config';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { createPool } from '../../src/db/pool';
import { connectClient } from '../../src/temporal/client-connection';
import { payloadCodecFor, type EncryptionCodec } from '../../src/temporal/payload-codec';
import { userWorkflowId } from '../../src/workflows/messages';
import { startWorker, type BeckonWorker } from '../../src/worker';
import { eventually, startTestApi, TEST_PSEUDONYM_KEY, type TestApi } from '../support/api';
import { testDatabaseUrl, testTemporalAddress, uniqueUserId, workflowBundle } from '../support/env';
import { eraseThroughApi, ERASING_MS } from '../support/erasure';

/**
 * An erasure in one process reaches the key caches of the others: a second worker and a second API,
 * each with a pool and a codec of its own whose cached keys would live an hour, stop decoding the
 * erased user's payloads (so the notification did it, not the expiry), and still decode another's.
 */
describe("a destroyed data key leaves other processes' codec caches", () => {
  let api: TestApi;
  const others: { name: string; codec: EncryptionCodec; stop: () => Promise<void> }[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    const config = { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), HOST: '127.0.0.1', PORT: 0, LOG_LEVEL: 'silent' as const };
    const hourLong = () => {
      const pool = createPool(testDatabaseUrl(), 2);
      return { pool, codec: payloadCodecFor(TEST_PSEUDONYM_KEY, { pool, cacheTtlMs: 3_600_000 }) };
    };

    const workerSide = hourLong();
    const worker: BeckonWorker = await startWorker({
      config: { ...config, TEMPORAL_TASK_QUEUE: `${api.taskQueue}-other` },
      pool: workerSide.pool,
      pseudonymKey: TEST_PSEUDONYM_KEY,
      workflowBundle: workflowBundle(),
      payloadCodec: workerSide.codec,
    });
    others.push({ name: 'worker', codec: workerSide.codec, stop: async () => {
      await worker.shutdown();
      await workerSide.pool.end();
    } });

    const apiSide = hourLong();
    const temporal = await connectClient({ address: testTemporalAddress(), namespace: 'default', waitMs: 30_000, payloadCodec: apiSide.codec });
    const otherApi: RunningApi = await startApi({ config, pool: apiSide.pool, temporal, pseudonymKey: TEST_PSEUDONYM_KEY, payloadCodec: apiSide.codec });
    others.push({ name: 'api', codec: apiSide.codec, stop: async () => {
      await otherApi.app.close();
      await temporal.connection.close();
      await apiSide.pool.end();
    } });
  });

  afterAll(async () => {
    for (const other of others) await other.stop();
    await api?.close();
  });

  /** Signal payloads of a user workflow's history, as a copy of it would hold them. */
  async function signalPayloads(workflowId: string): Promise<Payload[]> {
    const history = await api.temporal.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((event) => event.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []);
  }

  const eventName = async (codec: EncryptionCodec, payloads: Payload[]) =>
    defaultPayloadConverter.fromPayload<{ event: { event: string } }>((await codec.decode(payloads))[0]!).event.event;

  it('after an erasure in one process, the others cannot decode the user any more; another user still decodes', async () => {
    const userId = uniqueUserId('keyfeed-erase');
    const otherId = uniqueUserId('keyfeed-keep');
    for (const id of [userId, otherId]) {
      expect((await api.http({ method: 'POST', url: '/v1/track', payload: { userId: id, event: 'Signed Up', messageId: `${id}-1` } })).statusCode).toBe(200);
    }
    const mine = await eventually(() => signalPayloads(userWorkflowId(api.pseudonymize(userId))), (payloads) => payloads.length > 0);
    const theirs = await eventually(() => signalPayloads(userWorkflowId(api.pseudonymize(otherId))), (payloads) => payloads.length > 0);
    // Both keys are now in each other process's cache.
    for (const { codec } of others) {
      expect(await eventName(codec, mine)).toBe('Signed Up');
      expect(await eventName(codec, theirs)).toBe('Signed Up');
    }

    const admin = { authorization: `Bearer ${(await createAdminTokenRepository(api.pool).create('key feed test', ['admin'])).token}` };
    expect((await eraseThroughApi(api, userId, admin)).removed.keys).toBe(1);

    for (const { name, codec } of others) {
      const refused = await eventually(() => codec.decode(mine).then(() => 'decoded', (err: Error) => err.message), (outcome) => outcome !== 'decoded');
      expect({ name, refused }).toEqual({ name, refused: expect.stringMatching(/destroyed/) });
      expect(await eventName(codec, theirs)).toBe('Signed Up');
    }
  }, ERASING_MS);
});
