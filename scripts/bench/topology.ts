/** `single`: the API, the worker and the load generator in the bench's one process; `split`: the API and the worker each in its own (`npm run api`, `npm run worker`). */
export type Topology = 'single' | 'split';

/** Measured in BENCHMARKS.md ("Capacity", "One process or three"). */
export const DEFAULT_TOPOLOGY: Topology = 'split';

/** Benchmarks that read the worker's or the API's state in process, so run only with `single`. */
const IN_PROCESS_ONLY = ['scale'];

/**
 * `--topology`, checked against what else was asked: the worker's tuning levers are options of a worker
 * in the bench's process, and some benchmarks read the worker's state in process.
 */
export function parseTopology(value: string | undefined, asked: { tuning: boolean; benchmarks: readonly string[] }): Topology {
  if (value !== undefined && value !== 'single' && value !== 'split') throw new Error(`--topology must be single or split, not "${value}"`);
  const inProcess = asked.benchmarks.filter((name) => IN_PROCESS_ONLY.includes(name));
  if (value === undefined && (asked.tuning || inProcess.length > 0)) return 'single';
  const topology = value ?? DEFAULT_TOPOLOGY;
  if (topology === 'split' && asked.tuning) throw new Error('--sticky-ratio, --pollers and --preload tune a worker in the bench\'s process: add --topology single');
  if (topology === 'split' && inProcess.length > 0) throw new Error(`${inProcess.join(', ')} reads the worker's state in process: add --topology single`);
  return topology;
}
