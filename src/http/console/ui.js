// Small pieces every page uses: the session, errors, the writes-off note,
// stat cards, a two-step confirm button, and a hook for one-off actions.
import { createContext } from 'preact';
import { useContext, useState } from 'preact/hooks';
import { html } from './lib.js';

/** The Session (console-api-types.ts) the page runs with. */
export const SessionContext = createContext({ authRequired: false, user: null, allowWrites: false, version: '' });
export const useSession = () => useContext(SessionContext);

/** An API error as the page shows it: the server's message (with its "did you mean"), and its code. */
export function ErrorBox({ error, what }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    ${what ? html`<strong>${what}: </strong>` : ''}${error.message}
    ${error.code ? html` <span class="code">${error.code}</span>` : ''}
  </div>`;
}

/** Said wherever a write control is disabled, with how to turn writes on. */
export function WriteNote({ what = 'Produce, delete, config changes and offset resets' }) {
  const session = useSession();
  if (session.allowWrites) return null;
  return html`<p class="note">${what} are off: start samsa with <code>--http-allow-writes</code> to enable them.</p>`;
}

export function Stat({ label, value, sub, tone = '' }) {
  return html`<div class=${`stat ${tone}`}>
    <div class="stat-value">${value}</div>
    <div class="stat-label">${label}</div>
    ${sub ? html`<div class="stat-sub">${sub}</div>` : ''}
  </div>`;
}

export function Loading({ what = '' }) {
  return html`<p class="loading">Loading${what ? ` ${what}` : ''}…</p>`;
}

/** Group and transaction states: green when settled, amber while moving, grey when empty. */
export function StateBadge({ state }) {
  const tone = /^(Stable|CompleteCommit|Ongoing)$/.test(state) ? 'ok' : /^(Empty|Dead|CompleteAbort)$/.test(state) ? 'muted' : 'warn';
  return html`<span class=${`badge ${tone}`}>${state}</span>`;
}

/** A destructive button that asks once more in place (no window.confirm: nothing blocks the page). */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled, title }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return html`<button class="danger" disabled=${disabled} title=${title} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm">
    <button class="danger solid" onClick=${() => { setAsking(false); onConfirm(); }}>${confirmLabel}</button>
    <button onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

/**
 * A one-off action (a form's submit): run(fn) sets busy, keeps the error to
 * show or the result, and returns the result (undefined on error).
 */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, result: undefined });
  const run = async (fn) => {
    setState({ busy: true, error: null, result: undefined });
    try {
      const result = await fn();
      setState({ busy: false, error: null, result });
      return result;
    } catch (error) {
      setState({ busy: false, error, result: undefined });
      return undefined;
    }
  };
  return { ...state, run, clear: () => setState({ busy: false, error: null, result: undefined }) };
}
