import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime, stime, cutime and cstime are the 14th to 17th
    // of the line (the children's share keeps the time of Postgres backends that have exited).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return (ticks * 1000) / TICKS_PER_SECOND;
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

export type CpuSample = Record<'node (API, worker, load)' | 'Temporal server' | 'Postgres', number>;

/**
 * CPU time used so far by the three parties of a run: this Node process (the API, the worker and
 * the load generator), the Temporal server, and the Postgres server's processes (every Postgres
 * backend on the machine when its postmaster is not known). Differences of two samples say where a
 * phase's time went when the machine is CPU-bound.
 */
export function cpuSampler(temporalPid: number | undefined, postgresPid?: number): () => CpuSample {
  return () => ({
    'node (API, worker, load)': cpuMsOf(process.pid),
    'Temporal server': (temporalPid !== undefined ? [temporalPid] : pidsNamed('temporal')).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    Postgres: (postgresPid !== undefined ? postgresServerPids(postgresPid) : pidsNamed('postgres')).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
  });
}

/** CPU ms per unit of work between two samples, by party. */
export function cpuPer(before: CpuSample, after: CpuSample, units: number): Record<string, number> {
  return Object.fromEntries(
    (Object.keys(before) as (keyof CpuSample)[]).map((key) => [key, Math.round(((after[key] - before[key]) / Math.max(units, 1)) * 100) / 100]),
  );
}
