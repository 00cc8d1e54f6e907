import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTemporalCli } from '../../src/temporal/tools/temporal-cli';
import { formatChaosReport } from './report';
import { runChaos } from './runner';

/**
 * `npm run chaos`: hundreds of journeys through a worker SIGKILLed every 5-20 s, Temporal and
 * Postgres restarts, a minute of refused SMTP connections and every event sent twice; prints the
 * counts and writes them to bench-results/chaos-<id>.json. Exits 1 when any check failed.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '300' },
      'fault-window': { type: 'string', default: '240', short: 'w' },
      'smtp-refusal': { type: 'string', default: '60' },
      'temporal-restarts': { type: 'string', default: '2' },
      'postgres-restarts': { type: 'string', default: '2' },
      // temporal-server with 4 shards on PostgreSQL and a second worker, as `npm run cluster` runs them.
      cluster: { type: 'boolean', default: false },
    },
  });
  const log = (line: string) => console.log(line);
  const temporalCliPath = await ensureTemporalCli({ log: (line) => log(`[tools] ${line}`) });
  const users = Number(values.users);
  const report = await runChaos({
    users,
    pingsPerUser: 2,
    enterOverMs: 120_000,
    pauseSeconds: 10,
    replySeconds: 45,
    faultWindowMs: Number(values['fault-window']) * 1000,
    killEveryMs: [5_000, 20_000],
    temporalRestarts: Number(values['temporal-restarts']),
    postgresRestarts: Number(values['postgres-restarts']),
    smtpRefusalMs: Number(values['smtp-refusal']) * 1000,
    apis: 2,
    settleMs: 600_000,
    temporalCliPath,
    topology: values.cluster ? 'cluster' : 'dev-server',
    log,
  });
  console.log(`\nchaos run ${report.id}\n${formatChaosReport(report)}`);
  const dir = resolve(__dirname, '..', '..', 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.id}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
  if (report.counts.problems.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
