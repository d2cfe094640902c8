// Reset an empty group's committed offsets: to the earliest, the latest, a
// time, or an exact offset; for every topic it has or one, some partitions.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './lib.js';
import { ErrorBox, useAction } from './ui.js';

export function ResetOffsets({ group, topics, disabled, onReset }) {
  const [form, setForm] = useState({ topic: '', partitions: '', to: 'earliest', timestamp: '', offset: '' });
  const action = useAction();
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    const done = await action.run(async () => {
      const body = { to: form.to };
      if (form.topic) body.topic = form.topic;
      if (form.topic && form.partitions.trim()) {
        body.partitions = form.partitions.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
          if (!/^\d+$/.test(s)) throw new Error(`partition "${s}" is not a number`);
          return Number(s);
        });
      }
      if (form.to === 'timestamp') {
        if (!form.timestamp) throw new Error('choose a time');
        body.timestamp = new Date(form.timestamp).getTime();
      }
      if (form.to === 'offset') {
        if (!/^\d+$/.test(form.offset.trim())) throw new Error('the offset is a number');
        body.offset = Number(form.offset);
      }
      return api(`/api/groups/${encodeURIComponent(group)}/reset`, { method: 'POST', body });
    });
    if (done) onReset();
  };
  return html`<form class="form inline reset" onSubmit=${submit}>
    <fieldset disabled=${disabled || action.busy}>
      <label>Topic <select name="reset-topic" value=${form.topic} onChange=${set('topic')}>
        <option value="">every committed topic</option>
        ${topics.map((t) => html`<option value=${t}>${t}</option>`)}
      </select></label>
      ${form.topic ? html`<label>Partitions <input name="reset-partitions" placeholder="all, or 0,2" value=${form.partitions} onInput=${set('partitions')} class="short" /></label>` : ''}
      <label>To <select name="reset-to" value=${form.to} onChange=${set('to')}>
        <option value="earliest">earliest</option><option value="latest">latest</option>
        <option value="timestamp">timestamp</option><option value="offset">exact offset</option>
      </select></label>
      ${form.to === 'timestamp' ? html`<label>Time <input name="reset-timestamp" type="datetime-local" step="1" value=${form.timestamp} onInput=${set('timestamp')} /></label>` : ''}
      ${form.to === 'offset' ? html`<label>Offset <input name="reset-offset" type="number" min="0" value=${form.offset} onInput=${set('offset')} class="short" /></label>` : ''}
      <button type="submit" class="primary">Reset offsets</button>
    </fieldset>
  </form>
  <${ErrorBox} error=${action.error} what="Reset" />
  ${action.result ? html`<p class="ok-text" role="status">Reset ${action.result.length} partition${action.result.length === 1 ? '' : 's'}: ${action.result.map((o) => `${o.topic}[${o.partition}] → ${o.committed}`).join(', ')}.</p>` : ''}`;
}
