// How a key, value or header value (the API's Bytes: text when UTF-8, always
// base64) is shown: as text, pretty JSON or hex, chosen by what it decodes as.
import { html } from './lib.js';

export const MODES = ['auto', 'text', 'json', 'hex'];

function bytes(b) {
  const bin = atob(b.base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** 16 bytes a line: offset, hex, and the printable ASCII. */
export function hexDump(b) {
  const u = bytes(b);
  const lines = [];
  for (let i = 0; i < u.length; i += 16) {
    const row = u.subarray(i, i + 16);
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${i.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** Control characters (other than tab and newlines) mean the bytes are binary that happens to be valid UTF-8. */
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function asJson(text) {
  const s = text.trim();
  if (!(s.startsWith('{') || s.startsWith('['))) return null;
  try { return JSON.stringify(JSON.parse(s), null, 2); } catch { return null; }
}

/** { kind: 'null'|'text'|'json'|'hex', text, note? } for `mode` ('auto' picks the best). */
export function decode(b, mode = 'auto') {
  if (b === null || b === undefined) return { kind: 'null', text: 'null' };
  if (mode === 'hex') return { kind: 'hex', text: hexDump(b) };
  if (b.text === null) return { kind: 'hex', text: hexDump(b), note: mode === 'auto' ? undefined : 'not UTF-8' };
  if (mode === 'text') return { kind: 'text', text: b.text };
  const json = asJson(b.text);
  if (mode === 'json') return json === null ? { kind: 'text', text: b.text, note: 'not JSON' } : { kind: 'json', text: json };
  if (json !== null) return { kind: 'json', text: json };
  if (BINARY.test(b.text)) return { kind: 'hex', text: hexDump(b) };
  return { kind: 'text', text: b.text };
}

export function Value({ bytes: b, mode }) {
  const d = decode(b, mode);
  return html`<pre class=${`val ${d.kind}`} title=${b ? `${b.size} bytes` : ''}>${d.text}</pre>${d.note ? html`<span class="badge muted">${d.note}</span>` : ''}`;
}

/** A message as one exported JSON line: key, value and header values as text, or {base64} when not UTF-8. */
export function exportLine(topic, m) {
  const plain = (b) => (b === null ? null : b.text !== null ? b.text : { base64: b.base64 });
  return JSON.stringify({
    topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, timestampType: m.timestampType,
    key: plain(m.key), value: plain(m.value), headers: m.headers.map((h) => ({ key: h.key, value: plain(h.value) })),
  });
}
