import type { Command } from 'commander';
import { parseDuration } from '../../domain/time';
import type { JourneySummary } from '../../ops/user-ops';
import type { UserStateView } from '../../workflows/messages';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { table } from '../output';

const userPath = (userId: string) => `/v1/ops/users/${encodeURIComponent(userId)}`;

/** `beckon users ...` and `beckon journeys reset`: one user's state and journeys. */
export function userCommands(program: Command, ctx: CliContext): void {
  const users = program.command('users').description("one user's state and journeys (by user ID; Beckon pseudonymises it)");

  users
    .command('show <userId>')
    .description("the user workflow's state: counters, traits, running journeys, armed absence rules")
    .action(async (userId: string) => {
      const body = await ctx.api().get<UserStateView & { userId: string }>(userPath(userId));
      ctx.out().result(body, () =>
        [
          `user ${userId} (pseudonym ${body.pseudonym}), catalog revision ${body.catalogRevision}, ${body.pending} events pending`,
          `events: ${Object.entries(body.state.events).map(([name, e]) => `${name} x${e.count}`).join(', ') || '(none)'}`,
          `running journeys: ${Object.entries(body.state.running).flatMap(([id, js]) => js.map((j) => `${id}#${j.entry}`)).join(', ') || '(none)'}`,
          `armed absence rules: ${Object.entries(body.state.armed).map(([id, a]) => `${id} until ${a.deadline}`).join(', ') || '(none)'}`,
        ].join('\n'),
      );
    });

  users
    .command('journeys <userId>')
    .description("the user's journeys, newest first")
    .action(async (userId: string) => {
      const body = await ctx.api().get<{ journeys: JourneySummary[] }>(`${userPath(userId)}/journeys`);
      ctx.out().result(body, () => table(body.journeys as unknown as Record<string, unknown>[], ['workflowId', 'executionStatus', 'journeyStatus', 'step', 'campaignVersion', 'startTime']));
    });

  users
    .command('cancel <userId> <campaignId> <entry>')
    .description('cancel one running journey (the user can enter the campaign again as its re-entry rule allows)')
    .option('--reason <text>', 'recorded on the cancelled workflow', 'cancelled with beckon CLI')
    .action(async (userId: string, campaignId: string, entry: string, options: { reason: string }) => {
      if (!/^\d+$/.test(entry)) throw new CliError(`entry must be a number (the n-th entry, as \`beckon users journeys ${userId}\` shows), not "${entry}"`, EXIT.usage);
      const body = await ctx.api().post<{ workflowId: string }>(`${userPath(userId)}/journeys/${encodeURIComponent(campaignId)}/${entry}/cancel`, { reason: options.reason });
      ctx.out().result(body, () => `cancellation requested: ${body.workflowId}`);
    });

  users
    .command('token <userId>')
    .description("a user token for the user's inbox, stream and consent routes (POST /v1/users/:userId/token with BECKON_SIGNING_KEY)")
    .option('--expires-in <duration>', 'how long it is valid, e.g. 1h, 30 minutes, 7 days', '1h')
    .option('--no-expiry', 'a token that lasts until the signing key is rotated out')
    .action(async (userId: string, options: { expiresIn: string; expiry: boolean }) => {
      let expiresIn: number | null = null;
      if (options.expiry) {
        const parsed = parseDuration(options.expiresIn);
        if (!parsed.ok) throw new CliError(`--expires-in: ${parsed.reason}`, EXIT.usage);
        expiresIn = Math.max(1, Math.round(parsed.ms / 1000));
      }
      const body = await ctx.api().userToken<{ userId: string; token: string; expiresAt: string | null }>(userId, { expiresIn });
      ctx.out().progress(`token for ${userId}, ${body.expiresAt ? `valid until ${body.expiresAt}` : 'valid until the signing key is rotated out'}:`);
      ctx.out().result(body, () => body.token);
    });

  users
    .command('erase <userId>')
    .description('erase the person: their workflows, their rows and their data key; later calls for them are dropped (needs admin)')
    .action(async (userId: string) => {
      const body = await ctx.api().delete<{ status: string; removed?: { workflows: number; rows: Record<string, number>; keys: number; visitors: number }; workflowId?: string }>(userPath(userId));
      ctx.out().result(body, () =>
        body.removed
          ? [
              `erased ${userId}: ${body.removed.workflows} workflows, ${body.removed.keys} data keys, ${body.removed.visitors} linked visitors`,
              `rows: ${Object.entries(body.removed.rows).filter(([, n]) => n > 0).map(([table, n]) => `${table} ${n}`).join(', ') || '(none)'}`,
              'calls for this user ID are now dropped; `beckon users unsuppress` lifts that',
            ].join('\n')
          : [
              `erasure of ${userId} is still running as workflow ${body.workflowId}; it finishes on its own`,
              'its result in the Web UI says what it removed; running this command again while it runs waits for it again',
            ].join('\n'),
      );
    });

  users
    .command('export <userId>')
    .description('everything Beckon holds about the person, as one JSON document (needs admin)')
    .action(async (userId: string) => {
      const body = await ctx.api().get<Record<string, unknown>>(`${userPath(userId)}/export`);
      console.log(JSON.stringify(body, null, 2));
    });

  users
    .command('unsuppress <userId>')
    .description("lift an erasure's suppression: calls for the user ID are taken again, as a new person (needs admin)")
    .action(async (userId: string) => {
      const body = await ctx.api().delete<{ userId: string }>(`${userPath(userId)}/suppression`);
      ctx.out().result(body, () => `calls for ${userId} are taken again`);
    });

  program
    .command('journeys')
    .description('one journey by workflow ID')
    .command('reset <workflowId>')
    .description('reset a failed journey to its last completed workflow task, so it retries from there')
    .option('--reason <text>', 'recorded on the reset', 'reset with beckon CLI')
    .action(async (workflowId: string, options: { reason: string }) => {
      const body = await ctx.api().post<{ runId: string; resetToEventId: number }>(`/v1/ops/journeys/${encodeURIComponent(workflowId)}/reset`, { reason: options.reason });
      ctx.out().result(body, () => `${workflowId}: reset to event ${body.resetToEventId}; new run ${body.runId}`);
    });
}
