// CLI entry: `tsx src/temporal/tools/obtain-tools.ts [cli|test-server|all|server|ui-server|cluster]` (default all).
// `all` is what the tests need; `cluster` adds temporal-server, its SQL tool and the Web UI server for `npm run cluster`.
// Obtains the requested tools (building and caching them the first time) and prints their paths on stdout.
import { errorMessage } from './tool-cache';
import { ensureTemporalCli } from './temporal-cli';
import { ensureTestServer } from './test-server';
import { ensureTemporalServer, ensureTemporalUiServer } from './temporal-server';

const USAGE = 'usage: tsx src/temporal/tools/obtain-tools.ts [cli|test-server|all|server|ui-server|cluster]';

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  if (!['cli', 'test-server', 'all', 'server', 'ui-server', 'cluster'].includes(which)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  // Paths go to stdout (one `name=path` line each) so scripts can read them; progress goes to stderr.
  if (which === 'cli' || which === 'all' || which === 'cluster') {
    console.log(`temporal-cli=${await ensureTemporalCli()}`);
  }
  if (which === 'test-server' || which === 'all') {
    console.log(`test-server=${await ensureTestServer()}`);
  }
  if (which === 'server' || which === 'cluster') {
    const tools = await ensureTemporalServer();
    console.log(`temporal-server=${tools.serverPath}\ntemporal-sql-tool=${tools.sqlToolPath}\npostgres-schema=${tools.postgresSchemaDir}`);
  }
  if (which === 'ui-server' || which === 'cluster') {
    console.log(`temporal-ui-server=${await ensureTemporalUiServer()}`);
  }
}

main().catch((error: unknown) => {
  console.error(`[tools] ${errorMessage(error)}`);
  process.exitCode = 1;
});
