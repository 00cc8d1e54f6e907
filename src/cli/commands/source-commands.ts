import type { Command } from 'commander';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { CLIENT_AUTH_MODES, createSourceRepository, normaliseOrigin, type ClientAuth, type SourceRepository } from '../../db/source-repository';
import { parseDuration } from '../../domain/time';
import { createSigningKeyVault, deriveVaultKey } from '../../privacy/signing-key-vault';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { table } from '../output';

const VAULT_HINT = 'PSEUDONYM_KEY is not set: signing keys are sealed under it (the API must have the same one; `npm start` keeps its dev key in .data/pseudonym.key)';

/**
 * `beckon sources ...` (also `npm run sources -- ...`): the apps that send events, their write and
 * signing keys, whether their client routes require user tokens, and their CORS origins. Works on
 * Postgres directly (DATABASE_URL), as making the first source must.
 */
export function sourceCommands(program: Command, ctx: CliContext): void {
  const sources = program.command('sources').description('sources (apps): write keys, signing keys for user tokens, client auth, CORS origins; on Postgres directly (DATABASE_URL)');

  async function withSources<T>(needVault: boolean, work: (repo: SourceRepository) => Promise<T>): Promise<T> {
    const url = ctx.env.DATABASE_URL;
    if (!url) throw new CliError('DATABASE_URL is not set: sources live in Beckon\'s Postgres', EXIT.usage);
    const pseudonymKey = ctx.env.PSEUDONYM_KEY;
    if (needVault && !pseudonymKey) throw new CliError(VAULT_HINT, EXIT.usage);
    const pool = createPool(url, 2);
    try {
      await migrate(pool).catch((err: Error) => {
        throw new CliError(`cannot reach Postgres at DATABASE_URL: ${err.message}`, EXIT.unavailable);
      });
      return await work(createSourceRepository(pool, pseudonymKey ? createSigningKeyVault(deriveVaultKey(pseudonymKey)) : undefined));
    } finally {
      await pool.end();
    }
  }

  sources
    .command('list')
    .description('every source: live or revoked, whether its client routes require user tokens, its origins and signing keys')
    .action(async () => {
      const rows = await withSources(false, async (repo) =>
        Promise.all(
          (await repo.list()).map(async (source) => ({
            ...source,
            signingKeys: await repo.signingKeyInfo(source.id),
            status: source.revokedAt ? `revoked ${source.revokedAt}` : 'live',
            clientRoutes: source.clientAuth === 'required' ? 'user tokens' : 'OPEN: the write key reads any user',
          })),
        ),
      );
      ctx.out().result({ sources: rows }, () => {
        const lines = table(
          rows.map((row) => ({
            ...row,
            origins: row.allowedOrigins.join(' ') || '(none)',
            keys: row.signingKeys.map((key) => (key.expiresAt ? `${key.id} until ${key.expiresAt}` : key.id)).join(', ') || '(none)',
          })),
          ['id', 'name', 'status', 'clientRoutes', 'origins', 'keys', 'createdAt'],
        );
        const open = rows.filter((row) => !row.revokedAt && row.clientAuth === 'optional');
        const warning = open.map((row) => `warning: ${row.id} is open: anyone with its public write key can read and change any user's inbox and consent (sources client-auth ${row.id} required)`);
        return [lines, ...warning].join('\n');
      });
    });

  sources
    .command('create <name>')
    .description('a new source; prints its write key and signing key, shown only this once')
    .option('--open', 'let the write key alone open the client routes (clientAuth optional); not for production')
    .action(async (name: string, options: { open?: boolean }) => {
      const created = await withSources(true, (repo) => repo.create(name, { clientAuth: options.open ? 'optional' : 'required' }));
      ctx.out().result({ ...created.source, writeKey: created.writeKey, signingKey: created.signingKey }, () =>
        [
          `created source ${created.source.id} (${created.source.name}), client routes ${created.source.clientAuth === 'required' ? 'require user tokens' : 'OPEN to the write key'}`,
          `write key:   ${created.writeKey}   (public: apps send events with it)`,
          `signing key: ${created.signingKey}   (secret: your server makes user tokens with it)`,
          'keep them now: Beckon stores only a hash of the write key, and the signing key sealed',
        ].join('\n'),
      );
    });

  sources
    .command('revoke <sourceId>')
    .description("revokes the source for good: its write key, signing keys and users' tokens are refused within 5 seconds")
    .action(async (sourceId: string) => {
      if (!(await withSources(false, (repo) => repo.revoke(sourceId)))) throw new CliError(`no live source ${sourceId}; \`sources list\` shows them`, EXIT.notFound);
      ctx.out().result({ revoked: sourceId }, () => `revoked ${sourceId}; requests with its keys are refused within 5 seconds`);
    });

  sources
    .command('rotate-key <sourceId>')
    .description('a new signing key; the old ones stay accepted for the overlap, so tokens already handed out keep working meanwhile')
    .option('--overlap <duration>', 'how long the old keys stay accepted, e.g. 24h, 30 minutes, 0s to end them now', '24h')
    .action(async (sourceId: string, options: { overlap: string }) => {
      const overlap = /^0+\s*[a-z]*$/i.test(options.overlap.trim()) ? { ok: true as const, ms: 0 } : parseDuration(options.overlap);
      if (!overlap.ok) throw new CliError(`--overlap: ${overlap.reason}`, EXIT.usage);
      const rotated = await withSources(true, (repo) => repo.rotateSigningKey(sourceId, overlap.ms));
      if (!rotated) throw new CliError(`no live source ${sourceId}; \`sources list\` shows them`, EXIT.notFound);
      ctx.out().result({ sourceId, ...rotated }, () =>
        [
          `new signing key: ${rotated.signingKey}   (shown only this once)`,
          ...rotated.retiring.map((key) => `old key ${key.id} accepted until ${key.expiresAt}`),
        ].join('\n'),
      );
    });

  sources
    .command('client-auth <sourceId> <mode>')
    .description("required: the inbox, stream and consent routes take user tokens only; optional: the write key opens them too (open)")
    .action(async (sourceId: string, mode: string) => {
      if (!CLIENT_AUTH_MODES.includes(mode as ClientAuth)) throw new CliError(`mode must be ${CLIENT_AUTH_MODES.join(' or ')}, not "${mode}"`, EXIT.usage);
      if (!(await withSources(false, (repo) => repo.setClientAuth(sourceId, mode as ClientAuth)))) throw new CliError(`no live source ${sourceId}`, EXIT.notFound);
      ctx.out().result({ sourceId, clientAuth: mode }, () => `${sourceId}: client routes ${mode === 'required' ? 'require user tokens' : 'are OPEN to the write key'} (within 5 seconds)`);
    });

  sources
    .command('origins <sourceId> [origins...]')
    .description('the browser origins allowed to call the client routes (CORS), replacing the list; none by default')
    .option('--clear', 'allow no origin')
    .action(async (sourceId: string, origins: string[], options: { clear?: boolean }) => {
      if (origins.length === 0 && !options.clear) throw new CliError('name the origins to allow (e.g. https://app.example.com), or --clear for none', EXIT.usage);
      const normalised = origins.map((origin) => {
        const value = normaliseOrigin(origin);
        if (!value) throw new CliError(`"${origin}" is not an origin: scheme, host and optional port, e.g. https://app.example.com`, EXIT.usage);
        return value;
      });
      if (!(await withSources(false, (repo) => repo.setAllowedOrigins(sourceId, [...new Set(normalised)])))) throw new CliError(`no live source ${sourceId}`, EXIT.notFound);
      ctx.out().result({ sourceId, allowedOrigins: normalised }, () => `${sourceId}: ${normalised.length ? normalised.join(', ') : 'no origin'} may call the client routes (within 5 seconds)`);
    });
}
