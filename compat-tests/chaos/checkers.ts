/**
 * The checks at the end of a chaos run, on what the workloads recorded and on
 * the final logs (read back with kcat once every fault is healed and every ISR
 * is full). Each finding is one anomaly line; lost and duplicated are counted.
 */
import type { KcatMessage } from '../helpers/kcat.js';
import type { Records } from './workloads.js';

export interface Final {
  /** The data topic read back (all records; it has no transactions). */
  data: KcatMessage[];
  /** The transactional topic read back with read_uncommitted (aborted records too) and with read_committed. */
  txnAll: KcatMessage[];
  txnCommitted: KcatMessage[];
  /** High watermark per partition, by topic. */
  highWatermarks: Map<string, number[]>;
  /** Per topic-partition, each replica's batches (base:last:epoch:crc), by broker. */
  replicaBatches: Map<string, Map<number, string[]>>;
}

export interface Verdict {
  acked: number;
  lost: number;
  /** Values written more than once: by the idempotent producer (a bug) and by the non-idempotent one (allowed, reported). */
  duplicatedIdempotent: number;
  duplicatedPlain: number;
  anomalies: string[];
}

const MAX_LINES = 20;

export function check(rec: Records, fin: Final, topics: { data: string; txn: string }, idempotent: string, plain: string): Verdict {
  const anomalies: string[] = [];
  const note = (kind: string, lines: string[]) => {
    if (lines.length === 0) return;
    anomalies.push(`${kind}: ${lines.length}${lines.length > MAX_LINES ? ` (first ${MAX_LINES})` : ''}\n    ${lines.slice(0, MAX_LINES).join('\n    ')}`);
  };
  const at = new Map<string, string | null>();
  for (const m of fin.data) at.set(`${topics.data}:${m.partition}:${m.offset}`, m.payload);
  for (const m of fin.txnAll) at.set(`${topics.txn}:${m.partition}:${m.offset}`, m.payload);

  // 1. Every acknowledged record at its acknowledged offset.
  const lost: string[] = [];
  for (const a of rec.acks) {
    const topic = a.producer === 'tx' ? topics.txn : topics.data;
    const found = at.get(`${topic}:${a.partition}:${a.offset}`);
    if (found !== a.value) lost.push(`${a.producer} ${a.value} acked at ${topic}-${a.partition}@${a.offset}, found ${found === undefined ? 'nothing' : JSON.stringify(found)}`);
  }
  note('lost acknowledged records', lost);

  // 2. Duplicates by producer.
  const seen = new Map<string, number>();
  for (const m of fin.data) seen.set(m.payload ?? '', (seen.get(m.payload ?? '') ?? 0) + 1);
  const dups = (who: string) => [...seen].filter(([v, n]) => n > 1 && rec.sent.get(v) === who).map(([v, n]) => `${v} x${n}`);
  const dupIdem = dups(idempotent);
  const dupPlain = dups(plain);
  note(`values the idempotent producer ${idempotent} wrote more than once`, dupIdem);

  // 3. Offsets dense: the data topic has no control records, so its offsets are exactly 0..HW-1; the transactional one's only increase.
  const holes: string[] = [];
  const hws = fin.highWatermarks.get(topics.data) ?? [];
  hws.forEach((hw, p) => {
    const offs = fin.data.filter((m) => m.partition === p).map((m) => m.offset);
    const bad = offs.findIndex((o, i) => o !== i);
    if (bad >= 0 || offs.length !== hw) holes.push(`${topics.data}-${p}: ${offs.length} records below high watermark ${hw}${bad >= 0 ? `, offset ${offs[bad]} at position ${bad}` : ''}`);
  });
  for (let p = 0; p < (fin.highWatermarks.get(topics.txn) ?? []).length; p++) {
    const offs = fin.txnAll.filter((m) => m.partition === p).map((m) => m.offset);
    const bad = offs.findIndex((o, i) => i > 0 && o <= offs[i - 1]!);
    if (bad >= 0) holes.push(`${topics.txn}-${p}: offset ${offs[bad]} after ${offs[bad - 1]}`);
  }
  note('offsets not dense or not increasing', holes);

  // 4. Nothing read that was never sent; nothing a consumer read that the final log does not hold at that offset (it was never committed).
  const unsent: string[] = [];
  for (const m of [...fin.data, ...fin.txnAll]) if (!rec.sent.has(m.payload ?? '')) unsent.push(`${m.topic}-${m.partition}@${m.offset} ${JSON.stringify(m.payload)}`);
  for (const r of rec.reads) if (!rec.sent.has(r.value)) unsent.push(`${r.reader} read ${r.partition}@${r.offset} ${JSON.stringify(r.value)}`);
  note('values read that were never sent', unsent);
  const uncommitted: string[] = [];
  for (const r of rec.reads) {
    const topic = r.reader === 'txn-reader' ? topics.txn : topics.data;
    const found = at.get(`${topic}:${r.partition}:${r.offset}`);
    if (found !== r.value) uncommitted.push(`${r.reader} read ${r.value} at ${topic}-${r.partition}@${r.offset}; the final log has ${found === undefined ? 'nothing' : JSON.stringify(found)} there`);
  }
  note('reads of records the final log does not hold (never committed)', uncommitted);

  // 5. Transactions: no aborted value read committed; every committed value there.
  const abortedRead: string[] = [];
  for (const r of rec.reads) if (r.reader === 'txn-reader' && rec.txnValues.get(r.value) === 'aborted') abortedRead.push(`txn-reader read aborted ${r.value} at ${r.partition}@${r.offset}`);
  for (const m of fin.txnCommitted) if (rec.txnValues.get(m.payload ?? '') === 'aborted') abortedRead.push(`read_committed kcat read aborted ${m.payload} at ${m.partition}@${m.offset}`);
  note('aborted transactional values read with read_committed', abortedRead);
  const committedValues = new Set(fin.txnCommitted.map((m) => m.payload));
  const missingCommitted = [...rec.txnValues].filter(([v, o]) => o === 'committed' && !committedValues.has(v)).map(([v]) => v);
  note('committed transactional values missing from a read_committed read', missingCommitted);

  // 6. The group's committed offsets never go backwards.
  const backwards: string[] = [];
  const max = new Map<number, number>();
  for (const [t, p, o] of rec.committed) {
    const m = max.get(p);
    if (m !== undefined && o < m) backwards.push(`partition ${p}: committed ${o} after ${m} (at ${new Date(t).toISOString()})`);
    if (m === undefined || o > m) max.set(p, o);
  }
  note('committed offsets went backwards', backwards);

  // 7. All replicas end with the same log (same batches, so the same log end offset).
  const diverged: string[] = [];
  for (const [tp, byBroker] of fin.replicaBatches) {
    const logs = [...byBroker];
    const [b0, l0] = logs[0]!;
    for (const [b, l] of logs.slice(1)) {
      if (l.join() === l0.join()) continue;
      const i = l.findIndex((x, k) => x !== l0[k]);
      diverged.push(`${tp}: broker ${b} (${l.length} batches, ends ${l.at(-1) ?? '-'}) differs from broker ${b0} (${l0.length} batches, ends ${l0.at(-1) ?? '-'}) at batch ${i < 0 ? l.length : i}`);
    }
  }
  note('replicas differ', diverged);

  return { acked: rec.acks.length, lost: lost.length, duplicatedIdempotent: dupIdem.length, duplicatedPlain: dupPlain.length, anomalies };
}
