// One topic: its partitions, its configs (configs.js) and delete.
import { api, usePoll } from './api.js';
import { Configs } from './configs.js';
import { fmtBytes, fmtNum, href, html } from './lib.js';
import { ConfirmButton, ErrorBox, Loading, useAction, useSession, WriteNote } from './ui.js';

export function Topic({ name }) {
  const session = useSession();
  const { data: t, error, reload } = usePoll(() => api(`/api/topics/${encodeURIComponent(name)}`), [name], 5000);
  const del = useAction();
  const remove = async () => {
    if (await del.run(() => api(`/api/topics/${encodeURIComponent(name)}`, { method: 'DELETE' }))) location.hash = href('topics');
  };
  const totals = (t?.partitions ?? []).reduce((a, p) => ({ messages: a.messages + (p.endOffset - p.startOffset), size: a.size + p.sizeBytes }), { messages: 0, size: 0 });
  return html`
    <p class="crumbs"><a href=${href('topics')}>Topics</a> /</p>
    <h1>${name} ${t?.internal ? html`<span class="badge muted">internal</span>` : ''}</h1>
    <${ErrorBox} error=${error} what="Topic" />
    ${!t && !error ? html`<${Loading} />` : ''}
    ${t ? html`
      <div class="toolbar">
        <a class="button primary" href=${href('messages', name)}>Browse messages</a>
        <span class="muted">id <code>${t.topicId}</code> · ${t.partitions.length} partitions · ${fmtNum(totals.messages)} messages · ${fmtBytes(totals.size)}</span>
        <span class="spacer"></span>
        <${ConfirmButton} label="Delete topic" confirmLabel=${`Delete ${name} and its data`} onConfirm=${remove}
          disabled=${!session.allowWrites || t.internal} title=${session.allowWrites ? '' : 'writes are off (--http-allow-writes)'} />
      </div>
      <${ErrorBox} error=${del.error} what="Delete" />
      <h2>Partitions</h2>
      <table class="grid">
        <thead><tr><th class="num">partition</th><th class="num">leader</th><th class="num">epoch</th><th>replicas</th><th>in sync</th><th>offline</th>
          <th class="num">start offset</th><th class="num">end offset</th><th class="num">messages</th><th class="num">size</th></tr></thead>
        <tbody>
          ${t.partitions.map((p) => html`<tr key=${p.partition}>
            <td class="num">${p.partition}</td>
            <td class=${`num ${p.leader < 0 ? 'bad-text' : ''}`}>${p.leader < 0 ? 'none' : p.leader}</td>
            <td class="num">${p.leaderEpoch}</td>
            <td>${p.replicas.join(', ')}</td>
            <td class=${p.isr.length < p.replicas.length ? 'warn-text' : ''}>${p.isr.join(', ')}</td>
            <td class=${p.offlineReplicas.length ? 'bad-text' : ''}>${p.offlineReplicas.join(', ') || '–'}</td>
            <td class="num">${fmtNum(p.startOffset)}</td><td class="num">${fmtNum(p.endOffset)}</td>
            <td class="num">${fmtNum(p.endOffset - p.startOffset)}</td><td class="num">${fmtBytes(p.sizeBytes)}</td>
          </tr>`)}
        </tbody>
      </table>
      <h2>Configs</h2>
      <${WriteNote} what="Config changes" />
      <${Configs} topic=${name} configs=${t.configs} onChanged=${reload} />` : ''}`;
}
