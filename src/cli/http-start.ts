/**
 * `--http host:port` for `samsa start`, with a lone broker or a cluster:
 * the listener with every route, and a warning when it can be reached from
 * other machines.
 */
import type { HttpTarget } from '../http/route.js';
import type { HttpAddress } from './start-args.js';

export async function startHttpCommand(target: HttpTarget, at: HttpAddress): Promise<{ url: string; close(): Promise<void> }> {
  const { startHttp, isLoopback } = await import('../http/server.js');
  const { httpRoutes } = await import('../http/routes.js');
  // With SASL listeners every /api route and /metrics need a login (login-gate.ts).
  const loginRequired = target.brokers().some((b) => b.listeners.some((l) => l.protocol.startsWith('SASL_')));
  if (!isLoopback(at.host)) {
    const what = loginRequired ? '' : [target.cluster && 'stop your brokers', 'read every topic', target.allowWrites && 'write and delete data'].filter(Boolean).join(', ');
    process.stderr.write(`samsa: warning: --http ${at.host} is reachable from other machines${what ? `; anyone who reaches it can ${what}` : ' (a login is required: the brokers\' SASL users)'}\n`);
  }
  return startHttp(target, at.host, at.port, await httpRoutes(target));
}
