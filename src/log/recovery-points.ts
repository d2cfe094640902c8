/**
 * Kafka's `recovery-point-offset-checkpoint`: per partition, the offset below
 * which the log is known to be fsynced, so recovery after a crash verifies
 * only what lies past it. The format is Kafka's checkpoint file: a version
 * line (0), a count line, then `<topic> <partition> <offset>` lines. Written
 * to a temporary file, fsynced and renamed, so a crash leaves the old or the
 * new file, never a torn one.
 */
import { readFileSync } from 'node:fs';
import { writeCheckpointFile } from './checkpoint-file.js';
import { join } from 'node:path';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';

export interface RecoveryPoint { topic: string; partition: number; offset: number }

/** `topic partition` -> offset; empty when the file is missing; a damaged file is reported and ignored (everything is verified). */
export function readRecoveryPoints(dataDir: string, report: (message: string) => void): Map<string, number> {
  const points = new Map<string, number>();
  let text: string;
  try { text = readFileSync(join(dataDir, RECOVERY_POINT_CHECKPOINT), 'utf8'); } catch { return points; }
  const lines = text.split('\n').filter((l) => l !== '');
  const count = Number(lines[1]);
  if (lines[0] !== '0' || !Number.isInteger(count) || lines.length !== count + 2) {
    report(`${RECOVERY_POINT_CHECKPOINT} is malformed; every log will be verified from its start`);
    return new Map();
  }
  for (const line of lines.slice(2)) {
    const m = /^(\S+) (\d+) (\d+)$/.exec(line);
    if (!m) {
      report(`${RECOVERY_POINT_CHECKPOINT} has a malformed line '${line}'; every log will be verified from its start`);
      return new Map();
    }
    points.set(`${m[1]} ${m[2]}`, Number(m[3]));
  }
  return points;
}

export function writeRecoveryPoints(dataDir: string, points: RecoveryPoint[]): void {
  writeCheckpointFile(join(dataDir, RECOVERY_POINT_CHECKPOINT), points.map((p) => `${p.topic} ${p.partition} ${p.offset}`));
}
