/**
 * A small tmpfs for disk-full tests: mounted on a fresh directory and
 * unmounted in teardown. Mounting needs root (CI runs as root); elsewhere the
 * caller skips with the reason this returns.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Teardown { teardown(fn: () => unknown): void }

export function mountTmpfs(t: Teardown, bytes: number): { path: string } | { skip: string } {
  const path = mkdtempSync(join(tmpdir(), 'samsa-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    rmSync(path, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (needs root): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}` };
  }
  t.teardown(() => {
    try { execFileSync('umount', ['-l', path], { stdio: 'pipe' }); } catch { /* already gone */ }
    rmSync(path, { recursive: true, force: true });
  });
  return { path };
}
