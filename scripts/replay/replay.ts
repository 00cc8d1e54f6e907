import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, temporalAddress } from '../../src/config';
import { connectClient } from '../../src/temporal/client-connection';
import { fetchHistories, readRecordedHistories, replay } from '../../src/temporal/history-replay';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { userWorkflow } from '../../src/workflows/user-workflow';

const USAGE = `usage: npm run replay -- [--dir test/replay/histories]
       npm run replay -- --from-server [--query "<visibility query>"] [--limit 50]
Replays workflow histories against the current workflow code (src/workflows); exit 1 if any no longer replays.
--from-server reads TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE like the worker; the default query takes Beckon's workflows
in the order the visibility store lists them (running ones first, then the most recently closed).`;

/**
 * Every visibility store takes this query: SQL stores (SQLite, PostgreSQL, MySQL: the dev server's and
 * `npm run cluster`'s) refuse ORDER BY ("operation is not supported"), and their own order, like
 * Elasticsearch's default, already puts the newest first.
 */
const DEFAULT_QUERY = `WorkflowType IN ('${userWorkflow.name}', '${journeyWorkflow.name}')`;

/** `npm run replay`: the determinism check of the workflow code, over recorded histories (default) or a live server's. */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { dir: { type: 'string' }, 'from-server': { type: 'boolean' }, query: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean' } },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const limit = Number(args.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) {
    console.error(`--limit must be a positive whole number\n${USAGE}`);
    return 2;
  }

  let histories: { workflowId: string; history: Parameters<typeof replay>[0][number]['history']; shape?: string }[];
  let from: string;
  if (args['from-server']) {
    const config = loadConfig();
    const client = await connectClient({ address: temporalAddress(config), namespace: config.TEMPORAL_NAMESPACE, waitMs: 5_000 });
    try {
      histories = await fetchHistories(client, args.query ?? DEFAULT_QUERY, limit);
    } finally {
      await client.connection.close();
    }
    from = `${temporalAddress(config)} (${args.query ?? DEFAULT_QUERY})`;
  } else {
    const dir = resolve(args.dir ?? resolve(__dirname, '..', '..', 'test', 'replay', 'histories'));
    histories = readRecordedHistories(dir).map((h) => ({ workflowId: h.workflowId, history: h.decoded, shape: h.shape }));
    from = dir;
  }
  if (histories.length === 0) {
    console.error(`no histories found in ${from}`);
    return 1;
  }
  const outcomes = await replay(histories, { workflowsPath: require.resolve('../../src/workflows') });
  for (const outcome of outcomes) {
    console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.workflowId}${outcome.shape ? `  (${outcome.shape})` : ''}${outcome.error ? `\n     ${outcome.error}` : ''}`);
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`${outcomes.length - failed} of ${outcomes.length} histories from ${from} replay on the current workflow code`);
  if (failed > 0) console.log('A workflow change that running workflows would execute must go behind patched() (see README, "Changing workflow code").');
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
