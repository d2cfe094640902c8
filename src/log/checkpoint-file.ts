/**
 * Kafka's checkpoint files (recovery-point-offset-checkpoint,
 * leader-epoch-checkpoint): a version line (0), a count line, then one line
 * per entry. Written whole to a temporary file, fsynced and renamed over the
 * old one, so a crash leaves the old file or the new one, never half.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** `durable` false: renamed without an fsync first (the caller syncs it later: deferred-syncs.ts). */
export function writeCheckpointFile(path: string, lines: readonly string[], open: (f: () => number) => number = (f) => f(), durable = true): void {
  const tmp = `${path}.tmp`;
  const fd = open(() => openSync(tmp, 'w'));
  try {
    writeSync(fd, `0\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
