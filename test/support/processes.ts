import { spawn, type ChildProcess } from 'node:child_process';
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
  const child = spawn(process.execPath, [tsxCli, script], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.group ?? false });
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
