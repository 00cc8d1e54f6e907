import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CampaignSummary } from '../../db/campaign-lifecycle-repository';
import type { ValidateResult } from '../../ops/campaign-ops';
import type { RerunResult } from '../../ops/rerun-ops';
import { followBatch } from '../batch-progress';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { table } from '../output';
import { programmeReport, statsReport } from '../stats-report';
import type { CampaignStats, ProgrammeStats } from '../../ops/campaign-stats-ops';

const path = (id: string, action = '') => `/v1/ops/campaigns/${encodeURIComponent(id)}${action}`;

function readDefinition(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** The range options of the stats commands, as the stats APIs' query. */
function rangeQuery(options: { from?: string; to?: string }, query = new URLSearchParams()): URLSearchParams {
  if (options.from) query.set('from', options.from);
  if (options.to) query.set('to', options.to);
  return query;
}

/** `beckon programme stats`: the global control group against every campaign it covers. */
export function programmeCommands(program: Command, ctx: CliContext): void {
  program
    .command('programme')
    .description('the whole programme of campaigns')
    .command('stats')
    .description("the programme's uplift over a range of UTC days: the global control group (policy.yaml globalControl) against each covered campaign's treated entrants, and pooled")
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: 29 days before --to)')
    .option('--to <day>', 'last UTC day, YYYY-MM-DD (default: today)')
    .action(async (options: { from?: string; to?: string }) => {
      const body = await ctx.api().get<ProgrammeStats>(`/v1/ops/programme/stats?${rangeQuery(options).toString()}`);
      ctx.out().result(body, () => programmeReport(body));
    });
}

/** `beckon campaigns ...`: list, show, validate, publish, pause, resume, cancel, replay (re-run for users), archive. */
export function campaignCommands(program: Command, ctx: CliContext): Command {
  const campaigns = program.command('campaigns').description('campaign lifecycle');

  campaigns
    .command('list')
    .description('campaigns with their status and current version')
    .option('--archived', 'include archived campaigns')
    .action(async (options: { archived?: boolean }) => {
      const body = await ctx.api().get<{ campaigns: CampaignSummary[] }>(`/v1/ops/campaigns${options.archived ? '?archived=true' : ''}`);
      ctx.out().result(body, () => table(body.campaigns as unknown as Record<string, unknown>[], ['id', 'status', 'version', 'name', 'updatedAt']));
    });

  campaigns
    .command('show <campaignId>')
    .description('one campaign: status, versions and running journeys')
    .action(async (id: string) => {
      const body = await ctx.api().get<CampaignSummary & { journeys: Record<string, number>; versions: { version: number; createdAt: string; source: string }[] }>(path(id));
      ctx.out().result(body, () =>
        [
          `${body.id} (${body.name}): ${body.status}, version ${body.version}`,
          `journeys running: ${body.journeys.running} (waiting ${body.journeys.waiting}, held by pause ${body.journeys.paused})`,
          `versions:`,
          ...body.versions.map((v) => `  v${v.version}  ${v.createdAt}  ${v.source}`),
        ].join('\n'),
      );
    });

  campaigns
    .command('stats <campaignId>')
    .description('the funnel, its rates and the experiment table (each arm against the control) over a range of UTC days')
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: 29 days before --to)')
    .option('--to <day>', 'last UTC day, YYYY-MM-DD (default: today)')
    .option('--version <n>', 'one version only (default: all)')
    .option('--group-by <dimension>', 'day, step, variant or channel', 'day')
    .action(async (id: string, options: { from?: string; to?: string; version?: string; groupBy: string }) => {
      const query = rangeQuery(options, new URLSearchParams({ groupBy: options.groupBy }));
      if (options.version) query.set('version', options.version);
      const body = await ctx.api().get<CampaignStats>(`${path(id, '/stats')}?${query.toString()}`);
      ctx.out().result(body, () => statsReport(body));
    });

  campaigns
    .command('validate <files...>')
    .description('check campaign files (YAML or JSON) without publishing them; exit 1 if any is invalid')
    .action(async (files: string[]) => {
      const results: (ValidateResult & { file: string })[] = [];
      for (const file of files) results.push({ file, ...(await ctx.api().post<ValidateResult>('/v1/ops/campaigns/validate', { text: readDefinition(file), source: file })) });
      ctx.out().result({ results }, () =>
        results
          .map((r) => (r.valid ? `${r.file}: ok (${r.campaign.id}, ${r.campaign.steps} steps)` : `${r.file}: invalid\n${r.problems.map((p) => `  ${p.path || '(campaign)'}: ${p.reason}`).join('\n')}`))
          .join('\n'),
      );
      if (results.some((r) => !r.valid)) process.exitCode = EXIT.failed;
    });

  campaigns
    .command('publish <files...>')
    .description('publish each file as a new version of its campaign (none if unchanged); running journeys keep theirs')
    .action(async (files: string[]) => {
      const results: { campaignId: string; version: number; created: boolean; status: string }[] = [];
      for (const file of files) results.push(await ctx.api().post('/v1/ops/campaigns', { text: readDefinition(file), source: file }));
      ctx.out().result({ results }, () => results.map((r) => `${r.campaignId}: ${r.created ? `published v${r.version}` : `unchanged (v${r.version})`}, ${r.status}`).join('\n'));
    });

  campaigns
    .command('pause <campaignId>')
    .description('stop new entries and hold every journey before its next message')
    .action(async (id: string) => {
      const body = await ctx.api().post<{ outcome: string; status: string; journeys: { running: number } }>(path(id, '/pause'));
      ctx.out().result(body, () => `${id}: ${body.outcome === 'changed' ? 'paused' : 'already paused'}; ${body.journeys.running} running journeys hold before their next message`);
    });

  campaigns
    .command('resume <campaignId>')
    .description('take entries again and let held journeys go on (each message is sent once)')
    .option('--no-wait', 'return once the resume signal batch has started')
    .action(async (id: string, options: { wait: boolean }) => {
      const body = await ctx.api().post<{ outcome: string; status: string; jobId: string }>(path(id, '/resume'));
      const batch = options.wait ? await followBatch(ctx, body.jobId) : undefined;
      ctx.out().result({ ...body, ...(batch && { batch }) }, () => `${id}: ${body.outcome === 'changed' ? 'resumed' : 'already active'}${batch ? `; ${batch.done} held journeys signalled` : `; batch ${body.jobId}`}`);
    });

  campaigns
    .command('cancel <campaignId>')
    .description('pause entries, then cancel every running journey in one Temporal batch operation')
    .option('--reason <text>', 'recorded on each cancelled workflow', 'cancelled with beckon CLI')
    .option('--no-wait', 'return once the batch has started (follow it with `beckon batches show <jobId>`)')
    .action(async (id: string, options: { reason: string; wait: boolean }) => {
      const body = await ctx.api().post<{ status: string; jobId: string; query: string }>(path(id, '/cancel'), { reason: options.reason });
      ctx.out().progress(`${id}: entries paused; cancelling journeys matching: ${body.query}`);
      const batch = options.wait ? await followBatch(ctx, body.jobId) : undefined;
      ctx.out().result({ ...body, ...(batch && { batch }) }, () => (batch ? `${id}: ${batch.done} journeys cancelled` : `${id}: cancel batch ${body.jobId} started`));
    });

  campaigns
    .command('replay <campaignId>')
    .description('re-run the campaign for some users (entry and re-entry rules waived); --dry-run prints who would be affected')
    .option('--users <userIds>', 'comma-separated user IDs')
    .option('--query <query>', "visibility query over user workflows, e.g. \"BeckonUser = 'abc'\" or \"StartTime > '2026-01-01T00:00:00Z'\"")
    .option('--dry-run', 'print who would be affected and change nothing')
    .option('--no-wait', 'return once the signal batch has started')
    .action(async (id: string, options: { users?: string; query?: string; dryRun?: boolean; wait: boolean }) => {
      if (Boolean(options.users) === Boolean(options.query)) throw new CliError('give either --users a,b,c or --query "<visibility query>"', EXIT.usage);
      const target = options.users ? { userIds: options.users.split(',').map((u) => u.trim()).filter(Boolean) } : { query: options.query };
      const body = await ctx.api().post<RerunResult>(path(id, '/rerun'), { ...target, dryRun: Boolean(options.dryRun) });
      const batch = body.jobId && options.wait ? await followBatch(ctx, body.jobId) : undefined;
      ctx.out().result({ ...body, ...(batch && { batch }) }, () =>
        [
          `${body.dryRun ? 'would re-run' : 're-running'} ${id} for ${body.count} users${body.count > body.users.length ? ` (first ${body.users.length} listed)` : ''}:`,
          ...body.users.map((u) => `  ${u.userId ?? '(unknown user ID)'}  ${u.pseudonym}`),
          ...(body.notFound.length ? [`no running user workflow (nothing to do): ${body.notFound.join(', ')}`] : []),
          ...(batch ? [`${batch.done} user workflows signalled; those with a journey of ${id} still running are skipped`] : []),
        ].join('\n'),
      );
    });

  campaigns
    .command('archive <campaignId>')
    .description('take the campaign out of the catalog and the list (resume brings it back)')
    .action(async (id: string) => {
      const body = await ctx.api().post<{ outcome: string; journeys: { running: number } }>(path(id, '/archive'));
      ctx.out().result(body, () => `${id}: ${body.outcome === 'changed' ? 'archived' : 'already archived'}; ${body.journeys.running} running journeys finish on their version`);
    });

  return campaigns;
}
