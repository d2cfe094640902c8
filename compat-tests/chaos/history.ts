/** Every ack, read and fault of a chaos run with its time, kept in memory and written out (JSON lines) when a check fails. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Event { t: number; type: string; [k: string]: unknown }

export class History {
  readonly events: Event[] = [];
  private readonly t0 = Date.now();
  add(type: string, fields: Record<string, unknown> = {}): void {
    this.events.push({ t: Date.now() - this.t0, type, ...fields });
  }
  count(type: string): number { return this.events.reduce((n, e) => n + (e.type === type ? 1 : 0), 0); }
  /** Writes history.jsonl (and any extra files) into a fresh directory under the OS temp dir; returns the directory. */
  save(extra: Record<string, string> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-chaos-'));
    writeFileSync(join(dir, 'history.jsonl'), this.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
    return dir;
  }
}
