// The Statistics view's figures as text and tables: the summary tiles,
// the times, the ratings, the per-agent table and the series. They are
// also what the charts show, for those who cannot read a chart.
import { t } from '../i18n.js';
import { h } from './dom.js';
import { DASH } from './format.js';
import { num, pct, avg, secs, bucketText } from './stats-format.js';

const CHANNELS = ['livechat', 'telegram', 'email'];
export const TIMES = ['waitingForAnswer', 'timeToAccept', 'firstReaction', 'chatBot', 'response', 'duration'];

// timeLabel names a timing as the conversation table's columns do; the
// response row summarises each conversation's average response time.
export const timeLabel = (k) => (k === 'response' ? t('col.responseAverage') : t('col.' + k));

let ids = 0;
const newId = () => 'stats-h' + (++ids);

// block is a titled part of the report: a heading and what it holds.
export function block(title, testid, ...content) {
  const id = newId();
  return h('section', { class: 'stats-block', 'aria-labelledby': id, testid },
    h('h3', { id }, title), ...content);
}

// table builds a table: heads are the column names (the first one names
// the rows' headers), rows are [header, ...cells]; cells are text or nodes.
export function table(testid, label, heads, rows, rowProps) {
  return h('div', { class: 'stats-scroll' },
    h('table', { class: 'stats-table', testid },
      h('caption', { class: 'visually-hidden' }, label),
      h('thead', null, h('tr', null, heads.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
      h('tbody', null, rows.map(([head, ...cells], i) => h('tr', rowProps ? rowProps(i) : null,
        h('th', { scope: 'row' }, head), cells.map((c) => h('td', { class: 'num' }, c)))))));
}

function tile(key, label, value, sub) {
  return h('div', { class: 'stats-tile', testid: 'stats-tile-' + key },
    h('dt', null, label), h('dd', null, h('span', { class: 'stats-value' }, value), sub ? h('span', { class: 'stats-sub' }, sub) : null));
}

// summary shows the conversations' counts, the longest wait and the
// counts by channel; a sentence instead when there were none.
export function summary(r) {
  const c = r.conversations;
  if (!c.new) {
    return block(t('stats.summary'), 'stats-summary', h('p', { class: 'stats-empty', testid: 'stats-empty' }, t('stats.empty')));
  }
  const lw = r.load && r.load.longestWait;
  return block(t('stats.summary'), 'stats-summary',
    h('dl', { class: 'stats-tiles' },
      tile('new', t('stats.new'), num(c.new)),
      tile('incoming', t('stats.incoming'), num(c.incoming)),
      tile('outgoing', t('stats.outgoing'), num(c.outgoing)),
      tile('answered', t('stats.answered'), num(c.answered)),
      tile('missed', t('stats.missed'), num(c.missed), c.missedRate === null || c.missedRate === undefined ? null : t('stats.missedRate', { rate: pct(c.missedRate) })),
      tile('closedByAgent', t('stats.closedByAgent'), num(c.closedByAgent)),
      tile('closedByTimeout', t('stats.closedByTimeout'), num(c.closedByTimeout)),
      tile('spam', t('stats.spam'), num(c.spam)),
      tile('stillOpen', t('stats.stillOpen'), num(c.stillOpen)),
      tile('longestWait', t('stats.longestWait'), lw ? secs(lw.seconds) : DASH,
        lw ? h('a', { href: '#/c/' + encodeURIComponent(lw.conversationId), testid: 'stats-longest' }, t('conv.number', { n: lw.number })) : null)),
    h('h4', null, t('stats.byChannel')),
    h('dl', { class: 'stats-tiles small', testid: 'stats-channels' },
      CHANNELS.map((ch) => tile('channel-' + ch, t('channel.' + ch), num(c.byChannel ? c.byChannel[ch] : 0)))));
}

// times: each timing's count, average, median, 90th percentile, maximum.
export function times(r) {
  const heads = [t('stats.timing'), t('stats.count'), t('stats.average'), t('stats.median'), t('stats.p90'), t('stats.max')];
  const rows = TIMES.map((k) => {
    const s = r.times[k] || {};
    return [timeLabel(k), num(s.count || 0), secs(s.average), secs(s.median), secs(s.p90), secs(s.max)];
  });
  return block(t('colgroup.timings'), null, table('stats-times', t('colgroup.timings'), heads, rows));
}

function ratingRow(label, s) {
  const d = (s && s.distribution) || [0, 0, 0, 0, 0];
  return [label, ...d.map(num), num(s ? s.count : 0), avg(s ? s.average : null)];
}

// ratings: the clients' and the supervisors' ratings 1–5.
export function ratings(r) {
  const heads = [t('stats.rating.who'), ...[1, 2, 3, 4, 5].map((n) => t('tbl.rating', { n })), t('stats.rated'), t('stats.average')];
  return block(t('stats.ratings'), null, table('stats-ratings', t('stats.ratings'), heads, [
    ratingRow(t('stats.rating.client'), r.ratings.client),
    ratingRow(t('stats.rating.supervisor'), r.ratings.supervisor),
  ]));
}

// ratingText is an average and how many rated: "4,5 (12)".
const ratingText = (s) => (s && s.count ? avg(s.average) + ' (' + num(s.count) + ')' : DASH);

// agents: one row an agent, with their time in each presence.
export function agents(r) {
  const list = r.agents || [];
  const heads = [t('col.agent'), t('stats.handled'), t('stats.answered'), t('stats.missed'), t('stats.firstReactionAvg'),
    t('stats.clientRatingAvg'), t('stats.timeOnline'), t('stats.timeInvisible'), t('stats.timeOffline')];
  const rows = list.map((a) => [a.name || t('stats.deletedAgent'), num(a.handled), num(a.answered), num(a.missed),
    secs(a.firstReactionAverage), ratingText(a.clientRating),
    secs(a.presence ? a.presence.online : 0), secs(a.presence ? a.presence.invisible : 0), secs(a.presence ? a.presence.offline : 0)]);
  return block(t('stats.agents'), null,
    list.length ? table('stats-agents', t('stats.agents'), heads, rows, (i) => ({ testid: 'stats-agent-row', 'data-agent-id': list[i].agentId }))
      : h('p', { class: 'hint', testid: 'stats-agents' }, t('stats.noAgents')));
}

// series: the figures of each day, week or month, as the conversations
// and times charts draw them.
export function series(r) {
  const heads = [t('stats.periodStart'), t('stats.new'), t('stats.answered'), t('stats.missed'),
    ...TIMES.map((k) => (k === 'response' ? timeLabel(k) : t('stats.avgOf', { what: timeLabel(k) }))), t('stats.clientRatingAvg')];
  const rows = (r.series || []).map((b) => {
    const c = b.conversations || {};
    const a = b.averages || {};
    return [bucketText(b.start, r.group), num(c.new), num(c.answered), num(c.missed), ...TIMES.map((k) => secs(a[k])), ratingText(b.clientRating)];
  });
  return h('details', { class: 'stats-details', testid: 'stats-series' },
    h('summary', null, t('stats.seriesTable')),
    table('stats-series-table', t('stats.seriesTable'), heads, rows));
}
