// A topic's configs: edit a value, return it to its default, or set one by
// name. The broker validates; its 400 message (with "did you mean") is shown.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './lib.js';
import { ErrorBox, useAction, useSession } from './ui.js';

export function Configs({ topic, configs, onChanged }) {
  const session = useSession();
  const [filter, setFilter] = useState('');
  const [onlySet, setOnlySet] = useState(false);
  const [editing, setEditing] = useState(null);
  const [draft, setDraft] = useState('');
  const [added, setAdded] = useState({ name: '', value: '' });
  const action = useAction();
  const alter = async (body) => {
    const ok = await action.run(() => api(`/api/topics/${encodeURIComponent(topic)}/configs`, { method: 'PATCH', body }));
    if (ok) { setEditing(null); onChanged(); }
    return ok;
  };
  const needle = filter.trim().toLowerCase();
  const shown = configs.filter((c) => c.name.includes(needle) && (!onlySet || !c.isDefault)).sort((a, b) => a.name.localeCompare(b.name));
  const writable = session.allowWrites && !action.busy;
  return html`
    <div class="toolbar">
      <input type="search" placeholder="Filter configs" aria-label="Filter configs" value=${filter} onInput=${(e) => setFilter(e.currentTarget.value)} />
      <label><input type="checkbox" checked=${onlySet} onChange=${(e) => setOnlySet(e.currentTarget.checked)} /> only overridden</label>
    </div>
    <form class="form inline" onSubmit=${async (e) => {
      e.preventDefault();
      if (await alter({ set: { [added.name.trim()]: added.value } })) setAdded({ name: '', value: '' });
    }}>
      <fieldset disabled=${!writable}>
        <input name="config-name" required placeholder="config name" aria-label="config name" list="config-names" value=${added.name} onInput=${(e) => setAdded({ ...added, name: e.currentTarget.value })} />
        <datalist id="config-names">${configs.map((c) => html`<option value=${c.name} />`)}</datalist>
        <input name="config-value" placeholder="value" aria-label="config value" value=${added.value} onInput=${(e) => setAdded({ ...added, value: e.currentTarget.value })} />
        <button type="submit">Set</button>
      </fieldset>
    </form>
    <${ErrorBox} error=${action.error} what="Config change refused" />
    <table class="grid configs">
      <thead><tr><th>name</th><th>value</th><th>source</th><th></th></tr></thead>
      <tbody>
        ${shown.map((c) => html`<tr key=${c.name} class=${c.isDefault ? 'default' : ''}>
          <td><code>${c.name}</code></td>
          <td>${editing === c.name
            ? html`<form class="inline" onSubmit=${(e) => { e.preventDefault(); alter({ set: { [c.name]: draft } }); }}>
                <input aria-label=${`value of ${c.name}`} value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)} autofocus />
                <button type="submit" class="primary" disabled=${!writable}>Save</button>
                <button type="button" onClick=${() => { setEditing(null); action.clear(); }}>Cancel</button>
              </form>`
            : html`<code>${c.sensitive ? '(hidden)' : c.value ?? 'null'}</code>`}</td>
          <td class="muted">${c.source}</td>
          <td class="actions">
            ${!c.readOnly && editing !== c.name ? html`<button disabled=${!writable} onClick=${() => { setEditing(c.name); setDraft(c.value ?? ''); action.clear(); }}>Edit</button>` : ''}
            ${!c.readOnly && c.source === 'DYNAMIC_TOPIC_CONFIG' ? html` <button disabled=${!writable} title="return to the broker's default" onClick=${() => alter({ delete: [c.name] })}>Reset</button>` : ''}
          </td>
        </tr>`)}
      </tbody>
    </table>`;
}
