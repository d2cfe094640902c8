/**
 * The producer state snapshot files of one partition directory
 * (`<20-digit offset>.snapshot`, Kafka's names and format: see
 * producer-state-manager.ts), each holding the producer state of the log up
 * to that offset. This module knows the files only: which offsets exist,
 * writing one atomically, reading one, moving a damaged one aside, deleting
 * ranges. When they are taken and which one is loaded is decided in
 * producer-state-store.ts.
 *
 * Writes go to `<name>.tmp`, then are renamed over the name, so a reader never
 * sees half a file. At a clean shutdown (`writeDurably`) the temporary file is
 * fsynced before the rename: that file is what the next start trusts. A
 * roll's snapshot (`write`) is renamed at once and fsynced afterwards, off
 * the append path, as Kafka flushes it asynchronously: a crash before that
 * fsync can leave a damaged file, which its CRC check catches at load and
 * which then only costs a longer replay from an older snapshot. The
 * asynchronous fsyncs hold their descriptor through the log manager's file
 * cache (file-cache.ts), so they count against log.max.open.files like a
 * segment's and wait for room rather than pass the process's limit.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FileCache } from './file-cache.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
const NAME = /^(\d{20})\.snapshot$/;
const TMP = /^\d{20}\.snapshot\.tmp$/;
const NONE: readonly number[] = Object.freeze([]);

export function snapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${SNAPSHOT_SUFFIX}`;
}

export class ProducerSnapshots {
  /** Offsets of the snapshot files, ascending. A log without snapshots shares one empty array. */
  private offsets: number[];
  /** Files forgotten by `deleteLater` whose unlink has not run yet; a new snapshot at that offset takes its name back. */
  private doomed: Set<number> | undefined;

  /**
   * `names`: the directory's listing (taken by the log's load); leftover
   * temporary files are removed. `later` runs a job soon, on this thread
   * (the log manager's background chores); without it `deleteLater` unlinks now.
   */
  constructor(readonly dir: string, names: readonly string[], private readonly files: FileCache, private readonly report: (message: string) => void,
    private readonly later?: (job: () => void) => void) {
    const found: number[] = [];
    for (const name of names) {
      const m = NAME.exec(name);
      if (m) found.push(Number(m[1]));
      else if (TMP.test(name)) this.unlink(name);
    }
    this.offsets = found.length === 0 ? (NONE as number[]) : found.sort((a, b) => a - b);
  }

  /** Every snapshot offset, ascending (tests, status). */
  list(): readonly number[] { return this.offsets; }
  get latest(): number | undefined { return this.offsets[this.offsets.length - 1]; }
  has(offset: number): boolean { return this.offsets.includes(offset); }

  /** The largest snapshot offset in [from, to], or undefined. */
  newestIn(from: number, to: number): number | undefined {
    for (let i = this.offsets.length - 1; i >= 0; i--) {
      const o = this.offsets[i]!;
      if (o <= to) return o >= from ? o : undefined;
    }
    return undefined;
  }

  path(offset: number): string { return join(this.dir, snapshotFileName(offset)); }

  read(offset: number): Buffer {
    return this.files.withRoom(() => readFileSync(this.path(offset)));
  }

  /** Writes the snapshot at `offset` (replacing one there), fsynced soon after (see header). */
  write(offset: number, bytes: Buffer): void {
    this.doomed?.delete(offset);
    const path = this.path(offset);
    this.writeFile(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    this.added(offset);
    this.files.fsync(path).catch(() => { /* deleted meanwhile, or a failed fsync: its CRC tells at load */ });
  }

  /** Writes the snapshot at `offset`, fsynced before it takes its name (a clean shutdown: many logs at once, so the fsync is off the event loop). */
  async writeDurably(offset: number, bytes: Buffer): Promise<void> {
    this.doomed?.delete(offset);
    const path = this.path(offset);
    this.writeFile(`${path}.tmp`, bytes);
    await this.files.fsync(`${path}.tmp`);
    renameSync(`${path}.tmp`, path);
    this.added(offset);
  }

  /** A small file written whole (a snapshot is tens of bytes per producer). */
  private writeFile(path: string, bytes: Buffer): void {
    const fd = this.files.withRoom(() => openSync(path, 'w', 0o644));
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    } finally {
      closeSync(fd);
    }
  }

  private added(offset: number): void {
    if (this.offsets.includes(offset)) return;
    this.offsets = [...this.offsets, offset].sort((a, b) => a - b);
  }

  /** A snapshot that failed to load: renamed to `<name>.corrupt` (never deleted), and forgotten. */
  moveAside(offset: number): string | null {
    const path = this.path(offset);
    this.offsets = this.offsets.filter((o) => o !== offset);
    let target = `${path}.corrupt`;
    for (let n = 1; existsSync(target); n++) target = `${path}.corrupt.${n}`;
    try {
      renameSync(path, target);
      return target;
    } catch (err) {
      this.report(`cannot move ${path} aside: ${(err as Error).message}; deleting it`);
      this.unlink(snapshotFileName(offset));
      return null;
    }
  }

  /** Deletes the snapshots for which `drop` holds. */
  deleteWhere(drop: (offset: number) => boolean): void {
    if (this.offsets.length === 0) return;
    const kept: number[] = [];
    for (const o of this.offsets) {
      if (drop(o)) this.unlink(snapshotFileName(o));
      else kept.push(o);
    }
    if (kept.length !== this.offsets.length) this.offsets = kept.length === 0 ? (NONE as number[]) : kept;
  }

  /**
   * `deleteWhere` with the files unlinked later: forgotten now (never listed
   * or loaded again by this process), removed by a background job. A log's
   * open after a crash drops the snapshots past its verified segments; one
   * unlink per partition at 1-2 ms on a busy disk made a start on 10,000
   * partitions wait 10-20 s for its first answer (make bench-scale). A crash
   * before the job runs leaves the file, which that next open drops again.
   */
  deleteLater(drop: (offset: number) => boolean): void {
    if (this.later === undefined) return this.deleteWhere(drop);
    if (this.offsets.length === 0) return;
    const kept: number[] = [];
    for (const o of this.offsets) {
      if (!drop(o)) { kept.push(o); continue; }
      (this.doomed ??= new Set()).add(o);
      this.later(() => { if (this.doomed?.delete(o)) this.unlink(snapshotFileName(o)); });
    }
    if (kept.length !== this.offsets.length) this.offsets = kept.length === 0 ? (NONE as number[]) : kept;
  }

  private unlink(name: string): void {
    try { unlinkSync(join(this.dir, name)); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(`cannot delete ${join(this.dir, name)}: ${(err as Error).message}`);
    }
  }
}
