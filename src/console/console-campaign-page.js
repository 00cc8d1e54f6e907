// A campaign's page: its status and actions, versions, Web UI links (ops API); every figure from its stats (stats API).
import { api, ApiError, statsPath } from './console-api.js';
import { dailyChart } from './console-charts.js';
import { h, section, table } from './console-dom.js';
import { formatDateTime, formatDay } from './console-format.js';
import { engagementSection, experimentSection, programmeSection, skipSection, stepFunnelSection, stepVariantFunnelSection, totalsSection, variantFunnelSection } from './console-stats-sections.js';

const GROUPINGS = ['day', 'step', 'variant', 'channel', 'step,variant'];

export async function renderCampaignPage(view, context) {
  const { campaignId, range, version } = context;
  const paths = Object.fromEntries(GROUPINGS.map((groupBy) => [groupBy, statsPath(campaignId, range, groupBy, version)]));
  let campaign;
  let stats;
  try {
    [campaign, ...stats] = await Promise.all([api(`/v1/ops/campaigns/${encodeURIComponent(campaignId)}`), ...GROUPINGS.map((groupBy) => api(paths[groupBy]))]);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      view.append(h('h1', {}, 'Not found'), h('p', { class: 'empty' }, err.message), h('p', {}, h('a', { href: context.hrefFor('list', range) }, 'Back to the campaigns')));
      return;
    }
    throw err;
  }
  if (context.stale()) return;
  const byGroup = Object.fromEntries(GROUPINGS.map((groupBy, i) => [groupBy, stats[i]]));
  const steps = campaign.definition?.steps ?? [];

  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: context.hrefFor('list', range) }, '← Campaigns')),
    header(campaign, context),
    h('p', { class: 'period' }, `Figures for ${formatDay(range.from)} to ${formatDay(range.to)} (UTC), ${version ? `version ${version}` : 'all versions'}.`),
  );
  const day = byGroup.day;
  const empty = day.funnel.entered === 0 && day.funnel.sent === 0 && day.funnel.skipped === 0 && day.funnel.failed === 0;
  if (empty) {
    view.append(emptyNotice(campaign, range));
  } else {
    view.append(
      totalsSection(day, paths.day),
      stepFunnelSection(byGroup.step, paths.step, steps),
      variantFunnelSection(byGroup.variant, paths.variant, day.experiment),
      stepVariantFunnelSection(byGroup['step,variant'], paths['step,variant'], steps, day.experiment),
      section('daily', 'Per day',
        h('div', { class: 'charts', dataset: { stats: paths.day } },
          dailyChart('Messages: sent, opened, clicked', ['sent', 'opened', 'clicked'], day, range),
          dailyChart('Journeys: entered and converted', ['entered', 'converted'], day, range))),
      experimentSection(day, paths.day),
      ...[programmeSection(day, paths.day)].filter(Boolean),
      skipSection(byGroup.step, paths.step, byGroup.channel, paths.channel, steps),
      engagementSection(byGroup.step, paths.step, steps),
    );
  }
  view.append(journeysSection(campaign, steps, context.settings), versionsSection(campaign, context, version));
}

function header(campaign, context) {
  const status = h('span', { class: `status status-${campaign.status}`, id: 'campaign-status', dataset: { status: campaign.status } }, campaign.status);
  const outcome = h('p', { id: 'action-outcome', class: 'outcome', role: 'status', 'aria-live': 'polite' });
  const actions = context.canOperate ? actionButtons(campaign, status, outcome, context) : null;
  return h('div', { class: 'campaign-head' },
    h('h1', {}, campaign.name),
    h('p', { class: 'sub' }, campaign.id, ' · status ', status, ` · current version ${campaign.version}`),
    actions,
    outcome);
}

/** Pause and resume, for an operate token only; the outcome says what changed, and the status follows. */
function actionButtons(campaign, status, outcome, context) {
  const pause = h('button', { type: 'button', id: 'pause', class: 'action' }, 'Pause');
  const resume = h('button', { type: 'button', id: 'resume', class: 'action' }, 'Resume');
  const sync = (value) => {
    status.textContent = value;
    status.dataset.status = value;
    status.className = `status status-${value}`;
    pause.disabled = value !== 'active';
    resume.disabled = value === 'active';
  };
  sync(campaign.status);
  const run = (operation) => async () => {
    pause.disabled = resume.disabled = true;
    outcome.textContent = `${operation === 'pause' ? 'Pausing' : 'Resuming'}…`;
    outcome.className = 'outcome';
    try {
      const result = await api(`/v1/ops/campaigns/${encodeURIComponent(campaign.id)}/${operation}`, { method: 'POST', ...(operation === 'resume' && { body: {} }) });
      sync(result.status);
      outcome.textContent = describeOutcome(operation, result);
      outcome.className = 'outcome ok';
    } catch (err) {
      if (err.name === 'TokenRejectedError' || err.name === 'ApiUnreachableError') return context.handleError(err);
      outcome.textContent = `${operation === 'pause' ? 'Pause' : 'Resume'} failed: ${err.message}`;
      outcome.className = 'outcome failed';
      sync(status.dataset.status);
    }
  };
  pause.addEventListener('click', run('pause'));
  resume.addEventListener('click', run('resume'));
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Campaign actions' }, pause, resume,
    h('span', { class: 'help' }, 'Pause holds every journey before its next message and admits no new entries; resume lets them go on.'));
}

function describeOutcome(operation, result) {
  if (result.outcome === 'unchanged') return `Already ${result.status}; nothing changed.`;
  if (operation === 'pause') {
    const journeys = result.journeys ? ` ${result.journeys.running} journeys running will hold before their next message.` : '';
    return `Paused: no new entries.${journeys}`;
  }
  return `Resumed: entries again; held journeys are signalled to go on (batch ${result.jobId ?? 'none'}).`;
}

function emptyNotice(campaign, range) {
  const entry = campaign.definition?.entry;
  const trigger = entry?.event ? `an event “${entry.event}”` : 'the events its entry rule names';
  return h('section', { class: 'panel empty-campaign', id: 'empty', 'aria-labelledby': 'empty-title' },
    h('h2', { id: 'empty-title' }, 'Nothing yet'),
    h('p', {}, `No journey of this campaign entered, and no message was sent, between ${formatDay(range.from)} and ${formatDay(range.to)}.`),
    h('p', {}, `Figures arrive as apps send ${trigger} to the API (POST /v1/track, with a source’s write key) for users its rules admit: `,
      'each entry, send, open, click and conversion is counted as it is written. Widen the range, or pick another version below, to see earlier data.'));
}

/** The Web UI's list of the journeys running at each step (BeckonStep), by the same visibility query ops use. */
function journeysSection(campaign, steps, settings) {
  const query = (step) => `WorkflowType = 'journeyWorkflow' AND BeckonCampaign = '${campaign.id}' AND ExecutionStatus = 'Running' AND BeckonStep = '${step}'`;
  const link = (q, label) =>
    settings.temporalUiUrl
      ? h('a', { href: `${settings.temporalUiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows?query=${encodeURIComponent(q)}`, target: '_blank', rel: 'noopener noreferrer', class: 'temporal-link' }, label)
      : h('code', { class: 'query' }, q);
  const rows = steps.map((step) => [h('th', { scope: 'row' }, step.id, h('div', { class: 'sub' }, step.type.replaceAll('_', ' '))), h('td', {}, link(query(step.id), `journeys at ${step.id} in the Temporal Web UI`))]);
  const hint = settings.temporalUiUrl
    ? h('p', { class: 'help' }, `Each link opens the Temporal Web UI (${settings.temporalUiUrl}) on the running journeys whose current step it is.`)
    : h('p', { class: 'help' }, 'Set TEMPORAL_UI_URL to link the Temporal Web UI; meanwhile paste a query there or run `temporal workflow list --query "<query>"`.');
  return section('journeys', 'Journeys in Temporal, by step', hint, table(null, ['Step', 'Running journeys waiting there'], rows));
}

function versionsSection(campaign, context, selected) {
  const select = h('select', { id: 'version', name: 'version' },
    h('option', { value: '' }, 'all versions'),
    (campaign.versions ?? []).map((v) => h('option', { value: String(v.version), selected: selected === v.version }, `version ${v.version}`)));
  select.addEventListener('change', () => {
    location.hash = context.hrefFor(campaign.id, context.range, { version: select.value ? Number(select.value) : undefined });
  });
  const rows = (campaign.versions ?? []).map((v) => [
    h('th', { scope: 'row' }, `${v.version}${v.version === campaign.version ? ' (current)' : ''}`),
    formatDateTime(v.createdAt),
    v.source,
    h('code', {}, v.checksum.slice(0, 12)),
    h('a', { href: context.hrefFor(campaign.id, context.range, { version: v.version }) }, `figures of version ${v.version}`),
  ]);
  return section('versions', 'Versions',
    h('p', {}, h('label', { for: 'version' }, 'Figures of '), select),
    table(null, ['Version', 'published', 'source', 'checksum', ''], rows),
    h('p', { class: 'help' }, 'An edit publishes a new version; running journeys finish on the version they started with.'));
}
