// The parts of a campaign's page drawn from the stats API: totals, funnels, the experiment, skips and failures, engagement times.
import { h, section, table } from './console-dom.js';
import { figure, formatDateTime, formatSeconds } from './console-format.js';

const SKIP_REASONS = { no_consent: 'no consent', capped: 'frequency cap', quiet_hours: 'quiet hours', no_address: 'no address', no_profile: 'no profile' };
const reasonLabel = (reason) => SKIP_REASONS[reason] ?? reason.replaceAll('_', ' ');

const num = (kind, value, path, extra) => {
  const cell = h('td', { class: 'num' });
  cell.append(figure('span', kind, value, path, extra));
  return cell;
};

/** The section's figures come from this answer of the stats API (the test reads it back). */
const from = (element, statsPath) => {
  element.dataset.stats = statsPath;
  return element;
};

/** The range's totals as tiles: counts, then rates. */
export function totalsSection(stats, statsPath) {
  const tile = (label, kind, value, path, hint) =>
    h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), figure('div', kind, value, path, { className: 'tile-value' }), hint ? h('div', { class: 'tile-hint' }, hint) : null);
  const f = stats.funnel;
  const tiles = h(
    'div',
    { class: 'tiles' },
    tile('Entered', 'count', f.entered, ['funnel', 'entered'], 'journeys started'),
    tile('Sent', 'count', f.sent, ['funnel', 'sent']),
    tile('Delivered', 'count', f.delivered, ['funnel', 'delivered'], 'accepted by the channel'),
    tile('Opened', 'count', f.opened, ['funnel', 'opened']),
    tile('Clicked', 'count', f.clicked, ['funnel', 'clicked']),
    tile('Converted', 'count', f.converted, ['funnel', 'converted'], 'goal reached in its window'),
    tile('Conversion rate', 'percent', f.rates.conversion, ['funnel', 'rates', 'conversion'], 'converted / entered'),
    tile('Open rate', 'percent', f.rates.open, ['funnel', 'rates', 'open'], 'opened / delivered'),
    tile('Click-through rate', 'percent', f.rates.clickThrough, ['funnel', 'rates', 'clickThrough'], 'clicked / delivered'),
    tile('Unsubscribe rate', 'percent', f.rates.unsubscribe, ['funnel', 'rates', 'unsubscribe'], 'unsubscribed / delivered'),
  );
  return from(section('totals', 'Totals', tiles), statsPath);
}

const FUNNEL = ['entered', 'sent', 'opened', 'clicked', 'converted'];

/** A funnel row with a bar per stage, as wide as its share of the row's first non-zero stage. */
function funnelCells(funnel, path, skip = []) {
  const top = Math.max(1, ...FUNNEL.filter((stage) => !skip.includes(stage)).map((stage) => funnel[stage]));
  return FUNNEL.map((stage) => {
    if (skip.includes(stage)) return h('td', { class: 'num muted' }, '');
    const cell = num('count', funnel[stage], [...path, 'funnel', stage]);
    const bar = h('span', { class: `bar bar-${stage}`, 'aria-hidden': 'true' });
    bar.style.width = `${Math.round((funnel[stage] / top) * 100)}%`;
    cell.append(bar);
    return cell;
  });
}

/**
 * The funnel by step: the journey row ("" in the API) holds entries and conversions, each message
 * step its sends, opens, clicks and the conversions credited to it (last touch).
 */
export function stepFunnelSection(stepStats, statsPath, steps) {
  const rows = orderedGroups(stepStats.groups, steps).map(({ key, funnel }) => ({
    cells: [key === '' ? h('th', { scope: 'row' }, 'whole journey', h('div', { class: 'sub' }, 'entries, conversions')) : stepLabel(key, steps), ...funnelCells(funnel, ['groups', { key }], key === '' ? [] : ['entered'])],
  }));
  const note = h('p', { class: 'help' }, 'A step’s “converted” counts the conversions credited to it: the last message before the goal (last touch).');
  return from(section('funnel-steps', 'Funnel by step', table(null, ['Step', ...FUNNEL], rows), note), statsPath);
}

/** The funnel of each arm: the variants and the control (or holdout), with their conversion rates. */
export function variantFunnelSection(variantStats, statsPath, experiment) {
  const rows = variantStats.groups.map(({ key, funnel }) => ({
    cells: [
      h('th', { scope: 'row' }, key === '' ? 'no arm' : key, experiment?.control === key ? h('span', { class: 'badge' }, 'control') : null),
      ...funnelCells(funnel, ['groups', { key }]),
      num('percent', funnel.rates.conversion, ['groups', { key }, 'funnel', 'rates', 'conversion']),
    ],
  }));
  const body = rows.length ? table(null, ['Arm', ...FUNNEL, 'conversion rate'], rows) : h('p', { class: 'empty' }, 'No arm has entries in this range.');
  return from(section('funnel-variants', 'Funnel by variant and control', body), statsPath);
}

/**
 * The funnel of each step in each arm (the stats API grouped by `step,variant`): per arm, the journey's
 * entries and conversions, then each message step's sends, opens, clicks and the conversions credited to it.
 */
export function stepVariantFunnelSection(stepVariantStats, statsPath, steps, experiment) {
  const armOrder = new Map((experiment?.arms ?? []).map((arm, i) => [arm.variant, i]));
  const armRank = (variant) => armOrder.get(variant) ?? Number.MAX_SAFE_INTEGER;
  const groups = stepVariantStats.groups.map((group) => ({ ...group, step: group.keys?.step ?? '', variant: group.keys?.variant ?? '' }));
  const stepOrder = orderedGroups([...new Set(groups.map((g) => g.step))].map((key) => ({ key })), steps).map((g) => g.key);
  const ordered = [...groups].sort((a, b) => stepOrder.indexOf(a.step) - stepOrder.indexOf(b.step) || armRank(a.variant) - armRank(b.variant) || a.variant.localeCompare(b.variant));
  const rows = ordered.map(({ key, step, variant, funnel }, i) => {
    const firstOfStep = i === 0 || ordered[i - 1].step !== step;
    const stepCell = firstOfStep ? stepLabel(step, steps) : h('th', { scope: 'row', class: 'muted' }, h('span', { class: 'visually-hidden' }, step || 'whole journey'));
    const arm = h('td', {}, variant || 'no arm', experiment?.control === variant ? h('span', { class: 'badge' }, 'control') : null);
    return { cells: [stepCell, arm, ...funnelCells(funnel, ['groups', { key }], step === '' ? [] : ['entered'])], attributes: { dataset: { step, variant } } };
  });
  const body = rows.length ? table(null, ['Step', 'Arm', ...FUNNEL], rows, { id: 'funnel-step-variant-table' }) : h('p', { class: 'empty' }, 'No step has figures in this range.');
  const note = h('p', { class: 'help' }, 'The whole journey’s row of each arm holds its entries and conversions; a step’s row, the messages of that arm at that step and the conversions credited to them (last touch). The holdout gets no message.');
  return from(section('funnel-step-variant', 'Funnel by step and arm', body, note), statsPath);
}

/** A value with its 95% interval under it, in one cell. */
const withInterval = (kind, value, values, path, intervalPath) => {
  const cell = num(kind, value, path);
  const under = h('div', { class: 'interval' });
  if (values) under.append(figure('span', kind, values[0], [...intervalPath, 0]), ' to ', figure('span', kind, values[1], [...intervalPath, 1]));
  else under.append('–');
  cell.append(under);
  return cell;
};

const VERDICTS = { better: 'better than control', worse: 'worse than control', no_difference: 'no significant difference', not_enough_data: 'not enough data' };

/** The experiment table: per arm n, conversion with its interval, uplift with its interval, significance; then the winner rule. */
export function experimentSection(stats, statsPath) {
  const experiment = stats.experiment;
  if (!experiment) {
    return from(section('experiment', 'Experiment', h('p', { class: 'empty' }, 'This campaign has no experiment: no holdout and no variants. Add `holdout:` or message `variants:` to its definition to compare arms.')), statsPath);
  }
  const rows = experiment.arms.map((arm) => {
    const path = ['experiment', 'arms', { variant: arm.variant }];
    const vs = arm.vsControl;
    const vsPath = [...path, 'vsControl'];
    const verdict = vs ? h('td', { dataset: { verdict: vs.verdict } }, h('span', { class: `verdict verdict-${vs.verdict}` }, VERDICTS[vs.verdict] ?? vs.verdict)) : h('td', {}, h('span', { class: 'badge' }, 'control'));
    return {
      cells: [
        h('th', { scope: 'row' }, arm.variant),
        num('count', arm.entered, [...path, 'entered']),
        num('count', arm.converted, [...path, 'converted']),
        withInterval('percent', arm.rate, arm.rateInterval, [...path, 'rate'], [...path, 'rateInterval']),
        vs ? withInterval('uplift', vs.absoluteUplift, vs.absoluteInterval, [...vsPath, 'absoluteUplift'], [...vsPath, 'absoluteInterval']) : h('td', {}, ''),
        vs ? withInterval('uplift', vs.relativeUplift, vs.relativeInterval, [...vsPath, 'relativeUplift'], [...vsPath, 'relativeInterval']) : h('td', {}, ''),
        vs ? num('pvalue', vs.sequential.pValue, [...vsPath, 'sequential', 'pValue']) : h('td', {}, ''),
        verdict,
      ],
    };
  });
  const headers = ['Arm', 'n (entered)', 'converted', 'conversion (95% interval)', 'uplift, points (95%)', 'uplift, relative (95%)', 'p (anytime-valid)', 'result'];
  const method = h('p', { class: 'help' },
    `Each arm is compared with the control “${experiment.control}”. “Significant” is an anytime-valid test (a confidence sequence at 5%): `,
    'looking every day does not inflate false positives. Under ', figure('span', 'count', experiment.minSamples, ['experiment', 'minSamples']), ' entries per arm there is not enough data.');
  return from(section('experiment', 'Experiment', table(null, headers, rows, { id: 'experiment-table' }), method, winnerPart(experiment.winner)), statsPath);
}

/** The winner rule's state and, for an auto rule, the decision it recorded (when, why, the figures). */
function winnerPart(winner) {
  if (!winner) return h('p', { class: 'winner', dataset: { winner: 'none' } }, 'No winner rule: every arm keeps its share until the definition changes.');
  const rule = winner.rule;
  const when = rule.minSamples !== undefined ? `once every arm has ${rule.minSamples} entries` : `${rule.after} after the first entry`;
  const recorded = winner.decision;
  const state = recorded ? 'decided' : winner.ready ? 'ready' : 'waiting';
  const decision = recorded
    ? h('p', { id: 'winner-decision' }, `Decided ${formatDateTime(recorded.decidedAt)}: ${recorded.variant} wins; entrants since go down it (the control groups stay). `, recorded.reason)
    : h('p', {}, winner.winner
      ? `Decision: ${winner.winner} wins${rule.auto ? '; it is recorded at the next round of the periodic check' : ' (auto is off: the definition decides what happens next)'}. `
      : 'No decision yet. ', winner.reason);
  return h('div', { class: 'winner', dataset: { winner: recorded?.variant ?? winner.winner ?? '', ready: String(winner.ready), state } },
    h('h3', {}, 'Winner rule'),
    h('p', {}, `Rule: the best conversion rate, ${when}${rule.auto ? ', applied automatically' : ''}. State: ${state}.`),
    decision,
    recorded ? decisionFigures(recorded) : null);
}

/** The experiment table as it stood at the decision. */
function decisionFigures(recorded) {
  const rows = recorded.figures.arms.map((arm, i) => {
    const path = ['experiment', 'winner', 'decision', 'figures', 'arms', i];
    return {
      cells: [
        h('th', { scope: 'row' }, arm.variant, arm.variant === recorded.figures.control ? h('span', { class: 'badge' }, 'control') : null),
        num('count', arm.entered, [...path, 'entered']),
        num('count', arm.converted, [...path, 'converted']),
        num('percent', arm.rate, [...path, 'rate']),
        num('pvalue', arm.sequentialPValue, [...path, 'sequentialPValue']),
      ],
    };
  });
  return table('Figures at the decision', ['Arm', 'n (entered)', 'converted', 'conversion', 'p (anytime-valid)'], rows, { id: 'decision-table' });
}

/** Rows of the global control group against the treated entrants; `at` is where the uplift sits in the answer. */
function upliftRows(uplift, at) {
  return uplift.arms.map((arm) => {
    const path = [...at, 'arms', { variant: arm.variant }];
    const vs = arm.vsControl;
    const vsPath = [...path, 'vsControl'];
    return {
      cells: [
        h('th', { scope: 'row' }, arm.variant === 'treated' ? 'treated (every arm but the control groups)' : arm.variant, vs ? null : h('span', { class: 'badge' }, 'control')),
        num('count', arm.entered, [...path, 'entered']),
        num('count', arm.converted, [...path, 'converted']),
        withInterval('percent', arm.rate, arm.rateInterval, [...path, 'rate'], [...path, 'rateInterval']),
        vs ? withInterval('uplift', vs.absoluteUplift, vs.absoluteInterval, [...vsPath, 'absoluteUplift'], [...vsPath, 'absoluteInterval']) : h('td', {}, ''),
        vs ? num('pvalue', vs.sequential.pValue, [...vsPath, 'sequential', 'pValue']) : h('td', {}, ''),
        vs ? h('td', {}, h('span', { class: `verdict verdict-${vs.verdict}` }, VERDICTS[vs.verdict] ?? vs.verdict)) : h('td', {}, ''),
      ],
    };
  });
}

const UPLIFT_HEADERS = ['Group', 'n (entered)', 'converted', 'conversion (95% interval)', 'uplift, points (95%)', 'p (anytime-valid)', 'result'];

/** The programme's uplift: this campaign's treated entrants against the policy's global control group. */
export function programmeSection(stats, statsPath) {
  if (!stats.programme) return null;
  const note = h('p', { class: 'help' }, 'The global control group (policy.yaml `globalControl`) gets no campaign of the categories it covers; ',
    'its entrants are measured like a holdout. The uplift is what this campaign adds over sending nothing, by the same anytime-valid test.');
  return from(section('programme', 'Programme uplift (global control group)',
    table(null, UPLIFT_HEADERS, upliftRows(stats.programme, ['programme']), { id: 'programme-table' }), note), statsPath);
}

/**
 * The whole programme (GET /v1/ops/programme/stats): the group against every covered campaign, pooled, then each campaign's
 * uplift. `result` is the call's `{ answer }`, or `{ error }` when it failed.
 */
export function programmeOverviewSection(result, statsPath) {
  const title = 'Whole programme against the global control group';
  if (result.error) return section('programme-overview', title, h('p', { class: 'error' }, `figures unavailable: ${result.error.message}`));
  const answer = result.answer;
  const group = answer.globalControl;
  if (!answer.programme) {
    const why = group
      ? `No entrant of this range is in the global control group (${group.percent}% of users) yet.`
      : 'There is no global control group: set `globalControl: { percent: 5 }` in policy.yaml to hold a share of all users out of every campaign but transactional ones, and measure what the programme adds.';
    return from(section('programme-overview', title, h('p', { class: 'empty', dataset: { programme: group ? 'no_entrants' : 'none' } }, why)), statsPath);
  }
  const covers = group ? `${group.percent}% of users, covering ${group.categories ? group.categories.join(', ') : 'every category but transactional'}` : 'no longer in policy.yaml';
  const pooled = table(`All ${answer.campaigns.length} covered campaigns, pooled per entry`, UPLIFT_HEADERS, upliftRows(answer.programme, ['programme']), { id: 'programme-pooled-table' });
  const perCampaign = answer.campaigns.map((campaign, i) => {
    const at = ['campaigns', i, 'programme', 'arms'];
    const [control, treated] = campaign.programme.arms;
    return {
      cells: [
        h('th', { scope: 'row' }, campaign.name, h('div', { class: 'sub' }, `${campaign.id} (${campaign.category})`)),
        num('percent', control.rate, [...at, 0, 'rate']),
        num('count', control.entered, [...at, 0, 'entered']),
        num('percent', treated.rate, [...at, 1, 'rate']),
        num('count', treated.entered, [...at, 1, 'entered']),
        num('uplift', treated.vsControl.absoluteUplift, [...at, 1, 'vsControl', 'absoluteUplift']),
        h('td', {}, h('span', { class: `verdict verdict-${treated.vsControl.verdict}` }, VERDICTS[treated.vsControl.verdict] ?? treated.vsControl.verdict)),
      ],
      attributes: { dataset: { campaign: campaign.id } },
    };
  });
  const campaigns = table('Each covered campaign', ['Campaign', 'group conversion', 'group n', 'treated conversion', 'treated n', 'uplift, points', 'result'], perCampaign, { id: 'programme-campaigns-table' });
  const note = h('p', { class: 'help' }, `The global control group (${covers}) gets no campaign of the categories it covers and is measured like a holdout. `,
    'Pooled, each entry counts: a user who entered two campaigns counts twice. Same anytime-valid test as an experiment.');
  return from(section('programme-overview', title, pooled, campaigns, note), statsPath);
}

/** Skips by reason, failures and unknown outcomes, for each group (steps or channels). */
function skipTable(groupStats, label, labelOf) {
  const groups = groupStats.groups.filter(({ key, funnel }) => key !== '' || funnel.skipped + funnel.failed + funnel.unknown > 0);
  const reasons = [...new Set(groups.flatMap(({ funnel }) => Object.keys(funnel.skippedBy)))].sort();
  const rows = groups.map(({ key, funnel }) => ({
    cells: [
      labelOf(key),
      num('count', funnel.sent, ['groups', { key }, 'funnel', 'sent']),
      num('count', funnel.skipped, ['groups', { key }, 'funnel', 'skipped']),
      ...reasons.map((reason) => num('count', funnel.skippedBy[reason] ?? 0, ['groups', { key }, 'funnel', 'skippedBy', reason], { absent: !(reason in funnel.skippedBy) })),
      num('count', funnel.failed, ['groups', { key }, 'funnel', 'failed']),
      num('count', funnel.unknown, ['groups', { key }, 'funnel', 'unknown']),
    ],
  }));
  if (!rows.length) return h('p', { class: 'empty' }, `No messages by ${label} in this range.`);
  return table(`By ${label}`, [label, 'sent', 'skipped', ...reasons.map((reason) => `skipped: ${reasonLabel(reason)}`), 'failed', 'unknown'], rows);
}

export function skipSection(stepStats, stepPath, channelStats, channelPath, steps) {
  const byStep = from(h('div', {}, skipTable(stepStats, 'step', (key) => stepLabel(key, steps))), stepPath);
  const byChannel = from(h('div', {}, skipTable(channelStats, 'channel', (key) => h('th', { scope: 'row' }, key || 'none'))), channelPath);
  const note = h('p', { class: 'help' },
    'A skip is a send that policy stopped at send time (consent, the frequency cap, quiet hours, no address); it is not retried. ',
    'A failure is a send the channel refused after its retries; “unknown” a send interrupted mid-way, never sent twice.');
  return section('skips', 'Skips and failures', note, byStep, byChannel);
}

/** Per step: time from a message to its first open or click, and the engaged time of the session after it; median and 90th percentile. */
export function engagementSection(stepStats, statsPath, steps) {
  const groups = orderedGroups(stepStats.groups, steps).filter(({ key }) => key !== '');
  const rows = groups.map(({ key, funnel }) => ({
    cells: [
      stepLabel(key, steps),
      num('count', funnel.timeToEngage.count, ['groups', { key }, 'funnel', 'timeToEngage', 'count']),
      num('seconds', funnel.timeToEngage.medianSeconds, ['groups', { key }, 'funnel', 'timeToEngage', 'medianSeconds']),
      num('seconds', funnel.timeToEngage.p90Seconds, ['groups', { key }, 'funnel', 'timeToEngage', 'p90Seconds']),
      ...engagedTimeCells(funnel, key),
    ],
  }));
  const withEngagedTime = groups.some(({ funnel }) => funnel.engagedTime);
  const headers = ['Step', 'engaged messages', 'time to engage: median', 'p90', ...(withEngagedTime ? ['sessions', 'engaged time: median', 'p90'] : [])];
  const body = rows.length ? table(null, headers, rows, { id: 'engagement-table' }) : h('p', { class: 'empty' }, 'No message was opened or clicked in this range.');
  const note = h('p', { class: 'help' }, `Time to engage: from a message’s send to its first open or click (${formatSeconds(90)} reads as 1.5 minutes).`,
    withEngagedTime ? ' Engaged time: from that first event to the last of its session (events at most 30 minutes apart).' : '');
  return from(section('engagement', 'Engagement duration', body, note), statsPath);
}

/** The engaged time after a message, where the stats API gives it (`engagedTime: { medianSeconds, p90Seconds }`). */
function engagedTimeCells(funnel, key) {
  if (!funnel.engagedTime) return [];
  return [
    num('count', funnel.engagedTime.count, ['groups', { key }, 'funnel', 'engagedTime', 'count']),
    num('seconds', funnel.engagedTime.medianSeconds, ['groups', { key }, 'funnel', 'engagedTime', 'medianSeconds']),
    num('seconds', funnel.engagedTime.p90Seconds, ['groups', { key }, 'funnel', 'engagedTime', 'p90Seconds']),
  ];
}

/** Groups in the definition's step order; steps of older versions the API still counts come after. */
export function orderedGroups(groups, steps) {
  const order = new Map(steps.map((step, i) => [step.id, i]));
  return [...groups].sort((a, b) => rank(a.key, order) - rank(b.key, order) || a.key.localeCompare(b.key));
}

const rank = (key, order) => (key === '' ? -1 : order.get(key) ?? Number.MAX_SAFE_INTEGER);

function stepLabel(key, steps) {
  if (key === '') return h('th', { scope: 'row' }, 'whole journey', h('div', { class: 'sub' }, 'not tied to a step'));
  const step = steps.find((s) => s.id === key);
  return h('th', { scope: 'row' }, key, h('div', { class: 'sub' }, step ? step.type.replaceAll('_', ' ') : 'not in this version'));
}
