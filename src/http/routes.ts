/**
 * The routes `samsa start --http` serves, after the control API of a
 * cluster: each part of the HTTP side adds its route here.
 */
import type { HttpRoute, HttpTarget } from './route.js';

export async function httpRoutes(_target: HttpTarget): Promise<HttpRoute[]> {
  return [];
}
