// Topics: a searchable list, and the form that creates one.
import { useState } from 'preact/hooks';
import { api, query, usePoll } from './api.js';
import { fmtBytes, fmtDuration, fmtNum, href, html } from './lib.js';
import { ErrorBox, Loading, useAction, useSession, WriteNote } from './ui.js';

export function Topics() {
  const [search, setSearch] = useState('');
  const [internal, setInternal] = useState(false);
  const { data: topics, error, reload } = usePoll(() => api(`/api/topics${query({ internal: internal || undefined })}`), [internal], 5000);
  const needle = search.trim().toLowerCase();
  const shown = (topics ?? []).filter((t) => t.name.toLowerCase().includes(needle)).sort((a, b) => a.name.localeCompare(b.name));
  return html`
    <h1>Topics</h1>
    <div class="toolbar">
      <input type="search" placeholder="Search topics" aria-label="Search topics" value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} />
      <label><input type="checkbox" checked=${internal} onChange=${(e) => setInternal(e.currentTarget.checked)} /> internal topics</label>
      <span class="muted">${topics ? `${shown.length} of ${topics.length}` : ''}</span>
    </div>
    <${ErrorBox} error=${error} what="Topics" />
    ${!topics && !error ? html`<${Loading} />` : ''}
    ${topics ? html`<table class="grid">
      <thead><tr><th>name</th><th class="num">partitions</th><th class="num">replicas</th><th class="num">messages</th><th class="num">size</th><th class="num">retention</th><th class="num">under-replicated</th></tr></thead>
      <tbody>
        ${shown.map((t) => html`<tr key=${t.name}>
          <td><a href=${href('topics', t.name)}>${t.name}</a>${t.internal ? html` <span class="badge muted">internal</span>` : ''}</td>
          <td class="num">${t.partitions}</td><td class="num">${t.replicationFactor}</td>
          <td class="num">${fmtNum(t.messages)}</td><td class="num">${fmtBytes(t.sizeBytes)}</td>
          <td class="num">${fmtDuration(t.retentionMs)}</td>
          <td class=${`num ${t.underReplicatedPartitions > 0 ? 'warn-text' : ''}`}>${t.underReplicatedPartitions}</td>
        </tr>`)}
        ${shown.length === 0 ? html`<tr><td colspan="7" class="muted">${topics.length ? 'No topic matches.' : 'No topics yet.'}</td></tr>` : ''}
      </tbody>
    </table>` : ''}
    <${CreateTopic} onCreated=${reload} />`;
}

/** "a=b" lines -> { a: 'b' }; throws on a line without "=". */
export function parseSettings(text) {
  const out = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`"${line}" is not name=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

function CreateTopic({ onCreated }) {
  const session = useSession();
  const [form, setForm] = useState({ name: '', partitions: '', replicationFactor: '', configs: '' });
  const action = useAction();
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    const created = await action.run(() => {
      const body = { name: form.name.trim() };
      if (form.partitions) body.partitions = Number(form.partitions);
      if (form.replicationFactor) body.replicationFactor = Number(form.replicationFactor);
      const configs = parseSettings(form.configs);
      if (Object.keys(configs).length) body.configs = configs;
      return api('/api/topics', { method: 'POST', body });
    });
    if (created) {
      onCreated();
      location.hash = href('topics', created.name);
    }
  };
  return html`<details class="panel">
    <summary>Create a topic</summary>
    <${WriteNote} />
    <form onSubmit=${submit} class="form">
      <fieldset disabled=${!session.allowWrites || action.busy}>
        <label>Name <input name="name" required value=${form.name} onInput=${set('name')} /></label>
        <label>Partitions <input name="partitions" type="number" min="1" placeholder="broker default" value=${form.partitions} onInput=${set('partitions')} /></label>
        <label>Replication factor <input name="replicationFactor" type="number" min="1" placeholder="broker default" value=${form.replicationFactor} onInput=${set('replicationFactor')} /></label>
        <label class="wide">Configs, one name=value a line <textarea name="configs" rows="3" placeholder="retention.ms=86400000" value=${form.configs} onInput=${set('configs')}></textarea></label>
        <button type="submit" class="primary">Create topic</button>
      </fieldset>
    </form>
    <${ErrorBox} error=${action.error} what="Create" />
  </details>`;
}
