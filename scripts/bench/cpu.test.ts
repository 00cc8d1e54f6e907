import { cpuMsOfStat, cpuPer, nodeCpu } from './cpu';

describe('cpuMsOfStat', () => {
  it('sums utime, stime, cutime and cstime (ticks of 10 ms), after a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    const stat = '4242 (node (tsx) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 11 0';
    expect(cpuMsOfStat(stat)).toBe((250 + 50 + 7 + 3) * 10);
  });

  it('refuses a line that is not one', () => {
    expect(() => cpuMsOfStat('nothing here')).toThrow(/not a \/proc/);
  });
});

describe('nodeCpu', () => {
  const cpuOf = (pid: number) => ({ 1: 100, 2: 30, 3: 500 })[pid] ?? 0;

  it('is one column for one process', () => {
    expect(nodeCpu({ bench: 1 }, cpuOf)).toEqual({ 'node (API, worker, load)': 100 });
  });

  it('sums the processes apart and names each', () => {
    expect(nodeCpu({ bench: 1, api: 2, worker: 3 }, cpuOf)).toEqual({ 'node (all processes)': 630, 'node: API': 30, 'node: worker': 500, 'node: load generator': 100 });
  });

  it('keeps the API with the load generator when only the worker runs apart', () => {
    expect(nodeCpu({ bench: 1, worker: 3 }, cpuOf)).toEqual({ 'node (all processes)': 600, 'node: worker': 500, 'node: API and load generator': 100 });
  });
});

describe('cpuPer', () => {
  it('divides each party by the units, to two decimals', () => {
    expect(cpuPer({ a: 10, b: 0 }, { a: 40, b: 10 }, 3)).toEqual({ a: 10, b: 3.33 });
  });
});
