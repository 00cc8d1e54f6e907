import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '../../src/process';
import { runCapacity } from './capacity';
import { runCost, type CostRow } from './cost';
import { runIngestLoad } from './ingest-load';
import { runLatency } from './latency';
import { runScale } from './scale';
import type { WorkerTuning } from '../../src/worker';
import { say, startBenchStack, type BenchLevers, type BenchStack } from './stack';
import { runStatsBench } from './stats-query';
import { runThroughput } from './throughput';
import { parseTopology, type Topology } from './topology';

const USAGE = `npm run bench -- <latency|capacity|throughput|scale|cost|stats|all> [options]
       npm run bench -- ingest-load [options]   (against a running npm start)

latency     API accepting an event -> first in-app message committed, against the floor
            (a bare workflow: one signal, one no-op activity), at a light and a heavy load
  --light N        samples at light load (default 200)
  --light-rate N   their arrivals per second (default 2); 0 sends each when the last has committed
  --heavy N        samples at heavy load (default 600)
  --rate N         heavy load's arrivals per second (default 20)
  --users N        users the heavy load is spread over (default 600)
capacity    the highest trigger rate held steady (p99 within the limit, no growing backlog), Beckon's
            beside the floor's, stepping the rate up until a step is past it
  --steps A,B,C    rates per second (default 2,4,6,8,10,12,16,20,25,30,40)
  --step-seconds N seconds per step (default 12)
  --cap-users N    users the load is spread over (default 300)
  --p99-limit N    ms; a step whose p99 passes it is past capacity (default 250)
throughput  sustained events/s through POST /v1/track against raw signalWithStart
  --events N       events per phase (default 10000)
  --tp-users N     users the events are spread over (default 10000)
  --concurrency N  calls in flight (default 32)
  --batch N        also through /v1/batch in batches of N (default 100; 0 skips)
scale       latency and memory at growing numbers of user workflows; one user's histories
  --sizes A,B,C    numbers of user workflows (default 1000,10000,100000)
  --samples N      trigger events timed at each size (default 200)
  --scale-rate N   their arrivals per second (default 10)
  --one-user N     events one user sends for the history check (default 20000; 0 skips)
  --settle N       seconds to wait after the worker is idle before each size is timed (default 0)
cost        history events, workflow tasks, Postgres statements and CPU per event
  --cost-samples N users measured (default 100)
ingest-load POST /v1/track calls against a running Beckon (a default npm start): 5xx answers, each user's
            workflow's count of its events, and how soon an inbox live stream hears of a committed message
  --calls N        calls (default 2000)
  --users N        users they are spread over (default 200)
  --concurrency N  calls in flight (default 16)
  --url URL        the API (default http://127.0.0.1:3000)
  --data-dir DIR   npm start's DATA_DIR, for its dev write key, admin token and pseudonym key (default .data)
  --database-url URL  its Postgres (default the embedded one on 127.0.0.1:54329)
  --stream-samples N  live-stream samples (default 50)
stats       the stats API's query for one campaign, over a year, a month and a week, grouped each way,
            on generated data (Postgres only: no Temporal)
  --deliveries N   deliveries and opens generated (default 1000000), 10% more entries, 1 in 9 converting
  --queries N      queries timed (default 600)
  --pages N        the console's campaign page and list timed over HTTP, N of each per range (default 40; 0 skips);
                   starts a dev Temporal server (the page counts running journeys) unless TEMPORAL_ADDRESS is set
  --writes N       deliveries and opens written with the roll-up triggers on and off, twice each (default 2000; 0 skips)

Levers, to measure each alone (BENCHMARKS.md, "Levers"):
  --partitions N   the dev server's task queue partitions: 1 (default, as npm start) or 4 (the server's own)
  --sticky-ratio X the worker's nonStickyToStickyPollRatio (SDK default 0.2)
  --pollers K      workflow and activity task pollers: simple (default) or autoscaling
  --preload A,B    modules preloaded into the workflow context (default luxon; none for none)
  --topology T     split (default): the worker and the API each in its own process (npm run worker, npm run api),
                   the load generator alone in the bench's; single: all three in the bench's one process (as before;
                   the tuning levers and scale need it, and only it meters the payload codec)

Uses DATABASE_URL and TEMPORAL_ADDRESS when set, else an embedded PostgreSQL and a dev server.
Prints a table per benchmark and writes the figures to bench-results/<name>-<run>.json.`;

const BENCHMARKS = ['latency', 'capacity', 'throughput', 'scale', 'cost', 'stats'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number of at least 0, not "${value}"`);
  return n;
}

class UsageError extends Error {}

function parseOptions(values: Record<string, string | undefined>) {
  return {
    latency: { light: positive('light', values.light, 200), lightRate: positive('light-rate', values['light-rate'], 2), heavy: positive('heavy', values.heavy, 600), rate: positive('rate', values.rate, 20), users: positive('users', values.users, 600) },
    capacity: {
      rates: (values.steps ?? '2,4,6,8,10,12,16,20,25,30,40').split(',').map((rate) => positive('steps', rate, 0)),
      stepSeconds: positive('step-seconds', values['step-seconds'], 12),
      users: positive('cap-users', values['cap-users'], 300),
      p99LimitMs: positive('p99-limit', values['p99-limit'], 250),
    },
    throughput: { events: positive('events', values.events, 10_000), users: positive('tp-users', values['tp-users'], 10_000), concurrency: positive('concurrency', values.concurrency, 32), batch: positive('batch', values.batch, 100) },
    scale: {
      sizes: (values.sizes ?? '1000,10000,100000').split(',').map((size) => positive('sizes', size, 0)),
      samples: positive('samples', values.samples, 200),
      rate: positive('scale-rate', values['scale-rate'], 10),
      oneUserEvents: positive('one-user', values['one-user'], 20_000),
      settleSeconds: positive('settle', values.settle, 0),
    },
    cost: { samples: positive('cost-samples', values['cost-samples'], 100) },
    stats: {
      deliveries: positive('deliveries', values.deliveries, 1_000_000),
      queries: positive('queries', values.queries, 600),
      pages: positive('pages', values.pages, 40),
      writes: positive('writes', values.writes, 2000),
    },
  };
}
type BenchOptions = ReturnType<typeof parseOptions>;

function parseLevers(values: Record<string, string | undefined>, benchmarks: readonly string[]): BenchLevers {
  const partitions = positive('partitions', values.partitions, 1);
  if (partitions !== 1 && partitions !== 4) throw new UsageError(`--partitions must be 1 or 4, not "${values.partitions}"`);
  const tuning: WorkerTuning = {};
  if (values['sticky-ratio'] !== undefined) {
    const ratio = Number(values['sticky-ratio']);
    if (!(ratio > 0 && ratio <= 1)) throw new UsageError(`--sticky-ratio must be a number above 0 and at most 1, not "${values['sticky-ratio']}"`);
    tuning.nonStickyToStickyPollRatio = ratio;
  }
  if (values.pollers === 'autoscaling') tuning.workflowTaskPollerBehavior = tuning.activityTaskPollerBehavior = { type: 'autoscaling' };
  else if (values.pollers !== undefined && values.pollers !== 'simple') throw new UsageError(`--pollers must be simple or autoscaling, not "${values.pollers}"`);
  if (values.preload !== undefined) tuning.preloadModules = values.preload === 'none' ? [] : values.preload.split(',');
  let topology: Topology;
  try {
    topology = parseTopology(values.topology, { tuning: Object.keys(tuning).length > 0, benchmarks });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { singleWorker: partitions === 1, topology, ...(Object.keys(tuning).length > 0 && { tuning }) };
}

const table = (header: string[], rows: (string | number | undefined)[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map((cell) => cell ?? '-').join(' | ')} |`)].join('\n');
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const perParty = (values: Record<string, number>) => Object.entries(values).map(([party, n]) => `${party} ${n}`).join(', ');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(
      ['light', 'light-rate', 'heavy', 'rate', 'users', 'steps', 'step-seconds', 'cap-users', 'p99-limit', 'events', 'tp-users', 'concurrency', 'batch', 'sizes', 'samples', 'scale-rate', 'one-user', 'settle', 'cost-samples', 'calls', 'url', 'data-dir', 'database-url', 'stream-samples', 'deliveries', 'queries', 'pages', 'writes', 'partitions', 'sticky-ratio', 'pollers', 'preload', 'topology'].map((name) => [name, { type: 'string' }]),
    ),
  });

  if (positionals[0] === 'ingest-load') return ingestLoad(values);
  const asked = positionals.length === 0 || positionals.includes('help') ? [] : positionals.includes('all') ? [...BENCHMARKS] : positionals;
  const unknown = asked.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (asked.length === 0 || unknown.length > 0) {
    if (unknown.length > 0) console.error(`unknown benchmark: ${unknown.join(', ')}\n`);
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  let options: BenchOptions;
  let levers: BenchLevers;
  try {
    options = parseOptions(values);
    levers = parseLevers(values, asked);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  const runId = Date.now().toString(36);
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} at start`;
  // The stats query needs Postgres alone: run without starting Temporal, a worker and the API.
  if (asked.length === 1 && asked[0] === 'stats') {
    console.log(`\nbeckon bench stats: ${machine}`);
    mkdirSync('bench-results', { recursive: true });
    const report = await runStatsBench(options.stats);
    printStats(report, options.stats);
    writeFileSync(join('bench-results', `stats-${runId}.json`), JSON.stringify({ runId, at: new Date().toISOString(), machine, options: options.stats, result: report }, null, 2));
    console.log(`\nload average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')}; figures written to bench-results/stats-${runId}.json`);
    return;
  }
  // A rate limit and a signal gate far above the load, so the benchmarks measure the path, not the limiters.
  const stack = await startBenchStack({ INGEST_RATE_LIMIT: 1_000_000, TEMPORAL_SIGNALS_IN_FLIGHT: 1_000 }, levers);
  const results: Record<string, unknown> = {};
  // The SDK's runtime stops the worker on SIGINT and SIGTERM; the bench stops with it, and its servers too.
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => reject(new Error(`stopped by ${signal}; figures of the benchmarks that finished are in bench-results/`)));
  });
  try {
    console.log(`\nbeckon bench ${asked.join(' ')}: ${machine}`);
    console.log(`postgres: ${stack.describe.postgres}; temporal: ${stack.describe.temporal}; levers: ${stack.describe.levers}`);
    mkdirSync('bench-results', { recursive: true });
    for (const name of asked as readonly Benchmark[]) {
      say(`${name}: starting`);
      results[name] = await Promise.race([run(name, stack, runId, options), interrupted]);
      // Written after each benchmark, so a later one that fails does not take these figures with it.
      writeFileSync(join('bench-results', `${name}-${runId}.json`), JSON.stringify({ runId, at: new Date().toISOString(), machine, stack: stack.describe, options: options[name], result: results[name] }, null, 2));
    }
  } finally {
    await stack.stop();
  }
  console.log(`\nload average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')}`);
  console.log(`figures written to ${asked.map((name) => `bench-results/${name}-${runId}.json`).join(', ')}`);
}

/** `ingest-load` measures a Beckon that is already running, so it starts no stack of its own. */
async function ingestLoad(values: Record<string, string | undefined>): Promise<void> {
  const options = {
    url: values.url ?? 'http://127.0.0.1:3000',
    dataDir: values['data-dir'] ?? '.data',
    databaseUrl: values['database-url'] ?? 'postgres://postgres@127.0.0.1:54329/postgres',
    calls: positive('calls', values.calls, 2000),
    users: positive('users', values.users, 200),
    concurrency: positive('concurrency', values.concurrency, 16),
    streamSamples: positive('stream-samples', values['stream-samples'], 50),
  };
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} at start`;
  const report = await runIngestLoad(options, say);
  console.log(`\n## ingest-load: ${machine}\n`);
  console.log(table(
    ['calls', 'users', 'in flight', 'calls/s', '5xx', '429 retried', 'answer p50 ms', 'p99 ms', 'users counted exactly', 'stream', 'stream p50 ms', 'p95 ms', 'max ms'],
    [[report.calls, report.users, report.concurrency, report.callsPerSecond, report.answered5xx, report.retried429, report.answeredMs.p50, report.answeredMs.p99,
      `${report.usersCounted}/${report.users}`, report.stream.mode, report.stream.p50, report.stream.p95, report.stream.max]],
  ));
  console.log(`statuses: ${JSON.stringify(report.statuses)}; every count settled ${report.countedWithinMs} ms after the last answer`);
  if (report.usersWrong.length > 0) console.log(`users whose workflow counted otherwise: ${JSON.stringify(report.usersWrong.slice(0, 10))}`);
  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', `ingest-load-${Date.now().toString(36)}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine, options, result: report }, null, 2));
  console.log(`figures written to ${file}`);
  if (report.answered5xx > 0 || report.usersWrong.length > 0) process.exitCode = 1;
}

function printStats(report: Awaited<ReturnType<typeof runStatsBench>>, options: BenchOptions['stats']): void {
  console.log(`\n## stats: one campaign's figures from the daily roll-up (${report.postgres})\n`);
  console.log(`generated (or found): ${perParty(report.generated)} in ${report.generateSeconds} s; ${report.rollupRows} roll-up rows for the campaign`);
  console.log(table(['range', 'groupBy', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], report.queries.map((q) => [q.range, q.groupBy, q.summary.count, q.summary.p50, q.summary.p95, q.summary.p99, q.summary.max])));
  console.log(`\nall ${options.queries} queries: p50 ${report.all.p50} ms, p99 ${report.all.p99} ms (goal: p99 under 100 ms)`);
  if (report.page) {
    console.log(`\n## stats: the console's data over HTTP (every call of the view at once, to the last answer)\n`);
    console.log(table(['view', 'range', 'calls', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], report.page.rows.map((r) => [r.view, r.range, r.calls, r.summary.count, r.summary.p50, r.summary.p95, r.summary.p99, r.summary.max])));
    console.log('goal: the campaign page\'s data in under 200 ms at p99');
  }
  if (report.write) {
    console.log(`\n## stats: the roll-up triggers on the write path (8 connections, today's counters)\n`);
    console.log(table(['write', 'triggers', 'n', 'per second', 'p50 ms', 'p99 ms'], report.write.rows.map((r) => [r.write, r.triggers, r.summary.count, r.perSecond, r.summary.p50, r.summary.p99])));
  }
}

async function run(name: Benchmark, stack: BenchStack, runId: string, options: BenchOptions): Promise<unknown> {
  switch (name) {
    case 'stats': {
      const report = await runStatsBench(options.stats);
      printStats(report, options.stats);
      return report;
    }
    case 'latency': {
      const report = await runLatency(stack, runId, options.latency);
      console.log(`\n## latency: API accepting an event -> first in-app message committed\n`);
      console.log(table(['load', 'path', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], report.rows.map((r) => [r.load, r.path, r.summary.count, r.summary.p50, r.summary.p95, r.summary.p99, r.summary.max, r.errors])));
      for (const load of [0, 2]) {
        const floor = report.rows[load]!.summary;
        const beckon = report.rows[load + 1]!.summary;
        console.log(`${report.rows[load]!.load}: Beckon / floor p50 ${ratio(beckon.p50, floor.p50)}x, p99 ${ratio(beckon.p99, floor.p99)}x (goal: p99 <= 100 ms and <= 1.5x)`);
      }
      console.log(`API answered (200) p50/p99: light ${report.answered.light!.p50}/${report.answered.light!.p99} ms, heavy ${report.answered.heavy!.p50}/${report.answered.heavy!.p99} ms`);
      const gc = report.gcLight;
      console.log(`${stack.topology === 'split' ? "the load generator's (this process's)" : 'main-thread'} GC during Beckon's light samples: ${gc.count} pauses (${gc.major} major), ${gc.totalMs} ms in all, the longest ${gc.longestMs} ms; inside a sample (median) ${gc.medianInSampleMs} ms, inside the slowest 5% ${gc.medianInSlowestMs} ms`);
      console.log(`\nwhere a light sample's time goes (median ms, from the histories' event times)\n`);
      const { beckon, floor } = report.stages;
      const names = [...new Set([...Object.keys(beckon.medians), ...Object.keys(floor)])].sort();
      console.log(table(['stage', 'Beckon', 'Beckon, slowest 5%', 'floor'], names.map((stage) => [stage, beckon.medians[stage], beckon.slowest[stage], floor[stage]])));
      console.log(`\nthe SDK's own metrics for Beckon's task queue (runtime Prometheus telemetry${stack.topology === 'split' ? " of the worker process, the SDK's default buckets" : ''}; percentiles are bucket upper bounds)\n`);
      const sdkNames = [...new Set([...Object.keys(report.sdk.light.histograms), ...Object.keys(report.sdk.heavy.histograms)])].sort();
      const cell = (h: { count: number; meanMs: number; p50Ms: number; p99Ms: number } | undefined) => (h ? `${h.count}: ${h.meanMs} / ${h.p50Ms} / ${h.p99Ms}` : '-');
      console.log(table(['histogram (n: mean / p50 / p99 ms)', 'light', 'heavy'], sdkNames.map((name) => [name, cell(report.sdk.light.histograms[name]), cell(report.sdk.heavy.histograms[name])])));
      console.log(`counters: light ${perParty(report.sdk.light.counters)}; heavy ${perParty(report.sdk.heavy.counters)}`);
      return report;
    }
    case 'capacity': {
      const report = await runCapacity(stack, runId, options.capacity);
      const { floor, beckon } = report;
      console.log(`\n## capacity: ${options.capacity.stepSeconds} s per step, past capacity at p99 > ${options.capacity.p99LimitMs} ms or a growing backlog\n`);
      console.log(
        table(
          ['path', 'rate/s', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'in flight early -> late', 'median ms early -> late', 'steady'],
          (['floor', 'Beckon'] as const).flatMap((name) =>
            (name === 'floor' ? floor : beckon).steps.map((s) => [name, s.rate, s.summary.count, s.summary.p50, s.summary.p95, s.summary.p99, s.summary.max, s.errors,
              `${s.inFlightEarly} -> ${s.inFlightLate}`, `${s.lagEarly} -> ${s.lagLate}`, s.steady ? 'yes' : `no: ${s.why}`]),
          ),
        ),
      );
      const parties = [...new Set(beckon.steps.flatMap((s) => Object.keys(s.cpuMsPerCall)))];
      console.log(`\nCPU ms per trigger by process (${stack.topology}), Beckon's steps\n`);
      console.log(table(['rate/s', ...parties], beckon.steps.map((s) => [s.rate, ...parties.map((party) => s.cpuMsPerCall[party])])));
      const top = (path: typeof floor) => (path.steps.every((s) => s.steady) ? `${path.highestSteady}/s (every step held: raise --steps)` : `${path.highestSteady}/s`);
      console.log(`\nhighest steady rate: Beckon ${top(beckon)}, floor ${top(floor)}; Beckon / floor ${floor.highestSteady ? ratio(beckon.highestSteady, floor.highestSteady) : '-'}`);
      return report;
    }
    case 'throughput': {
      const phases = await runThroughput(stack, runId, options.throughput);
      console.log(`\n## throughput: ${options.throughput.events} events per phase over ${options.throughput.users} users, ${options.throughput.concurrency} calls in flight\n`);
      console.log(
        table(
          ['path', 'events/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms per event', 'statements per event'],
          phases.map((p) => [p.path, p.eventsPerSecond, p.latency.p50, p.latency.p99, p.errors, perParty(p.cpuMsPerEvent), perParty(p.statementsPerEvent) || '0']),
        ),
      );
      console.log(`\nAPI / raw: ${ratio(phases[0]!.eventsPerSecond, phases[1]!.eventsPerSecond)} (goal: at least 0.8)`);
      return phases;
    }
    case 'scale': {
      const report = await runScale(stack, runId, options.scale);
      console.log(`\n## scale: trigger -> in-app commit at ${options.scale.rate}/s, and memory, as user workflows grow\n`);
      console.log(
        table(
          ['user workflows', 'added in s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'cached workflows', 'node RSS MB', 'node heap MB', 'server RSS MB', 'load avg'],
          report.rows.map((r) => [r.users, r.populateSeconds, r.latency.p50, r.latency.p95, r.latency.p99, r.errors, r.cachedWorkflows, r.nodeRssMb, r.nodeHeapMb, r.serverRssMb, r.loadAverage]),
        ),
      );
      console.log(`\nwhere a trigger's time goes at each size (median ms, from the histories' event times)\n`);
      const stageNames = [...new Set(report.rows.flatMap((r) => Object.keys(r.stages.medians)))].sort();
      console.log(
        table(
          ['stage', ...report.rows.map((r) => `${r.users} users`)],
          [...stageNames.map((stage) => [stage, ...report.rows.map((r) => r.stages.medians[stage])]), ['user task on the sticky queue', ...report.rows.map((r) => `${r.stages.stickyUserTasks} of ${r.stages.measured}`)]],
        ),
      );
      if (report.oneUser) {
        const one = report.oneUser;
        console.log(`\none user, ${one.events} events (${one.eventsPerSecond}/s, ${one.retries} retried after a 503): state counts ${one.stateTotal}; ${one.runs} runs, the longest ${one.longestRunEvents} history events, the largest ${Math.round(one.largestRunBytes / 1024)} KiB`);
      }
      return report;
    }
    case 'cost': {
      const rows: CostRow[] = await runCost(stack, runId, options.cost.samples);
      console.log(`\n## cost per event, over ${options.cost.samples} users (existing users, one event each)\n`);
      console.log(
        table(
          ['event', 'history events', 'workflow tasks', 'activities', 'markers (local activity or patch)', 'Temporal Cloud actions', 'Postgres statements', 'CPU ms'],
          rows.map((r) => [r.event, r.historyEvents, r.workflowTasks, r.activities, r.markers, r.cloudActions, perParty(r.statementsPerEvent) || '0', perParty(r.cpuMsPerEvent)]),
        ),
      );
      if (stack.topology === 'split') console.log('\n(split: the API\'s and the worker\'s statements are sent from their own processes and not counted here; --topology single counts them)');
      const metered = rows.filter((r) => r.codec);
      if (metered.length > 0) {
        console.log(`\n## the payload codec per event (API side, worker side): payloads encoded / decoded, their mean bytes, wall ms inside the codec; crypto CPU per payload; the estimate of its CPU\n`);
        console.log(
          table(
            ['event', 'API: enc / dec (bytes)', 'API: ms in codec', 'worker: enc / dec (bytes)', 'worker: ms in codec', 'crypto CPU ms per payload (bytes): enc / dec', 'codec CPU ms per event: API / worker'],
            metered.map(({ event, codec: c }) => [event, `${c!.api.encoded} / ${c!.api.decoded} (${c!.api.bytesPerEncoded} / ${c!.api.bytesPerDecoded})`, c!.api.wallMs,
              `${c!.worker.encoded} / ${c!.worker.decoded} (${c!.worker.bytesPerEncoded} / ${c!.worker.bytesPerDecoded})`, c!.worker.wallMs,
              `${c!.cpuMsPerPayload.encodeMs} / ${c!.cpuMsPerPayload.decodeMs} (${c!.cpuMsPerPayload.bytes})`, `${c!.estimatedCpuMs.api} / ${c!.estimatedCpuMs.worker}`]),
          ),
        );
      }
      return rows;
    }
  }
}

runMain(main);
