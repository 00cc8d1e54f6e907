import { cleanEnv, runEntryPoint, type RunningProcess } from '../../test/support/processes';

/**
 * Keeps one process of an entry point running: when it exits (killed by the chaos run, or fallen
 * over because Temporal or Postgres was away when it started), a new one is started.
 */
export interface Supervised {
  /** The process running now, once it printed its ready line. */
  ready(): Promise<RunningProcess>;
  isReady(): boolean;
  /** SIGKILLs the current process (and the child tsx runs it in), ready or still starting; false when none was alive. */
  kill(): Promise<boolean>;
  /** Exits it did not ask for, with the last lines each printed. */
  crashes: { code: number | null; tail: string }[];
  starts: number;
  stop(): Promise<void>;
}

/** Process groups still running; SIGKILLed when this process exits, so a failed run leaves none behind. */
const live = new Set<number>();
process.once('exit', () => live.forEach((pgid) => {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}));

export function supervise(script: string, env: NodeJS.ProcessEnv, readyLine: RegExp, log: (line: string) => void): Supervised {
  let stopping = false;
  const killed = new WeakSet<RunningProcess>();
  let current: RunningProcess | undefined;
  let ready: RunningProcess | undefined;
  const whenReady = async (): Promise<RunningProcess> => {
    while (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    return ready;
  };
  const state: Supervised = {
    crashes: [],
    starts: 0,
    ready: whenReady,
    isReady: () => ready !== undefined,
    async kill() {
      const victim = current;
      if (!victim || victim.child.exitCode !== null || victim.child.signalCode !== null) return false;
      killed.add(victim);
      await victim.stop('SIGKILL');
      return true;
    },
    async stop() {
      stopping = true;
      await current?.stop('SIGTERM', 15_000);
    },
  };
  const start = () => {
    const child = runEntryPoint(script, cleanEnv(env), { group: true });
    current = child;
    ready = undefined;
    state.starts += 1;
    if (child.child.pid !== undefined) live.add(child.child.pid);
    child.waitFor(readyLine, 600_000).then(() => {
      if (current === child) ready = child;
    }, () => undefined);
    void child.exited.then((code) => {
      if (child.child.pid !== undefined) live.delete(child.child.pid);
      if (current === child) ready = undefined;
      if (stopping) return;
      const wasKilled = killed.has(child);
      if (!wasKilled) {
        const lines = child.output().split('\n').filter(Boolean);
        const firstError = lines.find((line) => /error/i.test(line)) ?? '';
        const tail = [firstError, ...lines.slice(-2)].join(' | ');
        state.crashes.push({ code, tail });
        log(`${script} exited by itself (code ${code}): ${tail.slice(0, 300)}`);
      }
      // A process that fell over waits a little, so a dependency still down is not hammered.
      setTimeout(start, wasKilled ? 0 : 2_000);
    });
  };
  start();
  return state;
}
