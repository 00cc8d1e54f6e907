import { Command, CommanderError } from 'commander';
import { createApiClient, type ApiClient } from './api-client';
import { campaignCommands, programmeCommands } from './commands/campaign-commands';
import { miscCommands } from './commands/misc-commands';
import { sourceCommands } from './commands/source-commands';
import { userCommands } from './commands/user-commands';
import type { CliContext } from './context';
import { devTokenFile, readDevToken } from './dev-token';
import { CliError, EXIT } from './exit-codes';
import { createOutput, type Output } from './output';

/** Builds the `beckon` program; `run` parses argv and returns the exit code (tests and bin/beckon share it). */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): { program: Command; ctx: CliContext } {
  const program = new Command('beckon')
    .description('Operate Beckon: campaigns, users, events. Talks to the Beckon API (BECKON_URL) with an admin token (BECKON_TOKEN, else the dev token `npm start` keeps in DATA_DIR/admin.token).')
    .option('--json', 'print results as JSON on stdout, no progress lines')
    .option('--url <url>', 'Beckon API base URL (default: BECKON_URL or http://127.0.0.1:3000)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  let api: ApiClient | undefined;
  let out: Output | undefined;
  const ctx: CliContext = {
    api: () =>
      (api ??= createApiClient({
        url: (program.opts<{ url?: string }>().url ?? env.BECKON_URL ?? 'http://127.0.0.1:3000').trim(),
        token: () => {
          if (env.BECKON_TOKEN?.trim()) return env.BECKON_TOKEN.trim();
          const dev = readDevToken(env);
          if (dev) ctx.out().progress(`using the dev admin token of npm start from ${dev.file} (BECKON_TOKEN is unset)`);
          return dev?.token;
        },
        missingToken: `BECKON_TOKEN is not set: export BECKON_TOKEN=<admin token> (\`npm start\` prints a dev token and keeps it in ${devTokenFile(env)}, which is read when present)`,
        ...(env.BECKON_WRITE_KEY && { writeKey: env.BECKON_WRITE_KEY.trim() }),
        ...(env.BECKON_SIGNING_KEY && { signingKey: env.BECKON_SIGNING_KEY.trim() }),
      })),
    env,
    out: () => (out ??= createOutput(Boolean(program.opts<{ json?: boolean }>().json))),
  };
  campaignCommands(program, ctx);
  programmeCommands(program, ctx);
  userCommands(program, ctx);
  miscCommands(program, ctx);
  sourceCommands(program, ctx);
  return { program, ctx };
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { program, ctx } = buildProgram(env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      ctx.out().error(err.message);
      return err.exitCode;
    }
    ctx.out().error(`unexpected error: ${(err as Error).stack ?? String(err)}`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
