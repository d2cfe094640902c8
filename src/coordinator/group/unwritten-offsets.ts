/**
 * Offset commits accepted but not yet written to __consumer_offsets.
 *
 * The coordinator applies a commit to the group at once, so the next write
 * (another commit, OffsetDelete, expiry, DeleteGroups) sees it, as Kafka's
 * coordinator applies records before they are committed. Reads that answer
 * clients (OffsetFetch) must not: Kafka reads at the last committed offset of
 * the partition, and a commit shown before it is written would seem to go
 * backwards if the coordinator failed in between (the chaos checker saw
 * exactly that). Per partition with commits in flight this keeps what was
 * last written, which readers see instead.
 */
import type { CommittedOffset } from './classic-group.js';

type Offsets = Map<string, Map<number, CommittedOffset>>;

interface InFlight {
  topic: string;
  partition: number;
  /** The partition's offset as last written (undefined: none). */
  written: CommittedOffset | undefined;
  count: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}\0${partition}`;

export class UnwrittenOffsets {
  private readonly byGroup = new Map<string, Map<string, InFlight>>();

  /**
   * Marks the commit of `offsets` to `group` (its offsets before the commit is
   * applied) as in flight; the returned function settles it once the write
   * ends, rolling the group back to what was written when it failed (unless a
   * later commit replaced the value meanwhile).
   */
  begin(groupId: string, group: Offsets, offsets: readonly { topic: string; partition: number; offset: CommittedOffset }[]): (written: boolean) => void {
    let pending = this.byGroup.get(groupId);
    if (!pending) this.byGroup.set(groupId, (pending = new Map()));
    const entries = offsets.map((o) => {
      const k = keyOf(o.topic, o.partition);
      let e = pending.get(k);
      if (!e) pending.set(k, (e = { topic: o.topic, partition: o.partition, written: group.get(o.topic)?.get(o.partition), count: 0 }));
      e.count++;
      return e;
    });
    return (written) => {
      offsets.forEach((o, i) => {
        const e = entries[i]!;
        e.count--;
        if (written) {
          e.written = o.offset;
        } else {
          const t = group.get(o.topic);
          if (t?.get(o.partition) === o.offset) {
            if (e.written) t.set(o.partition, e.written);
            else { t.delete(o.partition); if (t.size === 0) group.delete(o.topic); }
          }
        }
        const k = keyOf(o.topic, o.partition);
        if (e.count === 0 && pending.get(k) === e) pending.delete(k);
      });
      if (pending.size === 0 && this.byGroup.get(groupId) === pending) this.byGroup.delete(groupId);
    };
  }

  /** Forgets the group's commits in flight (deleted, or its offsets deleted): readers see its offsets as they are now. */
  forget(groupId: string, topic?: string, partition?: number): void {
    if (topic === undefined || partition === undefined) { this.byGroup.delete(groupId); return; }
    const pending = this.byGroup.get(groupId);
    pending?.delete(keyOf(topic, partition));
    if (pending?.size === 0) this.byGroup.delete(groupId);
  }

  /** The group's offsets as written: `group` itself when nothing is in flight, else a copy with the written values. */
  visible(groupId: string, group: Offsets): Offsets {
    const pending = this.byGroup.get(groupId);
    if (!pending) return group;
    const view: Offsets = new Map([...group].map(([t, parts]) => [t, new Map(parts)]));
    for (const e of pending.values()) {
      const parts = view.get(e.topic) ?? new Map<number, CommittedOffset>();
      if (e.written) parts.set(e.partition, e.written);
      else parts.delete(e.partition);
      if (parts.size > 0) view.set(e.topic, parts);
      else view.delete(e.topic);
    }
    return view;
  }
}
