// The Settings tab: #/settings/lines[/new|/ID], #/settings/agents[/new|/ID],
// #/settings/groups, #/settings/profile. Admins edit; supervisors read
// (the server refuses their writes anyway); agents see only their profile.
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { LinesPage } from './settings-lines.js';
import { AgentsPage } from './settings-agents.js';
import { GroupsPage } from './settings-groups.js';
import { ProfilePage } from './settings-profile.js';

export class Settings {
  // opts: me (agent), toast(text)
  constructor({ me, toast }) {
    const staff = me.role === 'admin' || me.role === 'supervisor';
    const canEdit = me.role === 'admin';
    const go = (hash) => { location.hash = hash; };
    this.pages = { profile: new ProfilePage({ me, toast }) };
    if (staff) {
      this.pages.lines = new LinesPage({ canEdit, toast, go });
      this.pages.agents = new AgentsPage({ me, canEdit, toast, go });
      this.pages.groups = new GroupsPage({ canEdit, toast });
    }
    this.order = ['lines', 'agents', 'groups', 'profile'].filter((p) => this.pages[p]);
    this.links = Object.fromEntries(this.order.map((p) => [p,
      h('a', { href: '#/settings/' + p, class: 'set-nav-link', testid: 'settings-nav-' + p }, t('set.' + p))]));
    this.body = h('div', { class: 'set-body' });
    this.el = h('div', { class: 'settings', testid: 'settings' },
      h('nav', { class: 'set-nav', 'aria-label': t('tab.settings') },
        h('h2', { class: 'visually-hidden' }, t('tab.settings')),
        h('ul', null, this.order.map((p) => h('li', null, this.links[p])))),
      h('div', { class: 'set-main' },
        staff && !canEdit ? h('p', { class: 'set-readonly', role: 'note' }, t('set.readOnly')) : null,
        this.body));
  }

  // show renders the page a #/settings/… hash names.
  show(hash) {
    const [, page, sub] = hash.replace(/^#\/settings\/?/, '/').split('/');
    const name = this.pages[page] ? page : this.order[0];
    for (const [p, a] of Object.entries(this.links)) {
      if (p === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const pg = this.pages[name];
    replace(this.body, pg.el);
    pg.show(sub || '');
  }
}
