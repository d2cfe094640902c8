// Transactions and producers: ongoing transactions and their partitions; a
// topic's producers per partition with the last stable offset an open
// transaction holds back (high watermark - LSO: what read_committed consumers wait for).
import { useState } from 'preact/hooks';
import { api, query, usePoll } from './api.js';
import { fmtAgo, fmtDuration, fmtNum, fmtTime, href, html } from './lib.js';
import { ErrorBox, Loading, StateBadge } from './ui.js';

export function Transactions() {
  const { data: txns, error } = usePoll(() => api('/api/transactions'), [], 3000);
  return html`
    <h1>Transactions</h1>
    <${ErrorBox} error=${error} what="Transactions" />
    ${!txns && !error ? html`<${Loading} />` : ''}
    ${txns ? html`<table class="grid">
      <thead><tr><th>transactional id</th><th class="num">producer id</th><th class="num">epoch</th><th>state</th><th>started</th><th class="num">timeout</th><th>partitions</th><th class="num">coordinator</th></tr></thead>
      <tbody>
        ${txns.map((t) => html`<tr key=${t.transactionalId}>
          <td>${t.transactionalId}</td><td class="num">${t.producerId}</td><td class="num">${t.producerEpoch}</td>
          <td><${StateBadge} state=${t.state} /></td>
          <td class="nowrap" title=${fmtTime(t.startTimeMs)}>${t.startTimeMs < 0 ? '–' : fmtAgo(t.startTimeMs)}</td>
          <td class="num">${fmtDuration(t.timeoutMs)}</td>
          <td>${t.partitions.map((p) => html`<span class="chip"><a href=${href('topics', p.topic)}>${p.topic}</a>[${p.partition}]</span>`)}</td>
          <td class="num">${t.coordinator}</td>
        </tr>`)}
        ${txns.length === 0 ? html`<tr><td colspan="8" class="muted">No transactional producers.</td></tr>` : ''}
      </tbody>
    </table>` : ''}
    <${Producers} suggested=${txns?.flatMap((t) => t.partitions.map((p) => p.topic))[0]} />`;
}

function Producers({ suggested }) {
  const { data: topics, error: topicsError } = usePoll(() => api('/api/topics'), [], 0);
  const [chosen, setChosen] = useState('');
  const topic = chosen || suggested || topics?.map((t) => t.name).sort()[0] || '';
  const { data: parts, error } = usePoll(() => (topic ? api(`/api/producers${query({ topic })}`) : Promise.resolve(null)), [topic], 3000);
  return html`
    <h2>Producers</h2>
    <div class="toolbar">
      <label>Topic <select aria-label="producers of topic" value=${topic} onChange=${(e) => setChosen(e.currentTarget.value)}>
        ${(topics ?? []).map((t) => t.name).sort().map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label>
      <span class="muted">An open transaction holds the last stable offset (LSO) back: read_committed consumers stop there.</span>
    </div>
    <${ErrorBox} error=${topicsError} what="Topics" />
    <${ErrorBox} error=${error} what="Producers" />
    ${parts ? html`<table class="grid">
      <thead><tr><th class="num">partition</th><th class="num">high watermark</th><th class="num">last stable offset</th><th class="num">held back</th><th>producers (id/epoch: last sequence, last write, open transaction from)</th></tr></thead>
      <tbody>
        ${parts.map((p) => html`<tr key=${p.partition}>
          <td class="num">${p.partition}</td><td class="num">${fmtNum(p.highWatermark)}</td><td class="num">${fmtNum(p.lastStableOffset)}</td>
          <td class=${`num ${p.highWatermark > p.lastStableOffset ? 'warn-text' : ''}`}>${fmtNum(p.highWatermark - p.lastStableOffset)}</td>
          <td>${p.producers.map((s) => html`<div class="small">
            <code>${s.producerId}/${s.producerEpoch}</code>: seq ${s.lastSequence}, ${fmtTime(s.lastTimestamp)}${s.currentTxnStartOffset >= 0 ? html`, <span class="warn-text">open transaction from offset ${s.currentTxnStartOffset}</span>` : ''}
          </div>`)}${p.producers.length === 0 ? html`<span class="muted">none</span>` : ''}</td>
        </tr>`)}
      </tbody>
    </table>` : ''}`;
}
