// The conversation table's downloads: "Export CSV" and "Export Excel",
// links to GET /api/v1/conversations.csv|.xlsx with the table's applied
// filters and sort (the query of GET /api/v1/conversations, without the
// paging) and the browser's time zone. The server writes the columns the
// agent chose; <a download> lets the browser fetch with the session cookie.
import { query } from '../api.js';
import { t } from '../i18n.js';
import { h } from './dom.js';
import { timeZone } from './stats-format.js';

// exportURL is the download of the filtered list as kind (csv or xlsx);
// filters are the table's applied ones (ConversationTable.filters: no
// limit or offset, those are added for the list's page only).
export function exportURL(kind, filters, sort) {
  return '/api/v1/conversations.' + kind + query({ ...filters, sort, tz: timeZone() });
}

export class ExportLinks {
  constructor() {
    const link = (kind) => h('a', { class: 'button', href: exportURL(kind, {}, '-number'), download: '',
      testid: 'export-' + kind, title: t('export.title') }, t('export.' + kind));
    this.csv = link('csv');
    this.xlsx = link('xlsx');
    this.el = h('div', { class: 'table-export', role: 'group', 'aria-label': t('export.title') }, this.csv, this.xlsx);
  }

  // update points the links at the list as it is filtered and sorted now.
  update(filters, sort) {
    this.csv.href = exportURL('csv', filters, sort);
    this.xlsx.href = exportURL('xlsx', filters, sort);
  }
}
