import { loadConfig, requireSetting } from '../src/config';
import { migrate } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { createSourceRepository } from '../src/db/source-repository';
import { runMain } from '../src/process';

const USAGE = `usage: npm run sources -- <command>
  list                 the sources and whether each is live
  create <name>        a new source; prints its write key (shown only this once)
  revoke <source id>   revokes the source's write key for good`;

/** `npm run sources`: manage the sources (apps) that may send events, against DATABASE_URL. */
async function main(): Promise<void> {
  const [command, argument] = process.argv.slice(2);
  if (!command || (command !== 'list' && !argument)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const pool = createPool(requireSetting(config, 'DATABASE_URL', 'sources live in Postgres'), 2, (err) => console.error('postgres:', err.message));
  try {
    await migrate(pool);
    const sources = createSourceRepository(pool);
    if (command === 'list') {
      for (const source of await sources.list()) {
        console.log(`${source.id}\t${source.name}\t${source.revokedAt ? `revoked ${source.revokedAt}` : 'live'}\tcreated ${source.createdAt}`);
      }
    } else if (command === 'create') {
      const { source, writeKey } = await sources.create(argument!);
      console.log(`created source ${source.id} (${source.name})`);
      console.log(`write key: ${writeKey}`);
      console.log('keep it now: Beckon stores only its hash');
    } else if (command === 'revoke') {
      if (!(await sources.revoke(argument!))) {
        console.error(`no live source ${argument}; \`npm run sources -- list\` shows them`);
        process.exitCode = 3;
      } else console.log(`revoked ${argument}; requests with its key are refused within 5 seconds`);
    } else {
      console.error(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await pool.end();
  }
}

runMain(main);
