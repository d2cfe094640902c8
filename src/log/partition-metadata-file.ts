/**
 * Kafka's `partition.metadata` file in a partition's directory: which topic
 * id the log belongs to ("version: 0" then "topic_id: <id>"). A topic
 * deleted while a broker was down and created again under the same name has
 * a new id; the file is how the broker tells the old log (a stray, kept
 * aside) from the new topic's, instead of serving the old records as new.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const PARTITION_METADATA_FILE = 'partition.metadata';

/** The topic id recorded in `dir`, or undefined when there is no file (a log written before ids were recorded). */
export function readTopicId(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, PARTITION_METADATA_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Written and renamed before its fsync (deferred-syncs.ts): a machine crash in between can leave it empty.
  if (text === '') return undefined;
  const m = /^topic_id:\s*(\S+)\s*$/m.exec(text);
  if (!/^version:\s*0\s*$/m.test(text) || !m) throw new Error(`${join(dir, PARTITION_METADATA_FILE)} is not a partition metadata file (version 0 with a topic_id)`);
  return m[1]!;
}

/**
 * Records the topic id (written aside and renamed into place; fsynced first
 * when `durable`, else the caller syncs it later). Returns the file's path.
 */
export function writeTopicId(dir: string, topicId: string, durable = true): string {
  const path = join(dir, PARTITION_METADATA_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `version: 0\ntopic_id: ${topicId}\n`);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}
