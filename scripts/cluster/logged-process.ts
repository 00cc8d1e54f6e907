import { spawn, type ChildProcess } from 'node:child_process';

/** One process of the cluster: its lines go to `log` with its name, the last ones are kept for errors. */
export interface LoggedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The last lines it printed, for an error message. */
  tail(): string;
  /** Resolves with the first match of `pattern` in its output; rejects when it exits first or the time is up. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Signals its whole process group (tsx runs the script in a child) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Process groups still running; SIGKILLed when this process exits, so a crashed `npm run cluster` leaves none behind. */
const live = new Set<number>();
process.once('exit', () => live.forEach((pgid) => signalGroup(pgid, 'SIGKILL')));

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone already.
  }
}

export function spawnLogged(
  command: string,
  args: string[],
  options: { name: string; cwd: string; env?: NodeJS.ProcessEnv; log: (line: string) => void; quiet?: RegExp },
): LoggedProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) live.add(child.pid);
  const lines: string[] = [];
  let output = '';
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      // Kept whole only until it is long; a pattern waited for comes early in a process's life.
      if (output.length < 1 << 20) output += chunk;
      for (const line of chunk.split('\n').filter((text) => text.trim() !== '')) {
        lines.push(line.length > 2000 ? `${line.slice(0, 2000)}...` : line);
        if (lines.length > 40) lines.shift();
        // temporal-server's JSON lines carry whole stack traces; the head says what happened.
        if (!options.quiet?.test(line)) options.log(`[${options.name}] ${line.length > 400 ? `${line.slice(0, 400)}...` : line}`);
      }
      listeners.forEach((listener) => listener());
    });
  }
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      if (child.pid !== undefined) live.delete(child.pid);
      resolveExit(code);
    }),
  );
  return {
    name: options.name,
    child,
    exited,
    tail: () => lines.join('\n'),
    waitFor(pattern, timeoutMs = 180_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolveMatch(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${options.name}: no ${pattern} within ${timeoutMs} ms; last lines:\n${lines.join('\n')}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`${options.name} exited before printing ${pattern}; last lines:\n${lines.join('\n')}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
        // An exit before this call fires no 'exit' listener: without this the wait would run to its timeout.
        if (child.exitCode !== null || child.signalCode !== null) setImmediate(() => (output.match(pattern) ? check() : onExit()));
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return child.exitCode;
      signalGroup(child.pid, signal);
      const killer = setTimeout(() => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
