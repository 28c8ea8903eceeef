// The Statistics view's charts: SVG images the server draws in the
// agent's language (GET /api/v1/stats/charts/{name}.svg with the report's
// query), each in a <figure> with a caption, a description for screen
// readers and a download link. Their numbers are in the view's tables;
// the heat map's and the series' in tables of their own, folded.
import { t } from '../i18n.js';
import { h } from './dom.js';
import { num, periodText, weekdays } from './stats-format.js';
import { series } from './stats-tables.js';

export const CHARTS = ['conversations', 'times', 'agents', 'presence', 'ratings', 'heatmap'];

// Where each chart's numbers are, for those who cannot see it.
const FIGURES = { conversations: 'stats.seriesTable', times: 'stats.seriesTable', agents: 'stats.agents', presence: 'stats.agents', ratings: 'stats.ratings' };

export const chartURL = (name, qs) => '/api/v1/stats/charts/' + name + '.svg' + qs;

function figure(name, r, qs) {
  const url = chartURL(name, qs);
  const title = t('stats.chart.' + name);
  const failed = h('p', { class: 'hint stats-chart-failed', role: 'status', hidden: true }, t('stats.chartFailed'));
  const img = h('img', { src: url, alt: t('stats.alt.' + name, { period: periodText(r.from, r.to), per: t('stats.per.' + (r.group || 'day')) }),
    testid: 'stats-chart-' + name, class: 'stats-chart', decoding: 'async',
    onError: () => { img.hidden = true; failed.hidden = false; } });
  return h('figure', { class: 'stats-figure', 'data-chart': name },
    img, failed,
    h('figcaption', null,
      h('span', { class: 'stats-figtitle' }, title),
      FIGURES[name] ? h('span', { class: 'hint' }, t('stats.figuresIn', { table: t(FIGURES[name]) })) : null,
      h('a', { href: url, download: 'switchboard-' + name + '-' + r.from + '-' + r.to + '.svg', class: 'stats-download',
        testid: 'stats-svg-' + name, 'aria-label': t('stats.downloadSvgOf', { title }) }, t('stats.downloadSvg'))),
    name === 'heatmap' ? heatmapTable(r) : null);
}

// heatmapTable is the load by weekday and hour, folded under the chart.
function heatmapTable(r) {
  const grid = (r.load && r.load.hourOfWeek) || [];
  const top = Math.max(0, ...grid.flat());
  const level = (n) => (n && top ? Math.min(4, Math.ceil((n / top) * 4)) : 0);
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'));
  const days = weekdays();
  return h('details', { class: 'stats-details', testid: 'stats-heatmap-table' },
    h('summary', null, t('stats.showTable')),
    h('div', { class: 'stats-scroll' },
      h('table', { class: 'stats-table stats-heatmap' },
        h('caption', { class: 'visually-hidden' }, t('stats.chart.heatmap')),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('stats.dayHour')),
          hours.map((hh) => h('th', { scope: 'col', class: 'num' }, hh)))),
        h('tbody', null, days.map((d, i) => h('tr', null, h('th', { scope: 'row' }, d),
          hours.map((_, hr) => {
            const n = (grid[i] && grid[i][hr]) || 0;
            return h('td', { class: ['num', 'hm-' + level(n)] }, num(n));
          })))))));
}

// charts is the section of figures; with no conversations, only the
// agents' presence (still worth seeing) is drawn.
export function charts(r, qs, empty) {
  const names = empty ? ['presence'] : CHARTS;
  const id = 'stats-charts-title';
  return h('section', { class: 'stats-block stats-charts', testid: 'stats-charts', 'aria-labelledby': id },
    h('h3', { id }, t('stats.charts')),
    h('div', { class: 'stats-figures' }, names.map((n) => figure(n, r, qs))),
    empty ? null : series(r));
}
