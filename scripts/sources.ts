import { run } from '../src/cli/main';

/** `npm run sources -- <command>`: the same commands as `beckon sources` (list, create, revoke, rotate-key, client-auth, origins), against DATABASE_URL. */
void run(['sources', ...process.argv.slice(2)]).then((code) => process.exit(code));
