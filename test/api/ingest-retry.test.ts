import { InterceptingCall, Metadata, status, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { Pool } from 'pg';
import { createSignalGate } from '../../src/api/user-signals';
import { beckonDataConverter } from '../../src/temporal/client-connection';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { eventually, startTestApi, TEST_PSEUDONYM_KEY, type TestApi } from '../support/api';
import { testPool, testTemporalAddress, uniqueUserId } from '../support/env';

const SIGNAL_WITH_START = '/temporal.api.workflowservice.v1.WorkflowService/SignalWithStartWorkflowExecution';

/**
 * What a slow Temporal does to the API's signal-with-start, made to happen on demand on a real server:
 * the answer is lost after the server took the signal (the worst case: the retry delivers it twice),
 * or the call never reaches the server. The API makes the call again within its budget; the user's
 * workflow counts the event once either way. And when every signal slot is taken, the call is
 * answered 429 with Retry-After and nothing is recorded.
 */
describe('ingestion when Temporal answers too late', () => {
  let api: TestApi;
  let codecPool: Pool;
  let client: Client;
  const signalGate = createSignalGate(4);
  /** How the next signal-with-starts fail; each entry is used once. */
  const failures: ('answer lost' | 'never sent')[] = [];
  let calls = 0;

  const deadlineExceeded = (details: string) => ({ code: status.DEADLINE_EXCEEDED, details, metadata: new Metadata() });
  const slowTemporal: Interceptor = (options, nextCall) => {
    if (options.method_definition.path !== SIGNAL_WITH_START) return new InterceptingCall(nextCall(options));
    calls++;
    const failure = failures.shift();
    if (failure === 'never sent') {
      // The call to the server is never started: its message and end stay here.
      return new InterceptingCall(nextCall(options), {
        start: (_metadata, listener) => setImmediate(() => listener.onReceiveStatus(deadlineExceeded('test: no answer, the call never left'))),
        sendMessage: () => undefined,
        halfClose: () => undefined,
      });
    }
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveStatus(received, nextStatus) {
            // The server did the call; the client is told it ran out of time.
            nextStatus(failure === 'answer lost' && received.code === status.OK ? deadlineExceeded('test: the answer came too late') : received);
          },
        });
      },
    });
  };

  beforeAll(async () => {
    codecPool = testPool();
    const connection = await Connection.connect({
      address: testTemporalAddress(),
      // Outside the SDK's retry interceptor, which expects a message before a status (a call never sent has none).
      interceptors: [slowTemporal, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
    });
    client = new Client({ connection, namespace: 'default', dataConverter: beckonDataConverter(payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: codecPool })) });
    api = await startTestApi({ deps: { temporal: client, signalGate } });
  });

  afterAll(async () => {
    await api?.close();
    await client?.connection.close();
    await codecPool?.end();
  });

  const track = (userId: string, messageId: string) => api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Late', messageId } });
  const settled = (userId: string) =>
    eventually(
      () => api.temporal.workflow.getHandle(userWorkflowId(api.pseudonymize(userId))).query(stateQuery),
      (view) => view.pending === 0 && view.state.totalEvents >= 1,
    );
  const accepted = async (messageId: string) =>
    (await api.pool.query<{ accepted: boolean }>('SELECT accepted_at IS NOT NULL AS accepted FROM ingested_messages WHERE message_id = $1', [messageId]))
      .rows[0]?.accepted;

  it.each(['answer lost', 'never sent'] as const)('makes the call again when the first one ran out of time (%s), and the event counts once', async (failure) => {
    const userId = uniqueUserId('late');
    const before = calls;
    failures.push(failure);
    const answer = await track(userId, `${userId}-1`);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ success: true, duplicate: false });
    expect(calls - before).toBe(2);
    expect(failures).toEqual([]);

    // A second event after it, so that the count below is read after both signals were folded in.
    expect((await track(userId, `${userId}-2`)).statusCode).toBe(200);
    const view = await eventually(
      () => api.temporal.workflow.getHandle(userWorkflowId(api.pseudonymize(userId))).query(stateQuery),
      (v) => v.pending === 0 && v.state.totalEvents === 2,
    );
    expect(view.state.events).toMatchObject({ Late: { count: 2 } });
    expect(await accepted(`${userId}-1`)).toBe(true);
  });

  it('answers 429 with Retry-After when every signal slot stays taken, records nothing, and takes the retry once', async () => {
    const userId = uniqueUserId('busy');
    expect(signalGate.inFlight).toBe(0);
    let release: () => void = () => {};
    const holding = Array.from({ length: 4 }, () => signalGate.run(() => new Promise<void>((resolve) => (release = chain(release, resolve)))));
    const refused = await track(userId, `${userId}-1`);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toEqual({ error: 'busy', message: expect.stringMatching(/nothing was recorded/) });
    expect(await accepted(`${userId}-1`)).toBe(false);

    release();
    await Promise.all(holding);
    const retried = await track(userId, `${userId}-1`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json().duplicate).toBe(false);
    const view = await settled(userId);
    expect(view.state.events).toMatchObject({ Late: { count: 1 } });
    expect(view.state.totalEvents).toBe(1);
  });
});

/** Both functions, one after the other. */
function chain(first: () => void, second: () => void): () => void {
  return () => {
    first();
    second();
  };
}
