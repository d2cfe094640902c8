// A time-series chart on uPlot. uPlot (~40 KB gzipped) is imported the first
// time a chart is drawn, so it never delays the first paint of a page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './lib.js';

let uplotModule;
function loadUplot() {
  if (!uplotModule) {
    const css = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/vendor/uplot.css' });
    document.head.append(css);
    uplotModule = import('uplot').then((m) => m.default);
  }
  return uplotModule;
}

const COLORS = ['#2f6fbf', '#c2571a', '#3c8d5a', '#8a4fbf'];

/**
 * series: [{ label }], data: [xs (epoch seconds), ...ys]; fmt formats a y value.
 * Redraws with setData when data changes, follows the container's width.
 */
export function TimeChart({ series, data, height = 170, fmt = String, label }) {
  const box = useRef(null);
  const plot = useRef(null);
  const [error, setError] = useState(null);
  // uPlot loads asynchronously: draw with the data of that moment, not of the first render.
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    let alive = true;
    let observer;
    loadUplot().then((uPlot) => {
      if (!alive || !box.current) return;
      const opts = {
        width: Math.max(200, box.current.clientWidth),
        height,
        cursor: { drag: { x: false, y: false } },
        legend: { show: true },
        scales: { x: { time: true } },
        axes: [
          { stroke: '#666', grid: { stroke: '#eee' } },
          { stroke: '#666', grid: { stroke: '#eee' }, size: 70, values: (u, vals) => vals.map(fmt) },
        ],
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false }, fill: i === 0 ? 'rgba(47,111,191,0.08)' : undefined, value: (u, v) => (v === null || v === undefined ? '–' : fmt(v)) }))],
      };
      plot.current = new uPlot(opts, latest.current, box.current);
      observer = new ResizeObserver(() => {
        if (plot.current && box.current) plot.current.setSize({ width: Math.max(200, box.current.clientWidth), height });
      });
      observer.observe(box.current);
    }, (err) => setError(err));
    return () => {
      alive = false;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series.map((s) => s.label).join('|'), height]);

  useEffect(() => { plot.current?.setData(data); }, [data]);

  return html`<figure class="chart" aria-label=${label}>
    ${error ? html`<div class="error">The chart library did not load: ${error.message}</div>` : ''}
    <div ref=${box} class="chart-box"></div>
  </figure>`;
}
