import type { Logger } from './logger.js';

/** Warnings about one subject at most once per `ms`, saying how many were held back. */
export function rateLimited(log: Logger, ms: number): (subject: string, message: string) => void {
  const last = new Map<string, { at: number; quiet: number }>();
  return (subject, message) => {
    const now = Date.now();
    const l = last.get(subject);
    if (l && now - l.at < ms) { l.quiet++; return; }
    log.warn(`${subject}: ${message}${l?.quiet ? ` (and ${l.quiet} more like it)` : ''}`);
    last.set(subject, { at: now, quiet: 0 });
  };
}
