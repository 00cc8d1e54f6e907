import type { Funnel } from '../domain/experiments/campaign-metrics';
import type { VariantResult } from '../domain/experiments/experiment-stats';
import type { CampaignStats, ProgrammeStats } from '../ops/campaign-stats-ops';
import { table } from './output';

const percent = (value: number | null | undefined, digits = 2) => (value === null || value === undefined ? '-' : `${(value * 100).toFixed(digits)}%`);
const signed = (value: number, digits = 2) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(digits)}`;
const range = ([low, high]: [number, number], digits = 2) => `[${signed(low, digits)}, ${signed(high, digits)}]`;
const seconds = (value: number | null) => (value === null ? '-' : value < 120 ? `${value.toFixed(0)}s` : value < 7200 ? `${(value / 60).toFixed(1)}m` : `${(value / 3600).toFixed(1)}h`);
const byReason = (counts: Record<string, number>) => Object.entries(counts).map(([reason, n]) => `${reason} ${n}`).join(', ');

/** The funnel as lines: journey counts, messages, engagement, conversions and the rates. */
function funnelLines(funnel: Funnel): string[] {
  return [
    `entered ${funnel.entered}   completed ${funnel.completed}   exited ${funnel.exited}${funnel.exited ? ` (${byReason(funnel.exitedBy)})` : ''}`,
    `sent ${funnel.sent}   delivered ${funnel.delivered}   skipped ${funnel.skipped}${funnel.skipped ? ` (${byReason(funnel.skippedBy)})` : ''}   failed ${funnel.failed}   unknown ${funnel.unknown}`,
    `opened ${funnel.opened} (${percent(funnel.rates.open)})   clicked ${funnel.clicked} (CTR ${percent(funnel.rates.clickThrough)})   unsubscribed ${funnel.unsubscribed} (${percent(funnel.rates.unsubscribe)})`,
    `converted ${funnel.converted} (${percent(funnel.rates.conversion)} of entered)   time to first open/click: median ${seconds(funnel.timeToEngage.medianSeconds)}, p90 ${seconds(funnel.timeToEngage.p90Seconds)}`,
    `engaged time per session after a message: median ${seconds(funnel.engagedTime.medianSeconds)}, p90 ${seconds(funnel.engagedTime.p90Seconds)} (${funnel.engagedTime.count} sessions)`,
  ];
}

/** An arm's row of an experiment table. */
function armRow(arm: VariantResult) {
  return {
    arm: arm.variant,
    entered: arm.entered,
    converted: arm.converted,
    rate: `${percent(arm.rate)} ${range(arm.rateInterval).replace(/\+/g, '')}`,
    'uplift (pts)': arm.vsControl ? `${signed(arm.vsControl.absoluteUplift)} ${range(arm.vsControl.absoluteInterval)}` : 'control',
    relative: arm.vsControl?.relativeUplift == null ? '-' : `${signed(arm.vsControl.relativeUplift, 1)}%`,
    'p (z-test)': arm.vsControl ? arm.vsControl.zTest.pValue.toPrecision(3) : '-',
    'p (sequential)': arm.vsControl ? arm.vsControl.sequential.pValue.toPrecision(3) : '-',
    verdict: arm.vsControl?.verdict ?? '-',
  };
}
const ARM_COLUMNS = ['arm', 'entered', 'converted', 'rate', 'uplift (pts)', 'relative', 'p (z-test)', 'p (sequential)', 'verdict'];

/** The winner rule's state: the recorded decision of an auto rule, else what it waits for. */
function winnerLine(winner: NonNullable<NonNullable<CampaignStats['experiment']>['winner']>): string {
  if (winner.decision) return `winner: ${winner.decision.variant}, decided ${winner.decision.decidedAt} (${winner.decision.reason}); later entrants get it`;
  const auto = winner.rule.auto ? 'auto: applied once decided' : 'not auto: shown only';
  return `winner: ${winner.winner ?? 'none yet'} (${winner.reason}; ${auto})`;
}

/** What `beckon campaigns stats` prints: the funnel, the breakdown and the experiment table. */
export function statsReport(stats: CampaignStats): string {
  const lines = [
    `${stats.campaign.id} (${stats.campaign.name}), ${stats.range.from} to ${stats.range.to} (UTC), ${stats.range.version === null ? 'all versions' : `version ${stats.range.version}`}`,
    '',
    ...funnelLines(stats.funnel),
    '',
    `by ${stats.groupBy}:`,
    table(
      stats.groups.map(({ key, funnel }) => ({
        [stats.groupBy]: key === '' ? '(journey)' : key,
        entered: funnel.entered,
        sent: funnel.sent,
        skipped: funnel.skipped,
        opened: funnel.opened,
        clicked: funnel.clicked,
        converted: funnel.converted,
        'open rate': percent(funnel.rates.open, 1),
        CTR: percent(funnel.rates.clickThrough, 1),
        conversion: percent(funnel.rates.conversion, 1),
      })),
      [stats.groupBy, 'entered', 'sent', 'skipped', 'opened', 'clicked', 'converted', 'open rate', 'CTR', 'conversion'],
    ),
  ];
  const experiment = stats.experiment;
  if (experiment) {
    lines.push(
      '',
      `experiment: each arm against ${experiment.control}; significant = anytime-valid test at 5% (valid however often you look), at least ${experiment.minSamples} entrants per arm`,
      table(experiment.arms.map((arm) => armRow(arm)), ARM_COLUMNS),
    );
    if (experiment.winner) lines.push(winnerLine(experiment.winner));
  }
  if (stats.programme) {
    lines.push('', 'programme: treated entrants against the global control group (policy.yaml globalControl), same test', table(stats.programme.arms.map((arm) => armRow(arm)), ARM_COLUMNS));
  }
  return lines.join('\n');
}

/** What `beckon programme stats` prints: the group, then the pooled uplift and each covered campaign's. */
export function programmeReport(stats: ProgrammeStats): string {
  const group = stats.globalControl;
  const lines = [
    `programme, ${stats.range.from} to ${stats.range.to} (UTC): ` +
      (group ? `global control group ${group.percent}% of users, covering ${group.categories ? group.categories.join(', ') : 'every category but transactional'}` : 'no global control group in policy.yaml (globalControl) now'),
  ];
  if (!stats.programme) {
    lines.push('no entrant of the range is in the global control group: nothing to compare');
    return lines.join('\n');
  }
  lines.push(
    '',
    `all ${stats.campaigns.length} covered campaigns, pooled per entry (a user in two campaigns counts twice); same test as an experiment`,
    table(stats.programme.arms.map((arm) => armRow(arm)), ARM_COLUMNS),
  );
  for (const campaign of stats.campaigns) {
    lines.push('', `${campaign.id} (${campaign.name}, ${campaign.category})`, table(campaign.programme.arms.map((arm) => armRow(arm)), ARM_COLUMNS));
  }
  return lines.join('\n');
}
