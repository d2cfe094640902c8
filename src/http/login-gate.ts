/**
 * The login gate: the first route of the HTTP side. It
 *
 * - on a loopback listener, answers /api/* and /metrics only for loopback
 *   Host names (DNS rebinding);
 * - refuses state-changing requests (anything but GET/HEAD/OPTIONS) that a
 *   browser sent from another site (Origin, Sec-Fetch-Site): a page elsewhere
 *   must not be able to delete topics through a logged-in console (CSRF);
 * - answers GET /api/session, POST /api/login and POST /api/logout;
 * - when the brokers have a SASL listener, lets /api/* and /metrics through
 *   only with a session cookie or HTTP Basic credentials (curl, Prometheus),
 *   both checked by logging in to that listener: the console then acts as
 *   that user and the broker's ACLs apply to it;
 * - hands each request that goes on the Kafka client to use (the user's, or
 *   one shared ANONYMOUS client when no login is needed): `consoleAuth(req)`.
 *
 * Sessions live in memory: a random id in an HttpOnly SameSite=Strict cookie,
 * dropped (and their client closed) after 8 hours without a request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KafkaClient } from '../client/kafka-client.js';
import { consoleConnectionPlan, type ConsoleConnectionPlan } from './console-connection.js';
import { samsaVersion } from '../broker/samsa-version.js';
import type { Session } from './console-api-types.js';
import { HttpError, readJson, sendJson, type HttpRequest, type HttpRoute, type HttpTarget } from './route.js';
import { isLoopback } from './server.js';

/** What the routes after the gate use to reach the brokers for this request. */
export interface ConsoleAuth {
  /** The logged-in user; null without a login (none needed). */
  user: string | null;
  /** The Kafka client acting for this user (opened again after its connection failed: see `reset`). */
  client(): Promise<KafkaClient>;
  /** Drops the client after a connection failure so that the next request opens a new one (another broker may answer). */
  reset(): void;
}

const authOf = new WeakMap<IncomingMessage, ConsoleAuth>();

/** The request's auth, set by the gate (a 500 when the gate is not in front of the route). */
export function consoleAuth(req: IncomingMessage): ConsoleAuth {
  const a = authOf.get(req);
  if (!a) throw new HttpError(500, 'NO_LOGIN_GATE', 'the login gate is not installed in front of this route');
  return a;
}

export const SESSION_COOKIE = 'samsa_session';
const IDLE_MS = 8 * 60 * 60 * 1000;
const SWEEP_MS = 60_000;
/** Sessions and cached Basic logins held at most: a flood of logins cannot grow memory without bound. */
const MAX_SESSIONS = 1000;

/** A login's client, reopened with the same credentials when its connection failed. */
class LoggedIn implements ConsoleAuth {
  lastUsed = Date.now();
  private current?: Promise<KafkaClient>;

  constructor(readonly user: string | null, private readonly open: () => Promise<KafkaClient>, first?: KafkaClient) {
    if (first) this.current = Promise.resolve(first);
  }

  client(): Promise<KafkaClient> {
    this.lastUsed = Date.now();
    if (!this.current) {
      const p = this.open();
      this.current = p;
      p.catch(() => { if (this.current === p) this.current = undefined; });
    }
    return this.current;
  }

  reset(): void {
    const c = this.current;
    this.current = undefined;
    c?.then((x) => x.close(), () => undefined);
  }
}

/** The message of a failed login, and whether the broker refused the credentials (401) or could not be reached (502). */
function loginFailure(err: unknown): HttpError {
  const message = (err as Error)?.message ?? String(err);
  if (/authentication as .* failed/.test(message)) return new HttpError(401, 'SASL_AUTHENTICATION_FAILED', message);
  return new HttpError(502, 'BROKER_UNREACHABLE', message);
}

/** Refuses a state-changing request a browser sent from another origin. */
function checkSameOrigin(req: IncomingMessage, method: string): void {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'CROSS_ORIGIN', `refused a ${method} from another site (Sec-Fetch-Site: ${site})`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try { host = new URL(origin).host; } catch { /* "null" and other non-URLs are refused below */ }
    if (host === undefined || host !== req.headers.host) throw new HttpError(403, 'CROSS_ORIGIN', `refused a ${method} from origin ${origin} (this console is ${req.headers.host ?? 'unknown'})`);
  }
}

/**
 * On a loopback listener, refuses a Host header that is not a loopback name:
 * a page whose domain was re-pointed at 127.0.0.1 (DNS rebinding) would
 * otherwise be "same origin" with the console and could read and write
 * through it.
 */
function checkHost(req: IncomingMessage): void {
  if (!isLoopback(req.socket.localAddress ?? '')) return;
  const host = req.headers.host ?? '';
  let name: string;
  try { name = new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, ''); } catch { name = host; }
  if (!isLoopback(name) && !name.toLowerCase().endsWith('.localhost')) {
    throw new HttpError(403, 'BAD_HOST', `this console listens on loopback and answers only to loopback host names (localhost, 127.0.0.1), not ${JSON.stringify(host)}`);
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function basicCredentials(req: IncomingMessage): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Drops the least recently used entry when the map is full. */
function makeRoom(map: Map<string, LoggedIn>): void {
  if (map.size < MAX_SESSIONS) return;
  let oldest: [string, LoggedIn] | undefined;
  for (const e of map) if (!oldest || e[1].lastUsed < oldest[1].lastUsed) oldest = e;
  if (oldest) { map.delete(oldest[0]); oldest[1].reset(); }
}

export function loginGate(target: HttpTarget): HttpRoute {
  let plan: Promise<ConsoleConnectionPlan> | undefined;
  const planOf = () => {
    if (!plan) {
      const p = consoleConnectionPlan(target);
      plan = p;
      p.catch(() => { if (plan === p) plan = undefined; });
    }
    return plan;
  };
  const sessions = new Map<string, LoggedIn>();
  /** Basic credentials already checked, by a hash of user and password (a scrape every 15 s must not log in each time). */
  const basicLogins = new Map<string, LoggedIn>();
  let anonymous: LoggedIn | undefined;

  const sweep = setInterval(() => {
    const stale = Date.now() - IDLE_MS;
    for (const map of [sessions, basicLogins]) {
      for (const [id, s] of map) if (s.lastUsed < stale) { map.delete(id); s.reset(); }
    }
  }, SWEEP_MS);
  sweep.unref();

  const openAs = async (username: string, password: string): Promise<KafkaClient> => {
    const p = await planOf();
    let first: unknown;
    // The user may exist for one mechanism only (PLAIN users in the JAAS config, SCRAM credentials in the metadata): try each.
    for (const mechanism of p.mechanisms) {
      try {
        return await KafkaClient.open({ bootstrap: p.bootstrap(), tls: p.tls, sasl: { mechanism, username, password }, clientId: 'samsa-console' });
      } catch (e) {
        first ??= e;
        if (loginFailure(e).status !== 401) break;
      }
    }
    throw loginFailure(first);
  };
  const openAnonymous = async (): Promise<KafkaClient> => {
    const p = await planOf();
    try {
      return await KafkaClient.open({ bootstrap: p.bootstrap(), tls: p.tls, clientId: 'samsa-console' });
    } catch (e) {
      throw loginFailure(e);
    }
  };

  /** The login this request carries (cookie or Basic credentials), undefined when none. */
  const loginOf = async (req: IncomingMessage): Promise<LoggedIn | undefined> => {
    const id = cookie(req, SESSION_COOKIE);
    const s = id === undefined ? undefined : sessions.get(id);
    if (s) {
      if (Date.now() - s.lastUsed > IDLE_MS) { sessions.delete(id!); s.reset(); } else { s.lastUsed = Date.now(); return s; }
    }
    const basic = basicCredentials(req);
    if (!basic) return undefined;
    const key = createHash('sha256').update(`${basic.username}\u0000${basic.password}`).digest('hex');
    let login = basicLogins.get(key);
    if (!login) {
      makeRoom(basicLogins);
      // In the map before the login finishes: requests arriving together with the same credentials share one login.
      login = new LoggedIn(basic.username, () => openAs(basic.username, basic.password));
      basicLogins.set(key, login);
    }
    try {
      await login.client();
    } catch (e) {
      if (basicLogins.get(key) === login) basicLogins.delete(key);
      throw e;
    }
    return login;
  };

  const session = (auth: boolean, user: string | null): Session => ({ authRequired: auth, user, allowWrites: target.allowWrites, version: samsaVersion() });

  const setCookie = (res: ServerResponse, value: string, maxAgeSeconds: number) => {
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`);
  };

  const login = async (r: HttpRequest): Promise<void> => {
    if (r.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/api/login takes POST');
    const body = await readJson(r.req) as { username?: unknown; password?: unknown } | null;
    if (typeof body?.username !== 'string' || body.username === '' || typeof body.password !== 'string') {
      throw new HttpError(400, 'BAD_REQUEST', 'body must be {"username": "...", "password": "..."}');
    }
    const p = await planOf();
    if (!p.authRequired) return sendJson(r.res, 200, session(false, null));
    const { username, password } = body as { username: string; password: string };
    const client = await openAs(username, password);
    makeRoom(sessions);
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, new LoggedIn(username, () => openAs(username, password), client));
    setCookie(r.res, id, IDLE_MS / 1000);
    sendJson(r.res, 200, session(true, username));
  };

  const logout = (r: HttpRequest, auth: boolean): void => {
    if (r.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/api/logout takes POST');
    const id = cookie(r.req, SESSION_COOKIE);
    const s = id === undefined ? undefined : sessions.get(id);
    if (s) { sessions.delete(id!); s.reset(); }
    setCookie(r.res, '', 0);
    sendJson(r.res, 200, session(auth, null));
  };

  const route: HttpRoute = async (r) => {
    checkSameOrigin(r.req, r.method);
    const path = r.url.pathname;
    const api = r.parts[0] === 'api';
    if (!api && path !== '/metrics') return false;
    checkHost(r.req);
    let p: ConsoleConnectionPlan;
    try {
      p = await planOf();
    } catch (e) {
      throw new HttpError(503, 'NO_BROKER', (e as Error).message);
    }
    if (api && r.parts.length === 2) {
      if (r.parts[1] === 'login') { await login(r); return true; }
      if (r.parts[1] === 'logout') { logout(r, p.authRequired); return true; }
      if (r.parts[1] === 'session') {
        if (r.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/api/session takes GET');
        // A wrong Basic password here says "not logged in" rather than failing: the page asks this first.
        const user = p.authRequired ? (await loginOf(r.req).catch(() => undefined))?.user ?? null : null;
        sendJson(r.res, 200, session(p.authRequired, user));
        return true;
      }
    }
    if (!p.authRequired) {
      anonymous ??= new LoggedIn(null, openAnonymous);
      authOf.set(r.req, anonymous);
      return false;
    }
    const auth = await loginOf(r.req);
    if (!auth) {
      // Only /metrics asks for Basic credentials: a 401 with this header makes a browser's fetch() pop up a password dialog.
      if (!api) r.res.setHeader('www-authenticate', 'Basic realm="samsa", charset="UTF-8"');
      throw new HttpError(401, 'LOGIN_REQUIRED', 'log in first: POST /api/login {"username", "password"}, or HTTP Basic credentials');
    }
    authOf.set(r.req, auth);
    return false;
  };
  return Object.assign(route, {
    close: () => {
      clearInterval(sweep);
      for (const map of [sessions, basicLogins]) { for (const s of map.values()) s.reset(); map.clear(); }
      anonymous?.reset();
    },
  });
}
