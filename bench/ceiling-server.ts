/**
 * The ceiling: the least work any broker must do per request. Reads
 * 4-byte-length frames off one TCP connection and computes CRC32C over each,
 * nothing else. Prints its port, then the bytes it saw when the client closes.
 */
import { createServer } from 'node:net';
import { crc32c } from '@node-rs/crc32';

const server = createServer((sock) => {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  sock.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    let buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    let at = 0;
    while (buf.length - at >= 4) {
      const size = buf.readInt32BE(at);
      if (buf.length - at - 4 < size) break;
      crc32c(buf.subarray(at + 4, at + 4 + size));
      total += size + 4;
      at += size + 4;
    }
    buf = buf.subarray(at);
    pending = buf.length ? [buf] : [];
    pendingBytes = buf.length;
  });
  sock.on('end', () => { sock.end(`${total}\n`); });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
