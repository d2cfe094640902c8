// The message browser: pick partitions and a start, filter, read a page of
// messages, tail new ones (poll with `from` = the last page's `next`), export
// what is shown, produce one (produce.js).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query, usePoll } from './api.js';
import { exportLine, MODES, Value } from './decode.js';
import { download, fmtNum, fmtTime, href, html } from './lib.js';
import { Produce } from './produce.js';
import { ErrorBox, Loading } from './ui.js';

/** The most rows kept while tailing: the oldest go first. */
const MAX_ROWS = 2000;
const TAIL_MS = 1000;

const fromParam = (next) => Object.entries(next).map(([p, o]) => `${p}:${o}`).join(',');

export function Messages({ topic }) {
  const { data: topics, error: topicsError } = usePoll(() => api('/api/topics'), [], 0);
  const pick = (name) => { location.hash = href('messages', name); };
  return html`
    <h1>Messages</h1>
    <${ErrorBox} error=${topicsError} what="Topics" />
    <div class="toolbar">
      <label>Topic <select aria-label="topic" value=${topic ?? ''} onChange=${(e) => pick(e.currentTarget.value)}>
        <option value="" disabled>choose a topic</option>
        ${(topics ?? []).map((t) => t.name).concat(topic && topics && !topics.some((t) => t.name === topic) ? [topic] : [])
          .sort().map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label>
      ${topic ? html`<a href=${href('topics', topic)}>partitions and configs</a>` : ''}
    </div>
    ${topic ? html`<${Browser} key=${topic} topic=${topic} />` : html`<p class="muted">Choose a topic to read its messages.</p>`}`;
}

function Browser({ topic }) {
  const { data: detail, error: detailError } = usePoll(() => api(`/api/topics/${encodeURIComponent(topic)}`), [topic], 0);
  const partitions = detail?.partitions.map((p) => p.partition) ?? [];
  const [form, setForm] = useState({ chosen: [], start: 'newest', offset: '', timestamp: '', limit: '100', filter: '', regex: false, filterOn: 'any' });
  const [page, setPage] = useState({ messages: [], filteredOut: 0, loaded: false });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tail, setTail] = useState(false);
  const [mode, setMode] = useState('auto');
  const next = useRef(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const togglePartition = (p) => setForm({ ...form, chosen: form.chosen.includes(p) ? form.chosen.filter((x) => x !== p) : [...form.chosen, p].sort((a, b) => a - b) });

  const filterParams = () => ({ filter: form.filter || undefined, regex: form.filter && form.regex ? 'true' : undefined, filterOn: form.filter && form.filterOn !== 'any' ? form.filterOn : undefined, limit: form.limit || undefined });
  const base = `/api/topics/${encodeURIComponent(topic)}/messages`;

  const load = async () => {
    setBusy(true);
    setError(null);
    try {
      const q = { ...filterParams(), partitions: form.chosen.length ? form.chosen.join(',') : undefined, start: form.start };
      if (form.start === 'offset') q.offset = form.offset || '0';
      if (form.start === 'timestamp') q.timestamp = form.timestamp ? new Date(form.timestamp).getTime() : Date.now();
      const res = await api(base + query(q));
      next.current = res.next;
      setPage({ messages: res.messages, filteredOut: res.filteredOut, loaded: true });
    } catch (err) {
      setError(err);
      setTail(false);
    } finally {
      setBusy(false);
    }
  };

  // Read the newest page when the topic opens.
  useEffect(() => { load(); }, [topic]);

  // Live tail: one request a second from where the last one ended, new rows appended.
  useEffect(() => {
    if (!tail) return undefined;
    let alive = true;
    let timer;
    const poll = async () => {
      try {
        if (next.current && Object.keys(next.current).length) {
          const res = await api(base + query({ ...filterParams(), from: fromParam(next.current) }));
          if (!alive) return;
          next.current = res.next;
          if (res.messages.length || res.filteredOut) {
            setPage((p) => ({ messages: p.messages.concat(res.messages).slice(-MAX_ROWS), filteredOut: p.filteredOut + res.filteredOut, loaded: true }));
          }
        }
        if (alive) timer = setTimeout(poll, TAIL_MS);
      } catch (err) {
        if (alive) { setError(err); setTail(false); }
      }
    };
    timer = setTimeout(poll, TAIL_MS);
    return () => { alive = false; clearTimeout(timer); };
  }, [tail, topic, form.filter, form.regex, form.filterOn]);

  const exportShown = () => download(`${topic}-${Date.now()}.jsonl`, page.messages.map((m) => exportLine(topic, m)).join('\n') + '\n');

  return html`
    <${ErrorBox} error=${detailError} what="Topic" />
    <form class="form browser" onSubmit=${(e) => { e.preventDefault(); load(); }}>
      <div class="row">
        <span class="field-label">Partitions</span>
        <label><input type="checkbox" checked=${form.chosen.length === 0} onChange=${() => setForm({ ...form, chosen: [] })} /> all</label>
        ${partitions.map((p) => html`<label key=${p}><input type="checkbox" name=${`partition-${p}`} checked=${form.chosen.includes(p)} onChange=${() => togglePartition(p)} /> ${p}</label>`)}
      </div>
      <div class="row">
        <label>Start <select name="start" value=${form.start} onChange=${set('start')}>
          <option value="newest">newest (the last messages)</option>
          <option value="oldest">oldest</option>
          <option value="offset">offset</option>
          <option value="timestamp">timestamp</option>
        </select></label>
        ${form.start === 'offset' ? html`<label>Offset <input name="offset" type="number" min="0" value=${form.offset} onInput=${set('offset')} /></label>` : ''}
        ${form.start === 'timestamp' ? html`<label>From <input name="timestamp" type="datetime-local" step="1" value=${form.timestamp} onInput=${set('timestamp')} /></label>` : ''}
        <label>Limit <input name="limit" type="number" min="1" max="1000" value=${form.limit} onInput=${set('limit')} class="short" /></label>
      </div>
      <div class="row">
        <label>Filter <input name="filter" type="search" placeholder=${form.regex ? 'regular expression' : 'text'} value=${form.filter} onInput=${set('filter')} /></label>
        <label><input name="regex" type="checkbox" checked=${form.regex} onChange=${set('regex')} /> regex</label>
        <label>on <select name="filterOn" value=${form.filterOn} onChange=${set('filterOn')}>
          <option value="any">key, value or headers</option><option value="key">key</option><option value="value">value</option><option value="headers">headers</option>
        </select></label>
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Reading…' : 'Read'}</button>
        <label class="toggle"><input name="tail" type="checkbox" checked=${tail} onChange=${(e) => setTail(e.currentTarget.checked)} /> live tail</label>
      </div>
    </form>
    <${ErrorBox} error=${error} what="Messages" />
    <div class="toolbar">
      <span class="muted" data-testid="message-count">${page.loaded ? `${fmtNum(page.messages.length)} message${page.messages.length === 1 ? '' : 's'} shown${page.filteredOut ? `, ${fmtNum(page.filteredOut)} filtered out` : ''}${tail ? ' · tailing' : ''}` : ''}</span>
      <span class="spacer"></span>
      <span class="segmented" role="group" aria-label="show values as">
        ${MODES.map((m) => html`<button type="button" class=${mode === m ? 'on' : ''} aria-pressed=${mode === m} onClick=${() => setMode(m)}>${m}</button>`)}
      </span>
      <button type="button" onClick=${exportShown} disabled=${page.messages.length === 0}>Export JSON lines</button>
    </div>
    ${!page.loaded && !error ? html`<${Loading} what="messages" />` : ''}
    ${page.loaded ? html`<table class="grid messages">
      <thead><tr><th class="num">partition</th><th class="num">offset</th><th>timestamp</th><th>key</th><th>value</th><th>headers</th></tr></thead>
      <tbody>
        ${page.messages.map((m) => html`<tr key=${`${m.partition}:${m.offset}`}>
          <td class="num">${m.partition}</td>
          <td class="num">${m.offset}${m.transactional ? html` <span class="badge muted" title="from a transactional batch">txn</span>` : ''}</td>
          <td class="nowrap" title=${m.timestampType}>${fmtTime(m.timestamp)}</td>
          <td class="key"><${Value} bytes=${m.key} mode=${mode} /></td>
          <td class="value"><${Value} bytes=${m.value} mode=${mode} /></td>
          <td class="headers">${m.headers.map((h) => html`<div class="header"><code>${h.key}</code>: <${Value} bytes=${h.value} mode=${mode} /></div>`)}</td>
        </tr>`)}
        ${page.messages.length === 0 ? html`<tr><td colspan="6" class="muted">No messages${form.filter ? ' match the filter' : ' from this start'}.</td></tr>` : ''}
      </tbody>
    </table>` : ''}
    ${!detail ? '' : html`<${Produce} topic=${topic} partitions=${partitions} onProduced=${() => { if (!tail) load(); }} />`}`;
}
