/** Polls `cond` every 50 ms; rejects naming `what` when it is still false after `ms`. A bound on waiting, not a timing assertion. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
