// The campaign list: each campaign's status and version (the ops API) beside its figures for the range (the stats API),
// then the whole programme against the global control group (the programme stats API).
import { api, programmePath, statsPath } from './console-api.js';
import { h, table } from './console-dom.js';
import { figure, formatDay } from './console-format.js';
import { programmeOverviewSection } from './console-stats-sections.js';

/** The columns one can sort by, with how to read each row's value. */
const COLUMNS = [
  { key: 'name', label: 'Campaign', value: (row) => row.campaign.name.toLowerCase() },
  { key: 'status', label: 'Status', value: (row) => row.campaign.status },
  { key: 'version', label: 'Version', value: (row) => row.campaign.version },
  { key: 'entered', label: 'Entered', value: (row) => row.stats?.funnel.entered ?? -1 },
  { key: 'sent', label: 'Sent', value: (row) => row.stats?.funnel.sent ?? -1 },
  { key: 'conversion', label: 'Conversion rate', value: (row) => row.stats?.funnel.rates.conversion ?? -1 },
  { key: 'experiment', label: 'Experiment', value: (row) => experimentRank(row.stats) },
];

const sort = { key: 'name', descending: false };

/** Arms whose difference to the control is significant (the stats API's anytime-valid flag). */
export function significantArms(experiment) {
  return (experiment?.arms ?? []).filter((arm) => arm.vsControl?.significant === true);
}

function experimentRank(stats) {
  if (!stats?.experiment) return 0;
  return significantArms(stats.experiment).length > 0 ? 3 : stats.experiment.arms.some((arm) => arm.vsControl?.significant === false) ? 2 : 1;
}

/** The experiment's state in words: significant (which arm, better or worse), not yet, not enough data, or none. */
export function experimentSummary(experiment) {
  if (!experiment) return { text: 'no experiment', state: 'none' };
  const significant = significantArms(experiment);
  if (significant.length > 0) {
    const arms = significant.map((arm) => `${arm.variant} ${arm.vsControl.verdict === 'worse' ? 'worse' : 'better'}`).join(', ');
    return { text: `significant: ${arms} than ${experiment.control}`, state: 'significant' };
  }
  if (experiment.arms.some((arm) => arm.vsControl?.significant === false)) return { text: 'no significant difference yet', state: 'not_significant' };
  return { text: `not enough data (under ${experiment.minSamples} per arm)`, state: 'not_enough_data' };
}

/** At most `limit` calls at once: a long list should not queue dozens of requests on the API. */
async function mapLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

/** An error that ends the view (back to the login, or the unreachable API's retry), not just one call's figures. */
const endsView = (err) => err?.name === 'TokenRejectedError' || err?.name === 'ApiUnreachableError';

export async function renderCampaignList(view, context) {
  const { range } = context;
  const programme = api(programmePath(range)).then(
    (answer) => ({ answer }),
    (err) => ({ error: err }),
  );
  const { campaigns } = await api('/v1/ops/campaigns');
  const rows = await mapLimited(campaigns, 4, async (campaign) => {
    const path = statsPath(campaign.id, range, 'variant');
    try {
      return { campaign, path, stats: await api(path) };
    } catch (err) {
      if (endsView(err)) throw err;
      return { campaign, path, error: err.message };
    }
  });
  const overview = await programme;
  if (endsView(overview.error)) throw overview.error;
  if (context.stale()) return;

  const heading = h('h1', {}, 'Campaigns');
  const period = h('p', { class: 'period' }, `Figures for ${formatDay(range.from)} to ${formatDay(range.to)} (UTC), all versions.`);
  if (campaigns.length === 0) {
    view.append(heading, h('p', { class: 'empty' }, 'No campaigns yet. Put a definition in campaigns/ (it is published at start) or publish one with `beckon campaigns publish <file>`.'));
    return;
  }
  const holder = h('div', {});
  const draw = () => holder.replaceChildren(listTable(rows, context, draw));
  draw();
  view.append(heading, period, holder, programmeOverviewSection(overview, programmePath(range)));
}

function listTable(rows, context, redraw) {
  const column = COLUMNS.find((c) => c.key === sort.key);
  const sorted = [...rows].sort((a, b) => {
    const [x, y] = [column.value(a), column.value(b)];
    const order = x < y ? -1 : x > y ? 1 : 0;
    return sort.descending ? -order : order;
  });
  const headers = COLUMNS.map((c) => {
    const active = c.key === sort.key;
    const button = h(
      'button',
      {
        type: 'button',
        class: 'sort',
        onclick: () => {
          sort.descending = active ? !sort.descending : false;
          sort.key = c.key;
          redraw();
          document.querySelector(`button[data-sort="${c.key}"]`)?.focus();
        },
        dataset: { sort: c.key },
      },
      c.label,
      h('span', { 'aria-hidden': 'true', class: 'arrow' }, active ? (sort.descending ? ' ▼' : ' ▲') : ''),
    );
    return h('th', { scope: 'col', 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none' }, button);
  });
  const body = sorted.map((row) => listRow(row, context));
  return table('Campaigns, sortable by any column', headers, body, { id: 'campaign-list', class: 'list' });
}

function listRow(row, context) {
  const { campaign, stats } = row;
  const name = h('th', { scope: 'row' }, h('a', { href: context.hrefFor(campaign.id, context.range) }, campaign.name), h('div', { class: 'sub' }, campaign.id));
  const status = h('td', {}, h('span', { class: `status status-${campaign.status}`, dataset: { status: campaign.status } }, campaign.status));
  const version = h('td', { class: 'num' }, String(campaign.version));
  if (!stats) return [name, status, version, h('td', { colspan: '4', class: 'error' }, `figures unavailable: ${row.error}`)];
  const summary = experimentSummary(stats.experiment);
  const cell = (kind, value, path) => {
    const td = h('td', { class: 'num' });
    td.append(figure('span', kind, value, path));
    return td;
  };
  const tr = [
    name,
    status,
    version,
    cell('count', stats.funnel.entered, ['funnel', 'entered']),
    cell('count', stats.funnel.sent, ['funnel', 'sent']),
    cell('percent', stats.funnel.rates.conversion, ['funnel', 'rates', 'conversion']),
    h('td', { dataset: { experiment: summary.state, significantArms: significantArms(stats.experiment).map((arm) => arm.variant).join(',') } },
      h('span', { class: `experiment experiment-${summary.state}` }, summary.text)),
  ];
  // Each row names the stats answer its figures come from.
  return { cells: tr, attributes: { dataset: { stats: row.path, campaign: campaign.id } } };
}
