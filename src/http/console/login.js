// The login form, shown when the broker has SASL users (Session.authRequired):
// the console logs in with the same users.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './lib.js';
import { ErrorBox, useAction } from './ui.js';

export function Login({ onLogin }) {
  const [form, setForm] = useState({ username: '', password: '' });
  const action = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const session = await action.run(() => api('/api/login', { method: 'POST', body: form }));
    if (session) onLogin(session);
  };
  return html`<main class="login">
    <form class="form panel" onSubmit=${submit}>
      <h1>Samsa console</h1>
      <p class="muted">This broker requires a login: use a SASL user of the broker.</p>
      <label>User <input name="username" autocomplete="username" required value=${form.username} onInput=${(e) => setForm({ ...form, username: e.currentTarget.value })} /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required value=${form.password} onInput=${(e) => setForm({ ...form, password: e.currentTarget.value })} /></label>
      <button type="submit" class="primary" disabled=${action.busy}>${action.busy ? 'Logging in…' : 'Log in'}</button>
      <${ErrorBox} error=${action.error} what="Login" />
    </form>
  </main>`;
}
