// The start-up baseline (bench/lib/startup.ts): a bare Node process that listens on the port it is given, nothing else.
import { createServer } from 'node:net';
createServer((sock) => sock.destroy()).listen(Number(process.argv[2]), '127.0.0.1');
