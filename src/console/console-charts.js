// Daily series as uPlot line charts, each with its figures in a table beside it for screen readers and for checking.
import uPlot from '/console/vendor/uplot.js';
import { h, table } from './console-dom.js';
import { FORMATS, figure, formatDay } from './console-format.js';

const DAY_MS = 86_400_000;
const COLOURS = { sent: '#2563eb', opened: '#16a34a', clicked: '#d97706', converted: '#9333ea', entered: '#475569' };

/** Every UTC day of the range: the API lists only days with activity, the charts show the others as 0. */
export function daysOf(range) {
  const days = [];
  for (let t = Date.parse(`${range.from}T00:00:00Z`); t <= Date.parse(`${range.to}T00:00:00Z`); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

const charts = new Set();
let resizeWired = false;

function chartWidth(holder) {
  return Math.max(280, Math.min(holder.clientWidth || 600, 1200));
}

/**
 * One chart of `metrics` per day, from the `groupBy=day` answer. Its table lists the same figures, a
 * day without a group (no activity) as 0, marked as absent from the answer.
 */
export function dailyChart(title, metrics, dayStats, range) {
  const days = daysOf(range);
  const groups = new Map(dayStats.groups.map((group) => [group.key, group.funnel]));
  const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
  const series = metrics.map((metric) => days.map((day) => groups.get(day)?.[metric] ?? 0));
  const totals = metrics.map((metric, i) => `${metric} ${FORMATS.count(series[i].reduce((a, b) => a + b, 0))}`).join(', ');
  const holder = h('div', { class: 'chart', role: 'img', 'aria-label': `${title}, per day from ${range.from} to ${range.to}: ${totals}` });
  const rows = days.map((day) => ({
    cells: [formatDay(day), ...metrics.map((metric) => {
      const cell = h('td', { class: 'num' });
      cell.append(figure('span', 'count', groups.get(day)?.[metric] ?? 0, ['groups', { key: day }, 'funnel', metric], { absent: !groups.has(day) }));
      return cell;
    })],
  }));
  const figures = h('details', { class: 'chart-figures' }, h('summary', {}, `The figures of “${title}”`), table(null, ['Day (UTC)', ...metrics], rows));
  const figureBox = h('figure', { class: 'chart-box' }, h('figcaption', {}, title), holder, figures);
  // uPlot measures its container, so it is drawn once the figure is in the document.
  requestAnimationFrame(() => {
    if (!holder.isConnected) return;
    const plot = new uPlot(
      {
        width: chartWidth(holder),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((tick) => FORMATS.count(tick)), size: 60 }],
        series: [{ label: 'day', value: (_u, ts) => (ts === null ? '' : formatDay(new Date(ts * 1000).toISOString().slice(0, 10))) },
          ...metrics.map((metric) => ({ label: metric, stroke: COLOURS[metric], width: 2, points: { show: days.length <= 62 }, value: (_u, v) => (v === null ? '' : FORMATS.count(v)) }))],
        legend: { live: true },
      },
      [xs, ...series],
      holder,
    );
    charts.add({ plot, holder });
    if (!resizeWired) {
      resizeWired = true;
      window.addEventListener('resize', () => {
        for (const chart of charts) {
          if (!chart.holder.isConnected) {
            chart.plot.destroy();
            charts.delete(chart);
          } else chart.plot.setSize({ width: chartWidth(chart.holder), height: 220 });
        }
      });
    }
  });
  return figureBox;
}
