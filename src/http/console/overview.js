// Overview: the brokers, counts, partition health and throughput (now and the last minutes).
import { useLayoutEffect, useMemo } from 'preact/hooks';
import { early, usePoll } from './api.js';
import { TimeChart } from './chart.js';
import { fmtNum, fmtRate, html } from './lib.js';
import { ErrorBox, Loading, Stat } from './ui.js';

const SERIES = [{ label: 'produce' }, { label: 'fetch' }];

/** The browser test reads this mark: when the overview first shows the broker's figures. */
let marked = false;

export function Overview() {
  const { data: o, error } = usePoll(() => early('/api/overview'), [], 2000);
  useLayoutEffect(() => {
    // The figures are in the DOM now: the next animation frame is the one that paints them.
    if (o && !marked) { marked = true; requestAnimationFrame(() => performance.mark('samsa:overview-rendered')); }
  }, [o]);
  const chartData = useMemo(() => {
    const h = o?.history ?? [];
    return [h.map((p) => p.t / 1000), h.map((p) => p.produceBytesPerSec), h.map((p) => p.fetchBytesPerSec)];
  }, [o]);

  if (!o) return html`<h1>Overview</h1><${ErrorBox} error=${error} what="Overview" />${error ? '' : html`<${Loading} />`}`;
  const t = o.throughput;
  return html`
    <h1>Overview ${o.clusterId ? html`<small>cluster ${o.clusterId}</small>` : ''}</h1>
    <${ErrorBox} error=${error} what="Refreshing" />
    <div class="stats">
      <${Stat} label="brokers" value=${o.brokers.length} sub=${`controller ${o.controllerId}`} />
      <${Stat} label="topics" value=${fmtNum(o.topicCount)} />
      <${Stat} label="partitions" value=${fmtNum(o.partitionCount)} />
      <${Stat} label="under-replicated" value=${fmtNum(o.underReplicatedPartitions)} tone=${o.underReplicatedPartitions > 0 ? 'warn' : 'ok'} />
      <${Stat} label="offline" value=${fmtNum(o.offlinePartitions)} tone=${o.offlinePartitions > 0 ? 'bad' : 'ok'} />
      <${Stat} label="produce" value=${fmtRate(t.produceBytesPerSec)} sub=${`${fmtNum(Math.round(t.produceMessagesPerSec))} msg/s`} />
      <${Stat} label="fetch" value=${fmtRate(t.fetchBytesPerSec)} />
    </div>
    <h2>Throughput, last ${Math.max(1, Math.round(((o.history.at(-1)?.t ?? 0) - (o.history[0]?.t ?? 0)) / 60000))} min</h2>
    ${o.history.length < 2
      ? html`<p class="muted">The chart fills in as the broker runs (one point every 5 s).</p>`
      : html`<${TimeChart} series=${SERIES} data=${chartData} fmt=${fmtRate} label="produce and fetch throughput" />`}
    <h2>Brokers</h2>
    <table class="grid">
      <thead><tr><th>id</th><th>address</th><th>rack</th><th class="num">leader of</th><th></th></tr></thead>
      <tbody>
        ${o.brokers.map((b) => html`<tr key=${b.nodeId}>
          <td>${b.nodeId}</td><td><code>${b.host}:${b.port}</code></td><td>${b.rack ?? '–'}</td>
          <td class="num">${fmtNum(b.leaderCount)} partitions</td>
          <td>${b.isController ? html`<span class="badge ok">controller</span>` : ''}</td>
        </tr>`)}
      </tbody>
    </table>`;
}
