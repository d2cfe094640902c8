// Produce one message from the browser: key, value, headers, partition.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './lib.js';
import { ErrorBox, useAction, useSession, WriteNote } from './ui.js';

const empty = () => ({ partition: '', key: '', value: '', headers: [] });

export function Produce({ topic, partitions, onProduced }) {
  const session = useSession();
  const [form, setForm] = useState(empty);
  const action = useAction();
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const setHeader = (i, k) => (e) => setForm({ ...form, headers: form.headers.map((h, j) => (j === i ? { ...h, [k]: e.currentTarget.value } : h)) });
  const submit = async (e) => {
    e.preventDefault();
    const body = {
      key: form.key === '' ? null : form.key,
      value: form.value,
      headers: form.headers.filter((h) => h.key !== ''),
    };
    if (form.partition !== '') body.partition = Number(form.partition);
    if (await action.run(() => api(`/api/topics/${encodeURIComponent(topic)}/messages`, { method: 'POST', body }))) onProduced();
  };
  return html`<details class="panel produce">
    <summary>Produce a message</summary>
    <${WriteNote} what="Producing" />
    <form class="form" onSubmit=${submit}>
      <fieldset disabled=${!session.allowWrites || action.busy}>
        <label>Partition <select name="produce-partition" value=${form.partition} onChange=${set('partition')}>
          <option value="">by key (round robin without one)</option>
          ${partitions.map((p) => html`<option value=${String(p)}>${p}</option>`)}
        </select></label>
        <label>Key <input name="produce-key" placeholder="none" value=${form.key} onInput=${set('key')} /></label>
        <label class="wide">Value <textarea name="produce-value" rows="4" value=${form.value} onInput=${set('value')}></textarea></label>
        <div class="wide headers-edit">
          <span class="field-label">Headers</span>
          ${form.headers.map((h, i) => html`<div class="row" key=${i}>
            <input aria-label=${`header ${i + 1} key`} name=${`header-key-${i}`} placeholder="key" value=${h.key} onInput=${setHeader(i, 'key')} />
            <input aria-label=${`header ${i + 1} value`} name=${`header-value-${i}`} placeholder="value" value=${h.value} onInput=${setHeader(i, 'value')} />
            <button type="button" onClick=${() => setForm({ ...form, headers: form.headers.filter((_, j) => j !== i) })}>Remove</button>
          </div>`)}
          <button type="button" onClick=${() => setForm({ ...form, headers: [...form.headers, { key: '', value: '' }] })}>Add header</button>
        </div>
        <button type="submit" class="primary">Produce</button>
      </fieldset>
    </form>
    <${ErrorBox} error=${action.error} what="Produce" />
    ${action.result ? html`<p class="ok-text" role="status">Produced to partition ${action.result.partition} at offset ${action.result.offset}.</p>` : ''}
  </details>`;
}
