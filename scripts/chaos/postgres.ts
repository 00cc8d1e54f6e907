import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBinDir } from '../../src/db/embedded-postgres';
import { cleanEnv, runEntryPoint, type RunningProcess } from '../../test/support/processes';

/** A Postgres the chaos run owns, so it can stop and start it under load (the shared one is not ours to restart). */
export interface OwnPostgres {
  url: string;
  kind: 'postgresql' | 'pglite';
  /** Stops it the way a crash or an operator would, and starts it again on the same port with the same data. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const PG_BIN = process.env.CHAOS_PG_BIN ?? postgresBinDir();

/** PostgreSQL from the embedded server's binaries (or CHAOS_PG_BIN), driven by pg_ctl so it can be crashed; else `npm run postgres`. */
export async function startOwnPostgres(port: number, log: (line: string) => void): Promise<OwnPostgres> {
  return existsSync(join(PG_BIN, 'pg_ctl')) ? startPostgresql(port, log) : startPglite(port);
}

async function startPostgresql(port: number, log: (line: string) => void): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'beckon-chaos-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // initdb refuses to run as root: the cluster belongs to the postgres user.
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(PG_BIN, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(PG_BIN, tool), ...args] : args;
    return execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`, 'start']);
  start();
  log(`own PostgreSQL on 127.0.0.1:${port} (data in ${data})`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kind: 'postgresql',
    async restart(downMs) {
      // Immediate: no checkpoint, open connections cut, crash recovery on start, as after a power cut.
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      start();
    },
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function startPglite(port: number): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'beckon-chaos-pglite-'));
  let url = '';
  const start = async (): Promise<RunningProcess> => {
    const started = runEntryPoint('scripts/embedded-postgres.ts', cleanEnv({ DATA_DIR: dir, EMBEDDED_PG_PORT: String(port) }));
    url = (await started.waitFor(/DATABASE_URL=(\S+)/, 60_000))[1]!;
    return started;
  };
  let running = await start();
  return {
    get url() {
      return url;
    },
    kind: 'pglite',
    async restart(downMs) {
      await running.stop('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, downMs));
      running = await start();
    },
    async stop() {
      await running.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
