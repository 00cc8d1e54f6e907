import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from './activities';
import { loadConfig, requireSetting, temporalAddress, type Config } from './config';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { runMain } from './process';
import { payloadCodecFor } from './temporal/codec';

export interface BeckonWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after `shutdown`). */
  running: Promise<void>;
  shutdown(): Promise<void>;
}

/** Connects to Temporal and starts polling Beckon's task queue with every workflow and activity. */
export async function startWorker(options: {
  config: Config;
  pool: Pool;
  /** A prebuilt workflow bundle (tests build it once); by default the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Must match the clients' codec: it decrypts what they sent and encrypts what workflows write. */
  payloadCodec?: PayloadCodec;
}): Promise<BeckonWorker> {
  const { config, pool } = options;
  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({ pool }),
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
  });
  const running = worker.run().finally(() => connection.close());
  return {
    worker,
    running,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** `npm run worker`: the worker alone, against the configured Temporal and Postgres. */
async function main(): Promise<void> {
  const config = loadConfig();
  const databaseUrl = requireSetting(config, 'DATABASE_URL', 'the worker alone needs a Postgres; `npm start` runs an embedded one');
  const pseudonymKey = requireSetting(config, 'PSEUDONYM_KEY', 'the worker decrypts payloads with a key derived from it; share it with the API');
  const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, (err) => console.error('postgres:', err.message));
  await migrate(pool);
  const beckon = await startWorker({ config, pool, payloadCodec: payloadCodecFor(pseudonymKey) });
  console.log(`worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${temporalAddress(config)}`);
  const stop = async () => {
    await beckon.shutdown();
    await pool.end();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await beckon.running;
  await pool.end().catch(() => {});
}

if (require.main === module) runMain(main);
