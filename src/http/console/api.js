// The console's JSON API (src/http/console-api-types.ts): one fetch wrapper
// that turns every non-2xx answer into an ApiError the page shows.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called on a 401 (the session expired or the broker wants a login): app.js shows the login form. */
let onLoginRequired = () => {};
export const setLoginRequiredHandler = (fn) => { onLoginRequired = fn; };

export function api(path, { method = 'GET', body } = {}) {
  return answer(path, fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  }));
}

/** The JSON of a fetch() in flight, or an ApiError with the server's message and code. */
async function answer(path, pending) {
  let res;
  try {
    res = await pending;
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the console's server did not answer (${err.message}): is samsa still running?`);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const code = json?.code ?? `HTTP_${res.status}`;
    const message = json?.error ?? (text.slice(0, 200) || res.statusText);
    if (res.status === 401) onLoginRequired();
    throw new ApiError(res.status, code, message);
  }
  if (json === null && text) throw new ApiError(res.status, 'BAD_RESPONSE', `${path} did not answer JSON`);
  return json;
}

/**
 * A request index.html's inline script started before the modules loaded
 * (GET /api/session, and GET /api/overview when no login is needed), taken
 * once; later calls fetch anew.
 */
export function early(path) {
  const boot = window.samsaBoot;
  const pending = boot?.[path];
  if (!pending) return api(path);
  delete boot[path];
  return answer(path, pending);
}

/** Query string from an object, leaving out undefined, null and '' values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Loads `load()` now, whenever `deps` change, and every `intervalMs` after
 * each answer (one request at a time; skipped while the tab is hidden).
 * Returns { data, error, loading, reload }: an error keeps the last data.
 */
export function usePoll(load, deps, intervalMs = 0) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const runRef = useRef(() => {});
  // A layout effect: the first request leaves right after the render, not a frame later (the overview's first paint waits for it).
  useLayoutEffect(() => {
    let alive = true;
    let busy = false;
    let again = false;
    let loaded = false;
    let timer;
    const schedule = () => { if (alive && intervalMs) timer = setTimeout(run, intervalMs); };
    const run = async () => {
      if (busy) { again = true; return; }
      clearTimeout(timer);
      if (document.hidden && loaded && intervalMs) return schedule();
      busy = true;
      try {
        const data = await load();
        loaded = true;
        if (alive) setState({ data, error: null, loading: false });
      } catch (error) {
        if (alive) setState((s) => ({ data: s.data, error, loading: false }));
      } finally {
        busy = false;
      }
      if (again) { again = false; run(); } else schedule();
    };
    runRef.current = run;
    setState({ data: undefined, error: null, loading: true });
    run();
    return () => { alive = false; clearTimeout(timer); };
  }, deps);
  return { ...state, reload: () => runRef.current() };
}
