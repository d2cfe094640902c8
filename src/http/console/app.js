// The console's shell: the session (login when the broker wants one), the
// header and the hash routes (#/topics/name ...: no server routes needed,
// and a link or a reload keeps the page).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, early, setLoginRequiredHandler } from './api.js';
import { html } from './lib.js';
import { Overview } from './overview.js';
import { ErrorBox, Loading, SessionContext } from './ui.js';

/**
 * A page whose module loads the first time it is shown: the overview's first
 * paint then waits for its own few files only (the browser fetches 6 at a
 * time from one server).
 */
function lazy(load, name) {
  let Page = null;
  let loading = null;
  return function LazyPage(props) {
    const [error, setError] = useState(null);
    const [, setLoaded] = useState(false);
    useEffect(() => {
      if (Page) return;
      loading ??= load().then((m) => { Page = m[name]; });
      loading.then(() => setLoaded(true), (err) => { loading = null; setError(err); });
    }, []);
    if (error) return html`<${ErrorBox} error=${error} what="The page did not load" />`;
    return Page ? html`<${Page} ...${props} />` : html`<${Loading} />`;
  };
}

const Topics = lazy(() => import('./topics.js'), 'Topics');
const Topic = lazy(() => import('./topic.js'), 'Topic');
const Messages = lazy(() => import('./messages.js'), 'Messages');
const Groups = lazy(() => import('./groups.js'), 'Groups');
const Group = lazy(() => import('./group.js'), 'Group');
const Transactions = lazy(() => import('./transactions.js'), 'Transactions');
const Login = lazy(() => import('./login.js'), 'Login');

const NAV = [
  ['overview', 'Overview'],
  ['topics', 'Topics'],
  ['messages', 'Messages'],
  ['groups', 'Consumer groups'],
  ['transactions', 'Transactions'],
];

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  try { return parts.map(decodeURIComponent); } catch { return []; }
}

function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Page({ route }) {
  const [page, arg] = route;
  switch (page ?? 'overview') {
    case 'overview': return html`<${Overview} />`;
    case 'topics': return arg ? html`<${Topic} key=${arg} name=${arg} />` : html`<${Topics} />`;
    case 'messages': return html`<${Messages} topic=${arg} />`;
    case 'groups': return arg ? html`<${Group} key=${arg} id=${arg} />` : html`<${Groups} />`;
    case 'transactions': return html`<${Transactions} />`;
    default: return html`<h1>Not found</h1><p>No page <code>${location.hash}</code>. <a href="#/overview">Overview</a></p>`;
  }
}

function App() {
  const [session, setSession] = useState(null);
  const [error, setError] = useState(null);
  const route = useRoute();

  const loadSession = () => early('/api/session').then((s) => { setSession(s); setError(null); }, setError);
  useEffect(() => {
    setLoginRequiredHandler(() => setSession((s) => (s ? { ...s, authRequired: true, user: null } : s)));
    loadSession();
  }, []);

  useEffect(() => {
    const name = NAV.find(([k]) => k === (route[0] ?? 'overview'))?.[1] ?? 'Samsa';
    document.title = `${route[1] ? `${route[1]} · ` : ''}${name} · Samsa`;
  }, [route]);

  if (!session) {
    return html`<main class="content">
      ${error ? html`<${ErrorBox} error=${error} what="The console could not reach its server" /><button onClick=${loadSession}>Try again</button>` : html`<${Loading} />`}
    </main>`;
  }
  if (session.authRequired && !session.user) return html`<${Login} onLogin=${setSession} />`;

  const logout = () => api('/api/logout', { method: 'POST' }).then(setSession, setError);
  const current = route[0] ?? 'overview';
  return html`<${SessionContext.Provider} value=${session}>
    <header class="top">
      <a class="brand" href="#/overview">Samsa</a>
      <nav>${NAV.map(([k, label]) => html`<a href=${`#/${k}`} class=${current === k ? 'on' : ''} aria-current=${current === k ? 'page' : undefined}>${label}</a>`)}</nav>
      <span class="spacer"></span>
      ${session.allowWrites ? '' : html`<span class="badge muted" title="start samsa with --http-allow-writes to produce, delete, change configs and reset offsets">read-only</span>`}
      ${session.user ? html`<span class="user">${session.user}</span><button class="link" onClick=${logout}>Log out</button>` : ''}
      <span class="muted small">v${session.version}</span>
    </header>
    <main class="content">
      <${ErrorBox} error=${error} />
      <${Page} route=${route} />
    </main>
  <//>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading" line of index.html
render(html`<${App} />`, root);
