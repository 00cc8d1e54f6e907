import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');
const tsxCli = require.resolve('tsx/cli');

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output, or rejects when it exits or the time is up. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends the signal (if still running) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Runs one of Beckon's TypeScript entry points the way `npm start|run worker|run api` does (tsx).
 * With `group`, it leads a process group of its own, and `stop` signals the whole group: tsx runs the
 * script in a child, so a SIGKILL to tsx alone would leave the script running.
 */
export function runEntryPoint(script: string, env: NodeJS.ProcessEnv, options: { group?: boolean } = {}): RunningProcess {
  return runCommand(process.execPath, [tsxCli, script], script, env, options);
}

/** `npm <args>` in the repository, as a user types it in a terminal: leading a process group of its own. */
export function runNpm(args: string[], env: NodeJS.ProcessEnv): RunningProcess {
  return runCommand('npm', args, `npm ${args.join(' ')}`, env, { group: true });
}

function runCommand(command: string, args: string[], script: string, env: NodeJS.ProcessEnv, options: { group?: boolean }): RunningProcess {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.group ?? false });
  let output = '';
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output += chunk;
      listeners.forEach((listener) => listener());
    });
  }
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolveMatch(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${script}: no ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${script} exited before printing ${pattern}; output:\n${output}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      const send = (sig: NodeJS.Signals) => {
        if (!options.group || child.pid === undefined) return child.kill(sig);
        try {
          process.kill(-child.pid, sig);
        } catch {
          // The group is gone already.
        }
      };
      if (child.exitCode === null && child.signalCode === null) send(signal);
      const killer = setTimeout(() => send('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The environment a child gets: the test's own, minus what would point it at the shared test servers. */
export function cleanEnv(overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'PORT', 'HOST', 'DATA_DIR', 'PSEUDONYM_KEY', 'NODE_OPTIONS']) delete env[name];
  return { ...env, ...overrides };
}

/** One process as /proc shows it; `started` (clock ticks since boot) tells it from a later process that reuses the pid. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  started: string;
  command: string;
}

function readProcess(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), started: fields[19]!, command };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessEntry[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((entry): entry is ProcessEntry => entry !== undefined);
}

/**
 * Every process of the tree that `leader` started: those in its process group and all their descendants,
 * also those that lead groups of their own (servers started detached). Linux only (/proc).
 */
export function processTree(leader: number): ProcessEntry[] {
  const processes = allProcesses();
  const tree = new Map(processes.filter((entry) => entry.pgid === leader || entry.pid === leader).map((entry) => [entry.pid, entry]));
  for (let grown = true; grown; ) {
    grown = false;
    for (const entry of processes) {
      if (!tree.has(entry.pid) && tree.has(entry.ppid)) {
        tree.set(entry.pid, entry);
        grown = true;
      }
    }
  }
  return [...tree.values()];
}

/** Those of `entries` still running (the same process, not a later one with its pid), plus any left in the group. */
export function leftRunning(entries: ProcessEntry[], group: number): ProcessEntry[] {
  const same = entries.filter((entry) => readProcess(entry.pid)?.started === entry.started);
  const inGroup = allProcesses().filter((entry) => entry.pgid === group && !same.some((known) => known.pid === entry.pid));
  return [...same, ...inGroup];
}
