// The template tag every component uses, and how numbers, sizes and times read.
import { h } from 'preact';
import htm from 'htm';

/** html`<div class=${c}>...</div>`: htm turns the template into Preact calls, no JSX compiler needed. */
export const html = htm.bind(h);

const nf = new Intl.NumberFormat('en-US');
export const fmtNum = (n) => (n === null || n === undefined ? '–' : nf.format(n));

function scaled(n, base, units) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  let i = 0;
  let v = n;
  while (Math.abs(v) >= base && i < units.length - 1) { v /= base; i++; }
  return `${i === 0 ? Math.round(v) : +v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Sizes on disk in binary units (KiB ...), as du and Kafka's segment.bytes count them. */
export const fmtBytes = (n) => scaled(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);

/** Rates in decimal units, so that a chart's round ticks (2.5k, 5k) read as round numbers. */
export const fmtRate = (n) => `${scaled(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB'])}/s`;

/** Retention and timeouts: 604800000 -> "7 d"; -1 -> "unlimited". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 0) return 'unlimited';
  const steps = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's']];
  for (const [size, unit] of steps) if (ms >= size) return `${+(ms / size).toFixed(1)} ${unit}`;
  return `${ms} ms`;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local time to the millisecond, sortable: 2024-05-01 13:04:05.123. */
export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms < 0) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "12 s ago" for ages the page shows next to a time. */
export function fmtAgo(ms) {
  if (ms === null || ms === undefined || ms < 0) return '–';
  return `${fmtDuration(Math.max(0, Date.now() - ms))} ago`;
}

/** A link target inside the page (hash routing): href('topics', name). */
export const href = (...parts) => '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');

/** Saves `text` as a file the browser downloads. */
export function download(name, text, type = 'application/x-ndjson') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
