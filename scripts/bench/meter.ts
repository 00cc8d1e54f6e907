import { cpuPer, cpuSampler, type NodePids } from './cpu';
import { countStatements } from './statements';

export interface Metered {
  cpuMsPerEvent: Record<string, number>;
  statementsPerEvent: Record<string, number>;
}

/**
 * Starts counting CPU per process and SQL statements per pool; `read(events)` divides what was
 * spent since by the number of events. The bench's own LISTEN connection is left out.
 */
export function startMeter(pids: { serverPid: number | undefined; postgresPid?: number | undefined; nodePids: NodePids }): { read(events: number): Metered } {
  const cpu = cpuSampler(pids.serverPid, pids.postgresPid, pids.nodePids);
  const statements = countStatements();
  statements.reset();
  const before = cpu();
  return {
    read(events) {
      const per = (n: number) => Math.round((n / Math.max(events, 1)) * 100) / 100;
      const counted = Object.entries(statements.counts()).filter(([pool]) => pool !== 'bench-listen');
      return { cpuMsPerEvent: cpuPer(before, cpu(), events), statementsPerEvent: Object.fromEntries(counted.map(([pool, n]) => [pool, per(n)])) };
    },
  };
}
