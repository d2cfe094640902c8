// Consumer groups: the list with state, type (classic or KIP-848 consumer) and total lag.
import { useState } from 'preact/hooks';
import { api, usePoll } from './api.js';
import { fmtNum, href, html } from './lib.js';
import { ErrorBox, Loading, StateBadge } from './ui.js';

export function Groups() {
  const [search, setSearch] = useState('');
  const { data: groups, error } = usePoll(() => api('/api/groups'), [], 3000);
  const needle = search.trim().toLowerCase();
  const shown = (groups ?? []).filter((g) => g.groupId.toLowerCase().includes(needle)).sort((a, b) => a.groupId.localeCompare(b.groupId));
  return html`
    <h1>Consumer groups</h1>
    <div class="toolbar">
      <input type="search" placeholder="Search groups" aria-label="Search groups" value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} />
    </div>
    <${ErrorBox} error=${error} what="Groups" />
    ${!groups && !error ? html`<${Loading} />` : ''}
    ${groups ? html`<table class="grid">
      <thead><tr><th>group</th><th>state</th><th>type</th><th>protocol</th><th class="num">members</th><th class="num">coordinator</th><th class="num">total lag</th></tr></thead>
      <tbody>
        ${shown.map((g) => html`<tr key=${g.groupId}>
          <td><a href=${href('groups', g.groupId)}>${g.groupId}</a></td>
          <td><${StateBadge} state=${g.state} /></td>
          <td>${g.type ?? 'classic'}</td>
          <td>${g.protocolType}${g.protocol ? ` / ${g.protocol}` : ''}</td>
          <td class="num">${g.members}</td><td class="num">${g.coordinator}</td>
          <td class=${`num ${g.totalLag > 0 ? 'warn-text' : ''}`}>${fmtNum(g.totalLag)}</td>
        </tr>`)}
        ${shown.length === 0 ? html`<tr><td colspan="7" class="muted">${groups.length ? 'No group matches.' : 'No consumer groups yet.'}</td></tr>` : ''}
      </tbody>
    </table>` : ''}`;
}
