import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { BenchStack } from './stack';
import { floorWorkflow, pingSignal } from './floor/workflows';

export interface Floor {
  taskQueue: string;
  workflowId: (key: string) => string;
  /** Signals the floor workflow `key` (starting it if needed); resolves with ms from the call to the activity running. */
  ping(key: string, pingId: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The floor next to Beckon on the same server: its own task queue and worker in this process,
 * a client without Beckon's payload codec, one signal and one no-op activity per ping.
 */
export async function startFloor(stack: BenchStack, runId: string, timeoutMs = 30_000): Promise<Floor> {
  const taskQueue = `bench-floor-${runId}`;
  const namespace = stack.config.TEMPORAL_NAMESPACE;
  const reached = new Map<string, (at: number) => void>();
  const connection = await NativeConnection.connect({ address: stack.config.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('./floor/workflows'),
    activities: {
      async noop(pingId: string) {
        reached.get(pingId)?.(performance.now());
        reached.delete(pingId);
      },
    },
  });
  const running = worker.run();
  const client = new Client({ connection: stack.temporal.connection, namespace });
  const workflowId = (key: string) => `bench-floor-${runId}-${key}`;
  return {
    taskQueue,
    workflowId,
    async ping(key, pingId) {
      const started = performance.now();
      const done = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          reached.delete(pingId);
          reject(new Error(`ping ${pingId} did not reach its activity within ${timeoutMs} ms`));
        }, timeoutMs);
        reached.set(pingId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      await client.workflow.signalWithStart<typeof floorWorkflow, [string]>(floorWorkflow, {
        workflowId: workflowId(key),
        taskQueue,
        args: [],
        signal: pingSignal,
        signalArgs: [pingId],
      });
      return (await done) - started;
    },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
