import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { searchAttributeFlags } from './search-attribute-registration';

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Undefined runs it headless. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; undefined keeps them in memory. */
  dbFile?: string;
  namespace: string;
  /** A codec server the Web UI asks to decode payloads. */
  codecEndpoint?: string;
  /** Leads a process group of its own, so a terminal's Ctrl-C reaches only the parent, which stops it in turn. */
  ownProcessGroup?: boolean;
  /**
   * One worker polls Beckon's task queue (npm start, the benches): one task queue partition instead
   * of the server's 4, so a task never lands on a partition where no poller waits (see BENCHMARKS.md, "Levers").
   */
  singleWorker?: boolean;
  /** Receives the server's own output lines. */
  log?: (line: string) => void;
}

/**
 * The dev server's SQLite file otherwise keeps SQLite's defaults (a rollback journal): several fsyncs per
 * commit on its one connection, which under a load test held signals past the API's deadline. A
 * write-ahead log takes one fsync per commit, as durable (FULL sync); 2.3 times the calls/s. See BENCHMARKS.md.
 */
const SQLITE_FILE_PRAGMAS = ['journal_mode=wal', 'synchronous=FULL'];

/**
 * Runs `temporal server start-dev` as a child process with Beckon's search attributes registered.
 * The caller waits for it with `connectClient(..., waitMs)`; `stop()` ends it and waits for the exit.
 */
export function startDevServer(options: DevServerOptions): DevServer {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', options.namespace];
  args.push('--log-level', 'warn', ...searchAttributeFlags());
  // The server's default of one batch at a time per namespace would make a resume wait behind a long cancel.
  args.push('--dynamic-config-value', 'frontend.MaxConcurrentBatchOperationPerNamespace=10');
  // A worker that schedules an activity on its own task queue may take it in the same round trip
  // (eager dispatch, which the SDK asks for by default); the server's default is to refuse. See BENCHMARKS.md.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  if (options.singleWorker) {
    args.push('--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1');
    // A kept database may hold a backlog an earlier run wrote to the other partitions: they are still read until it drains.
    if (!options.dbFile) args.push('--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1');
  }
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.codecEndpoint && options.uiPort !== undefined) args.push('--ui-codec-endpoint', options.codecEndpoint);
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    args.push(...SQLITE_FILE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]));
  }
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
  const log = options.log ?? (() => {});
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(log));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
