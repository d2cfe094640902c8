/**
 * Sends fuzz cases over one raw socket at a time and judges what comes back
 * against the prediction (framing.ts):
 *
 * - every response frame is well formed: its size covers a response header
 *   and a body that the generated decoder reads at the request's version with
 *   no byte left over, and its correlation id is that of the next request
 *   still owed an answer (responses come in request order; one that skips a
 *   request owed an answer is a finding too);
 * - the connection closes only where the prediction says it must (a frame
 *   that does not decode, a bad size, a client that hung up mid-frame);
 * - a case ends within a deadline: requests that may wait by design (Fetch
 *   max wait, JoinGroup and SyncGroup waiting for other members) are given up
 *   on after `parkMs` ("parked"); anything else still unanswered after
 *   `hangMs` is a hang.
 *
 * The socket is kept for the next case when the last one left it clean.
 */
import { connect, type Socket } from 'node:net';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import type { FuzzCase } from './cases.js';
import type { PredictedFrame } from './framing.js';
import { decodeResponse } from './responses.js';

/** APIs whose answer may legitimately take as long as the request asks (a wait or other members). */
const MAY_WAIT = new Set<number>([ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.SyncGroup]);

export interface Finding { kind: string; detail: string; fuzzCase: FuzzCase }

export interface CaseResult {
  outcome: 'answered' | 'closed' | 'parked' | 'hung';
  findings: Finding[];
  /** Response frames received. */
  responses: number;
}

export interface Timing { parkMs: number; hangMs: number }

export class FuzzWorker {
  private socket: Socket | undefined;

  constructor(private readonly port: number, private readonly timing: Timing) {}

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async connected(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(this.port, '127.0.0.1', () => { sock.off('error', reject); resolve(sock); });
      sock.once('error', reject);
    });
    s.setNoDelay(true);
    s.on('error', () => {}); // resets are outcomes here, seen as 'close'
    this.socket = s;
    return s;
  }

  async run(c: FuzzCase): Promise<CaseResult> {
    const s = await this.connected();
    const { frames, end } = c.prediction;
    const queue: PredictedFrame[] = [...frames];
    const expectClose = end === 'bad-size' || frames.some((f) => f.closes);
    // A stream that stops mid-frame, or one owed no answer, is ended by us: the broker must then close.
    const owed = frames.filter((f) => f.answered).length;
    const hangUp = !expectClose && (end === 'partial' || owed === 0);
    const mayWait = frames.some((f) => f.request !== undefined && !f.afterClose && MAY_WAIT.has(f.apiKey));
    // A failed acks=0 Produce closes the connection at once (the client sees nothing else), as
    // Kafka does; one behind a frame that closes the connection still runs, so it counts too.
    const mayClose = frames.some((f) => f.apiKey === ApiKey.Produce && (f.request as { acks?: number } | undefined)?.acks === 0);
    const findings: Finding[] = [];
    const find = (kind: string, detail: string) => findings.push({ kind, detail, fuzzCase: c });
    let responses = 0;
    let answered = 0;
    let buf: Buffer = Buffer.alloc(0);

    return new Promise<CaseResult>((resolve) => {
      let settled = false;
      const settle = (outcome: CaseResult['outcome']) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.off('data', onData);
        s.off('close', onClose);
        if (outcome !== 'answered') this.close();
        resolve({ outcome, findings, responses });
      };
      const onResponse = (frame: Buffer) => {
        responses++;
        const cid = frame.length >= 4 ? frame.readInt32BE(0) : NaN;
        while (queue.length > 0 && !(queue[0]!.answered && queue[0]!.correlationId === cid)) {
          const skipped = queue.shift()!;
          if (skipped.answered) find('missing response', `no answer to API ${skipped.apiKey} v${skipped.version} correlation ${skipped.correlationId} before the answer to correlation ${cid}`);
        }
        const req = queue.shift();
        if (!req) return find('unexpected correlation id', `a response with correlation id ${cid} (${frame.length} bytes) answers no request sent: ${frame.subarray(0, 64).toString('hex')}`);
        try {
          decodeResponse(req.apiKey, req.version, frame);
        } catch (err) {
          find('malformed response', `to API ${req.apiKey} v${req.version} correlation ${cid}: ${(err as Error).message}; response ${frame.subarray(0, 256).toString('hex')}`);
        }
        answered++;
        if (!expectClose && !hangUp && answered === owed) settle('answered');
      };
      const onData = (d: Buffer) => {
        buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
        while (buf.length >= 4) {
          const size = buf.readInt32BE(0);
          if (size < 4) {
            find('malformed response', `response size prefix ${size}: ${buf.subarray(0, 64).toString('hex')}`);
            return settle('closed');
          }
          if (buf.length < 4 + size) return;
          const frame = buf.subarray(4, 4 + size);
          buf = buf.subarray(4 + size);
          onResponse(frame);
          if (settled) return;
        }
      };
      const onClose = () => {
        if (buf.length > 0) find('malformed response', `the connection closed inside a response frame: ${buf.subarray(0, 64).toString('hex')}`);
        if (!expectClose && !hangUp && !mayClose) {
          const left = queue.filter((f) => f.answered).map((f) => `API ${f.apiKey} v${f.version} correlation ${f.correlationId}`);
          find('unexpected close', `the broker closed the connection with ${left.length} decodable request(s) unanswered: ${left.join('; ')}`);
        } else if (frames.some((f) => f.closes) && !mayClose && end !== 'bad-size') {
          // Requests before the one that does not decode are still answered (a bad size, read at once, drops what is in flight).
          const before = frames.slice(0, frames.findIndex((f) => f.closes)).filter((f) => f.answered && queue.includes(f));
          if (before.length > 0) find('lost response', `closed without answering ${before.map((f) => `API ${f.apiKey} v${f.version} correlation ${f.correlationId}`).join('; ')} sent before the frame that closes it`);
        }
        settle('closed');
      };
      const timer = setTimeout(() => {
        if (mayWait) return settle('parked');
        find('hang', `no answer and no close after ${this.timing.hangMs} ms (${answered}/${owed} answers, ${expectClose ? 'a close' : hangUp ? 'a close after our FIN' : 'answers'} expected)`);
        settle('hung');
      }, mayWait ? this.timing.parkMs : this.timing.hangMs);
      s.on('data', onData);
      s.on('close', onClose);
      // After a bad size we end our side too: a size just below a header's may be refused at
      // once or read as a frame whose body never comes, and either way the broker must close.
      void this.write(s, c.writes, hangUp || end === 'bad-size');
    });
  }

  /** Writes the chunks, yielding to the event loop between them so they leave as separate TCP segments. */
  private async write(s: Socket, writes: Buffer[], hangUp: boolean): Promise<void> {
    for (const [i, w] of writes.entries()) {
      if (s.destroyed) return;
      if (i > 0) await new Promise((r) => setTimeout(r, 1));
      s.write(w);
    }
    if (hangUp && !s.destroyed) s.end();
  }
}

/**
 * The smallest frame size the broker's connection hands to its dispatcher:
 * an ApiVersions frame at a version it does not serve is answered once it
 * reaches the dispatcher, so 8 and 9 byte ones (no room for a client id) tell
 * whether sizes below a full header (10 bytes) are refused by the connection.
 */
export async function probeMinRequestBytes(port: number): Promise<number> {
  for (const size of [8, 9]) {
    const frame = Buffer.alloc(4 + size);
    frame.writeInt32BE(size, 0);
    frame.writeInt16BE(ApiKey.ApiVersions, 4);
    frame.writeInt16BE(-1, 6);
    frame.writeInt32BE(1, 8);
    const answered = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(frame));
      s.on('data', () => { s.destroy(); resolve(true); });
      s.on('close', () => resolve(false));
      s.on('error', () => {});
    });
    if (answered) return size;
  }
  return 10;
}
