import type { Command } from 'commander';
import type { AdminTokenRecord } from '../../db/admin-token-repository';
import { createAdminTokenRepository } from '../../db/admin-token-repository';
import { createPool } from '../../db/pool';
import { ADMIN_SCOPES, type AdminScope } from '../../privacy/admin-token';
import type { BatchProgress } from '../../temporal/batch-operations';
import { followBatch } from '../batch-progress';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { table } from '../output';

function parseProperties(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below with an example.
  }
  throw new CliError(`--properties must be a JSON object, e.g. --properties '{"plan":"pro"}'`, EXIT.usage);
}

/** `beckon events send`, `beckon batches show`, `beckon tokens ...`. */
export function miscCommands(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('events, as an app sends them')
    .command('send <userId> <event>')
    .description('send one event through POST /v1/track (uses BECKON_WRITE_KEY if set)')
    .option('--properties <json>', 'event properties as a JSON object')
    .option('--message-id <id>', 'idempotency key: a repeat with the same one counts once')
    .action(async (userId: string, event: string, options: { properties?: string; messageId?: string }) => {
      const body = await ctx.api().track<{ messageId: string }>({ userId, event, properties: parseProperties(options.properties), ...(options.messageId && { messageId: options.messageId }) });
      ctx.out().result(body, () => `sent "${event}" for ${userId} (messageId ${body.messageId})`);
    });

  const batches = program.command('batches').description('Temporal batch operations started by cancel and resume');
  batches
    .command('show <jobId>')
    .description('progress of a batch; --follow waits until it ends')
    .option('--follow', 'poll until the batch ends')
    .action(async (jobId: string, options: { follow?: boolean }) => {
      const body = options.follow ? await followBatch(ctx, jobId) : await ctx.api().get<BatchProgress>(`/v1/ops/batches/${encodeURIComponent(jobId)}`);
      ctx.out().result(body, () => `${body.jobId}: ${body.kind} ${body.state}, ${body.done}/${body.total} done, ${body.failed} failed`);
    });

  const tokens = program.command('tokens').description('admin tokens of the ops API');
  tokens
    .command('create')
    .description('make an admin token directly in Postgres (DATABASE_URL): the way to get the first one')
    .requiredOption('--name <name>', 'who or what uses it')
    .option('--scope <scope...>', `scopes: ${ADMIN_SCOPES.join(', ')} (each includes the ones before)`, ['read'])
    .action(async (options: { name: string; scope: string[] }) => {
      const bad = options.scope.filter((s) => !ADMIN_SCOPES.includes(s as AdminScope));
      if (bad.length > 0) throw new CliError(`unknown scope ${bad.join(', ')}; use ${ADMIN_SCOPES.join(', ')}`, EXIT.usage);
      const url = process.env.DATABASE_URL;
      if (!url) throw new CliError('DATABASE_URL is not set: tokens are created in Beckon\'s Postgres (with a token, `POST /v1/ops/tokens` does it over HTTP)', EXIT.usage);
      const pool = createPool(url, 1);
      try {
        const created = await createAdminTokenRepository(pool).create(options.name, options.scope as AdminScope[]);
        ctx.out().result({ ...created.record, token: created.token }, () => `${created.token}\n(id ${created.record.id}, scopes ${created.record.scopes.join(', ')}; shown once: store it now)`);
      } catch (err) {
        throw new CliError(`cannot create the token in Postgres: ${(err as Error).message}`, EXIT.unavailable);
      } finally {
        await pool.end();
      }
    });
  tokens
    .command('list')
    .description('every admin token (never the secret)')
    .action(async () => {
      const body = await ctx.api().get<{ tokens: AdminTokenRecord[] }>('/v1/ops/tokens');
      ctx.out().result(body, () => table(body.tokens as unknown as Record<string, unknown>[], ['id', 'name', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt']));
    });
  tokens
    .command('revoke <tokenId>')
    .description('revoke a token at once')
    .action(async (tokenId: string) => {
      await ctx.api().delete(`/v1/ops/tokens/${encodeURIComponent(tokenId)}`);
      ctx.out().result({ revoked: tokenId }, () => `revoked ${tokenId}`);
    });
}
