/**
 * The broker's logger writing to a real file descriptor (a temporary file in
 * place of stderr): the pretty line's shape and quoting, JSON lines that
 * parse with their fields and the child's bindings, levels (and changing one
 * later, as tests capturing the log do), pino loaded only for json, and the
 * --log-format / SAMSA_LOG_FORMAT option with its did-you-mean refusal.
 */
import t from 'tap';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type LogFormat, type LogLevel } from '../../src/broker/logger.js';
import { parseStartArgs } from '../../src/cli/start-args.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A logger writing to a fresh file; lines() reads back what it wrote. */
function fileLogger(t: { teardown(fn: () => void): void }, level: LogLevel, format: LogFormat): { log: Logger; lines: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-logger-'));
  const path = join(dir, 'log');
  const fd = openSync(path, 'a');
  t.teardown(() => { closeSync(fd); rmSync(dir, { recursive: true, force: true }); });
  return { log: new Logger(level, format, fd), lines: () => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') };
}

const pinoLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /[/\\]node_modules[/\\]pino[/\\]pino\.js$/.test(k));

t.test('pretty: time, padded level, message, then key=value fields and the bindings', async (t) => {
  const { log, lines } = fileLogger(t, 'debug', 'pretty');
  const broker = log.child({ broker: 0 });
  broker.info('topic created', { topic: 'orders', partitions: 3, internal: undefined });
  broker.warn('closing connection 7 from 127.0.0.1:5000: bad frame', { clientId: 'my app', address: '127.0.0.1:5000' });
  broker.error('plain');
  broker.debug('request', { api: 'Produce', durationMs: 0.25 });
  const got = lines();
  t.equal(got.length, 4, 'one line per event');
  const [first, second, third, fourth] = got.map((l) => ({ time: l.slice(0, l.indexOf(' ')), rest: l.slice(l.indexOf(' ') + 1) }));
  t.match(first!.time, ISO, 'an ISO 8601 time first');
  t.ok(Math.abs(Date.parse(first!.time) - Date.now()) < 60_000, 'and it is now');
  t.equal(first!.rest, 'INFO  topic created topic=orders partitions=3 broker=0', 'level padded to five, fields in order, undefined ones left out, bindings last');
  t.equal(second!.rest, 'WARN  closing connection 7 from 127.0.0.1:5000: bad frame clientId="my app" address=127.0.0.1:5000 broker=0', 'a value with a space is quoted');
  t.equal(third!.rest, 'ERROR plain broker=0');
  t.equal(fourth!.rest, 'DEBUG request api=Produce durationMs=0.25 broker=0');
  t.notOk(pinoLoaded(), 'the pretty format does not load pino');
});

t.test('pretty: values that would not split on spaces are JSON', async (t) => {
  const { log, lines } = fileLogger(t, 'info', 'pretty');
  log.info('m', {
    list: ['PLAINTEXT://127.0.0.1:9092', 'SSL://h:9093'], empty: [], mixed: ['a b', 'c'], obj: { 'retention.ms': '1000' },
    quote: 'say "hi"', eq: 'a=b', blank: '', nothing: null, yes: true, big: 12n, err: new Error('boom'),
  });
  t.equal(lines()[0]!.slice(25), 'INFO  m list=PLAINTEXT://127.0.0.1:9092,SSL://h:9093 empty=[] mixed=["a b","c"] obj={"retention.ms":"1000"} quote="say \\"hi\\"" eq="a=b" blank="" nothing=null yes=true big=12 err="boom"');
});

t.test('levels: lower ones are dropped; silent drops all; a level set later takes effect', async (t) => {
  const { log, lines } = fileLogger(t, 'warn', 'pretty');
  log.debug('d'); log.info('i'); log.warn('w'); log.error('e');
  t.same(lines().map((l) => l.slice(25)), ['WARN  w', 'ERROR e']);
  t.equal(log.enabled('info'), false);
  t.equal(log.enabled('warn'), true);
  t.equal(log.level, 'warn');
  log.level = 'debug';
  t.equal(log.enabled('debug'), true, 'enabled() follows the new level (the dispatcher asks it before building a request line)');
  log.debug('now');
  t.equal(lines().at(-1)!.slice(25), 'DEBUG now');
  const child = log.child({ broker: 1 });
  t.equal(child.level, 'debug', 'a child starts at its parent\'s level');
  child.level = 'silent';
  child.error('never');
  log.info('parent still logs');
  t.same(lines().slice(-1).map((l) => l.slice(25)), ['INFO  parent still logs'], 'a silent child writes nothing; its parent is unchanged');
});

t.test('json: one object per line with level name, ISO time, msg, fields and bindings', async (t) => {
  const { log, lines } = fileLogger(t, 'info', 'json');
  t.ok(pinoLoaded(), 'pino is loaded for json');
  const broker = log.child({ broker: 2 });
  broker.info('group rebalanced', { group: 'g', generation: 3, members: 2, memberIds: ['a', 'b'], protocol: 'range' });
  broker.warn('closing connection 1 from 10.0.0.1:4000: x', { clientId: null, address: '10.0.0.1:4000' });
  broker.debug('dropped');
  broker.error('failed', { err: new Error('disk gone') });
  log.info('no fields');
  const got = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(got.length, 4, 'the debug line is dropped at info');
  for (const o of got) {
    t.match(o.time, ISO, 'time is ISO 8601');
    t.notOk('pid' in o || 'hostname' in o, 'no pid or hostname');
  }
  t.match(got[0], { level: 'info', broker: 2, group: 'g', generation: 3, members: 2, memberIds: ['a', 'b'], protocol: 'range', msg: 'group rebalanced' });
  t.match(got[1], { level: 'warn', broker: 2, clientId: null, address: '10.0.0.1:4000', msg: 'closing connection 1 from 10.0.0.1:4000: x' });
  t.match(got[2], { level: 'error', msg: 'failed', err: { type: 'Error', message: 'disk gone', stack: /Error: disk gone\n\s+at / } });
  t.same(Object.keys(got[3]!).sort(), ['level', 'msg', 'time'], 'the root logger has no bindings');
});

t.test('json: several loggers on one descriptor keep whole lines', async (t) => {
  const { log, lines } = fileLogger(t, 'debug', 'json');
  const a = log.child({ broker: 0 });
  const b = log.child({ broker: 1 });
  for (let i = 0; i < 200; i++) (i % 2 ? a : b).debug('request', { i, pad: 'x'.repeat(i) });
  const got = lines().map((l) => JSON.parse(l) as { i: number; broker: number });
  t.same(got.map((o) => o.i), Array.from({ length: 200 }, (_, i) => i), 'every line, in order, each valid JSON');
  t.same(got.map((o) => o.broker), got.map((o) => (o.i % 2 ? 0 : 1)));
});

t.test('--log-format and SAMSA_LOG_FORMAT', async (t) => {
  t.equal(parseStartArgs([]).logFormat, 'pretty', 'pretty by default');
  t.equal(parseStartArgs(['--log-format', 'json']).logFormat, 'json');
  t.equal(parseStartArgs(['--log-format=pretty']).logFormat, 'pretty');
  const saved = process.env.SAMSA_LOG_FORMAT;
  t.teardown(() => { if (saved === undefined) delete process.env.SAMSA_LOG_FORMAT; else process.env.SAMSA_LOG_FORMAT = saved; });
  process.env.SAMSA_LOG_FORMAT = 'json';
  t.equal(parseStartArgs([]).logFormat, 'json', 'the environment variable sets it');
  t.equal(parseStartArgs(['--log-format', 'pretty']).logFormat, 'pretty', 'the flag wins over the environment');
  process.env.SAMSA_LOG_FORMAT = 'jsn';
  t.throws(() => parseStartArgs([]), /--log-format must be pretty or json, got jsn \(did you mean json\?\)/);
  delete process.env.SAMSA_LOG_FORMAT;
  t.throws(() => parseStartArgs(['--log-format', 'prety']), /got prety \(did you mean pretty\?\)/);
  t.throws(() => parseStartArgs(['--log-format', 'xml']), { name: 'ConfigError', message: /--log-format must be pretty or json, got xml$/ });
  t.throws(() => parseStartArgs(['--log-format']), /--log-format needs a value/);
});
