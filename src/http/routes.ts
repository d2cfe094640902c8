/**
 * The routes `samsa start --http` serves, in the order they are tried. Each
 * part of the HTTP side adds its route here.
 */
import { consoleApi } from './console-api.js';
import { consoleFiles } from './console-files.js';
import { controlApi } from './control-api.js';
import { metricsRoute } from './metrics-route.js';
import { loginGate } from './login-gate.js';
import type { HttpRoute, HttpTarget } from './route.js';

export async function httpRoutes(target: HttpTarget): Promise<HttpRoute[]> {
  return [
    // The login gate goes first (when security is configured), so every route after it sees only logged-in requests.
    loginGate(target),
    ...(target.cluster ? [controlApi(target.cluster)] : []),
    // /metrics, the console's JSON API (/api/...), the console's files (/, /assets/..., /vendor/...).
    metricsRoute(),
    consoleApi(target),
    consoleFiles(),
  ];
}
