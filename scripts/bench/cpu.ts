import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU ms of one /proc/<pid>/stat line: utime, stime, cutime and cstime (the children's share keeps the time of Postgres backends that have exited). */
export function cpuMsOfStat(stat: string): number {
  // Fields after the parenthesised command name (which may hold spaces and parentheses): those four are the 14th to 17th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function cpuMsOf(pid: number): number {
  try {
    return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** A PostgreSQL server's postmaster and its backends (their children's share holds the backends that exited). */
function postgresServerPids(postmasterPid: number): number[] {
  return [postmasterPid, ...pidsNamed('postgres').filter((pid) => parentOf(pid) === postmasterPid)];
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** CPU ms so far by party: the Node processes (their sum first, then each), the Temporal server, Postgres. */
export type CpuSample = Record<string, number>;

/** The Node processes of a run: the bench's own, and the API's and the worker's when they run apart (`--topology split`). */
export interface NodePids {
  bench: number;
  api?: number;
  worker?: number;
}

/**
 * The Node parties of one sample: in one process, one column; split, the sum (what a trigger costs in
 * Node, comparable with the one process's column) and each process apart.
 */
export function nodeCpu(pids: NodePids, cpuOf: (pid: number) => number): CpuSample {
  const bench = cpuOf(pids.bench);
  if (pids.api === undefined && pids.worker === undefined) return { 'node (API, worker, load)': bench };
  const api = pids.api === undefined ? undefined : cpuOf(pids.api);
  const worker = pids.worker === undefined ? undefined : cpuOf(pids.worker);
  return {
    'node (all processes)': bench + (api ?? 0) + (worker ?? 0),
    ...(api !== undefined && { 'node: API': api }),
    ...(worker !== undefined && { 'node: worker': worker }),
    [api === undefined ? 'node: API and load generator' : 'node: load generator']: bench,
  };
}

/**
 * CPU time used so far by the parties of a run: the Node processes (the API, the worker and the load
 * generator, in one process or apart), the Temporal server, and the Postgres server's processes (every
 * Postgres backend on the machine when its postmaster is not known). Differences of two samples say
 * where a phase's time went when the machine is CPU-bound.
 */
export function cpuSampler(temporalPid: number | undefined, postgresPid?: number, node: NodePids = { bench: process.pid }): () => CpuSample {
  return () => ({
    ...nodeCpu(node, cpuMsOf),
    'Temporal server': (temporalPid !== undefined ? [temporalPid] : pidsNamed('temporal')).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    Postgres: (postgresPid !== undefined ? postgresServerPids(postgresPid) : pidsNamed('postgres')).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
  });
}

/** CPU ms per unit of work between two samples, by party. */
export function cpuPer(before: CpuSample, after: CpuSample, units: number): Record<string, number> {
  return Object.fromEntries(
    Object.keys(before).map((key) => [key, Math.round((((after[key] ?? 0) - before[key]!) / Math.max(units, 1)) * 100) / 100]),
  );
}
