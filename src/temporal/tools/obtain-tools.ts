// CLI entry: `tsx src/temporal/tools/obtain-tools.ts [cli|test-server|all]` (default all).
// Obtains the requested tools (building and caching them the first time) and prints their paths on stdout.
import { errorMessage } from './tool-cache';
import { ensureTemporalCli } from './temporal-cli';
import { ensureTestServer } from './test-server';

const USAGE = 'usage: tsx src/temporal/tools/obtain-tools.ts [cli|test-server|all]';

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  if (!['cli', 'test-server', 'all'].includes(which)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  // Paths go to stdout (one `name=path` line each) so scripts can read them; progress goes to stderr.
  if (which === 'cli' || which === 'all') {
    console.log(`temporal-cli=${await ensureTemporalCli()}`);
  }
  if (which === 'test-server' || which === 'all') {
    console.log(`test-server=${await ensureTestServer()}`);
  }
}

main().catch((error: unknown) => {
  console.error(`[tools] ${errorMessage(error)}`);
  process.exitCode = 1;
});
