/**
 * The protocol fuzzer: seeded random and mutated frames for every API and
 * version the broker serves (cases.ts), sent over several raw sockets to one
 * broker running in this process, while a well-behaved kafkajs client keeps
 * producing and consuming on its own connections (steady-client.ts).
 *
 * It holds the broker to DESIGN.md's "bad bytes from a client never crash the
 * broker or touch another client":
 * - the broker stays up (it runs in this process: an uncaught exception fails
 *   the test, and the cases in flight are logged first);
 * - every response frame is well formed and answers a request sent, in order,
 *   and connections close only where a frame does not decode (fuzz-worker.ts);
 * - nothing hangs; the steady client gets every answer within its deadline;
 * - the broker logs no error (a handler fault or an unencodable response is a bug);
 * - RSS stays within RSS_HEADROOM_BYTES of where it started.
 *
 * Every finding is logged with its seed, case index and bytes (hex), and
 * FUZZ_SEED=<seed> FUZZ_CASE=<index> replays that case alone.
 *
 * Settings (env): the default is the short seeded run `make test` does
 * (SHORT_RUN_CASES cases, at most SHORT_RUN_SECONDS); FUZZ_SECONDS=<n> runs
 * for n seconds instead (`make fuzz`: 10 minutes, a fresh seed unless
 * FUZZ_SEED is given); FUZZ_WORKERS sets the number of raw sockets.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { testBroker } from '../helpers/broker.js';
import { Seeds, SPEC_DIR } from './seeds.js';
import { describeCase, makeCase, type FuzzCase } from './cases.js';
import { FuzzWorker, probeMinRequestBytes, type Finding, type Timing } from './fuzz-worker.js';
import { SteadyClient } from './steady-client.js';

/** How far RSS may grow above where it started. Generous for now; tighten as memory bounds land. */
const RSS_HEADROOM_BYTES = 1.5 * 2 ** 30;
const SHORT_RUN_CASES = 10_000;
const SHORT_RUN_SECONDS = 40;
const SHORT_RUN_SEED = 20_240_611;
/** A steady-client round (produce with acks=all, then consume it) slower than this is a finding. */
const STEADY_DEADLINE_MS = 10_000;
const TIMING: Timing = { parkMs: 1000, hangMs: 10_000 };

const env = process.env;
const seconds = Number(env.FUZZ_SECONDS ?? 0);
const onlyCase = env.FUZZ_CASE !== undefined ? Number(env.FUZZ_CASE) : undefined;
const seed = env.FUZZ_SEED !== undefined ? Number(env.FUZZ_SEED) >>> 0 : seconds > 0 && onlyCase === undefined ? Math.floor(Math.random() * 2 ** 32) : SHORT_RUN_SEED;
const maxCases = onlyCase !== undefined ? 1 : seconds > 0 ? Infinity : SHORT_RUN_CASES;
const runMs = (seconds > 0 ? seconds : SHORT_RUN_SECONDS) * 1000;
const workers = Number(env.FUZZ_WORKERS ?? 8);

/** One error line the broker logged, with the cases in flight when it did. */
interface BrokerError { message: string; inFlight: FuzzCase[] }

const firstLine = (s: string) => s.split('\n')[0]!;

t.test(`protocol fuzz (seed ${seed})`, {
  skip: !existsSync(SPEC_DIR) ? `${SPEC_DIR} is not here` : env.BROKER ? 'fuzzes the broker in this process, not BROKER' : false,
}, async (t) => {
  const b = await testBroker(t, { 'group.initial.rebalance.delay.ms': '0' });
  const sizes = { min: await probeMinRequestBytes(b.port), max: b.samsa!.context.config.int('socket.request.max.bytes') };
  const seeds = new Seeds();
  const inFlight = new Map<number, FuzzCase>();

  // The broker's error log lines are findings; its warnings (closed connections) are tallied.
  const brokerErrors: BrokerError[] = [];
  const closeReasons = new Map<string, number>();
  const log = b.samsa!.context.log;
  log.error = (message: string) => { brokerErrors.push({ message, inFlight: [...inFlight.values()] }); };
  const warnings: string[] = [];
  log.warn = (message: string) => {
    if (onlyCase !== undefined) warnings.push(message);
    const reason = message.replace(/^closing connection \d+ from [^:]+:\d+: /, '').replace(/\d+/g, 'N').slice(0, 70);
    closeReasons.set(reason, (closeReasons.get(reason) ?? 0) + 1);
  };
  const onCrash = (err: Error) => {
    process.stderr.write(`FUZZ CRASH (seed ${seed}): ${err?.stack ?? err}\ncases in flight:\n${[...inFlight.values()].map(describeCase).join('\n')}\n`);
  };
  process.on('uncaughtExceptionMonitor', onCrash);
  t.teardown(() => { process.off('uncaughtExceptionMonitor', onCrash); });

  if (onlyCase !== undefined) {
    const c = makeCase(seeds, seed, onlyCase, sizes);
    t.comment(`case ${onlyCase}:\n${describeCase(c)}`);
    for (const f of c.prediction.frames) t.comment(`  predicted: API ${f.apiKey} v${f.version} correlation ${f.correlationId} ${f.closes ? 'closes' : f.answered ? 'answered' : 'no answer'}`);
    t.comment(`  stream end: ${c.prediction.end}`);
    const w = new FuzzWorker(b.port, TIMING);
    inFlight.set(c.index, c);
    const r = await w.run(c);
    w.close();
    t.comment(`outcome: ${r.outcome}, ${r.responses} responses; broker warned: ${warnings.join('; ') || 'nothing'}`);
    t.same(r.findings.map((f) => `${f.kind}: ${f.detail}`), [], 'no findings');
    t.same(brokerErrors.map((e) => firstLine(e.message)), [], 'the broker logged no error');
    return;
  }

  const steady = await SteadyClient.start(b.bootstrap, `fuzz-steady-${seed}`, 'fuzz-steady-group', STEADY_DEADLINE_MS);
  steady.run();
  t.teardown(() => steady.stop());

  const startRss = process.memoryUsage().rss;
  let maxRss = startRss;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, process.memoryUsage().rss); }, 250);

  const findings: Finding[] = [];
  const outcomes = { answered: 0, closed: 0, parked: 0, hung: 0 };
  let frames = 0;
  let decoded = 0;
  const apis = new Set<number>();
  let responses = 0;
  let next = 0;
  const started = Date.now();
  const stopAt = started + runMs;
  let failed = false;
  await Promise.all(Array.from({ length: workers }, async () => {
    const w = new FuzzWorker(b.port, TIMING);
    t.teardown(() => w.close());
    while (next < maxCases && Date.now() < stopAt && findings.length < 100 && !failed) {
      let c: FuzzCase;
      try {
        c = makeCase(seeds, seed, next++, sizes);
      } catch (err) {
        failed = true; // a bug in the fuzzer: stop all workers so the test reports it at once
        throw err;
      }
      inFlight.set(c.index, c);
      const r = await w.run(c);
      inFlight.delete(c.index);
      outcomes[r.outcome]++;
      frames += c.prediction.frames.length;
      for (const f of c.prediction.frames) if (f.request !== undefined) { decoded++; apis.add(f.apiKey * 100 + f.version); }
      responses += r.responses;
      findings.push(...r.findings);
    }
    w.close();
  }));
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  await steady.stop();

  const cases = next;
  t.comment(`seed ${seed}: ${cases} cases, ${frames} frames, ${responses} responses in ${elapsed.toFixed(1)} s ` +
    `(${(frames / elapsed).toFixed(0)} frames/s, ${workers} sockets); outcomes ${JSON.stringify(outcomes)}`);
  t.comment(`${decoded} frames reached a handler, covering ${apis.size} API versions; ${b.samsa!.context.metadata.topics().length} topics at the end`);
  t.comment(`steady client: ${steady.stats.rounds} rounds, slowest ${steady.stats.maxRoundMs} ms; RSS ${mb(startRss)} -> max ${mb(maxRss)} MiB`);
  t.comment(`connections closed by the broker, by reason: ${[...closeReasons].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([r, n]) => `\n  ${n} x ${r}`).join('')}`);
  if (seconds === 0 && cases < SHORT_RUN_CASES) t.comment(`the short run stopped at ${SHORT_RUN_SECONDS} s after ${cases} of ${SHORT_RUN_CASES} cases`);

  for (const f of findings) process.stderr.write(`FUZZ FINDING ${f.kind} (seed ${seed}, case ${f.fuzzCase.index}): ${f.detail}\n${describeCase(f.fuzzCase)}\n`);
  const culprits = await blameErrors(brokerErrors, b.port, () => brokerErrors.length);
  for (const c of culprits) process.stderr.write(`FUZZ FINDING broker error (seed ${seed}): ${c}\n`);

  t.same(findings.slice(0, 20).map((f) => `${f.kind} (case ${f.fuzzCase.index}): ${f.detail.slice(0, 300)}`), [], 'every response well formed, every close expected, nothing hung');
  t.same(culprits.map(firstLine), [], 'the broker logged no error');
  t.same(steady.stats.failures, [], `the steady client got every answer within ${STEADY_DEADLINE_MS} ms`);
  t.ok(steady.stats.rounds > 0, 'the steady client kept working');
  t.ok(maxRss - startRss < RSS_HEADROOM_BYTES, `RSS grew by ${mb(maxRss - startRss)} MiB (bound ${mb(RSS_HEADROOM_BYTES)} MiB)`);
});

const mb = (n: number) => (n / 2 ** 20).toFixed(0);

/**
 * Names the case behind each distinct broker error: replays, alone, each case
 * that was in flight when it was logged, and keeps the first that logs again.
 */
async function blameErrors(errors: BrokerError[], port: number, errorCount: () => number): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of [...errors]) {
    const key = firstLine(e.message).replace(/\d+/g, 'N');
    if (seen.has(key)) continue;
    seen.add(key);
    let blamed: FuzzCase | undefined;
    for (const c of e.inFlight) {
      const before = errorCount();
      const w = new FuzzWorker(port, TIMING);
      await w.run(c);
      w.close();
      if (errorCount() > before) { blamed = c; break; }
    }
    const who = blamed ? `case ${blamed.index} reproduces it alone:\n${describeCase(blamed)}` : `not reproduced alone; cases in flight:\n${e.inFlight.map(describeCase).join('\n')}`;
    out.push(`${e.message}\n${who}`);
  }
  return out;
}
