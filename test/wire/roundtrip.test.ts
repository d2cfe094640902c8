/**
 * Every API key x every valid version (unstable ones included) x {request,
 * response}, plus the header specs and the `data` specs over their versions:
 * a seeded random value built from the spec model encodes through the CODECS
 * table, decodes with every byte consumed, comes back equal in every field it
 * set, and the decoded value re-encodes to identical bytes.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSpecs } from '../../src/wire/codegen/main.js';
import type { MessageSpec } from '../../src/wire/codegen/spec.js';
import * as generated from '../../src/wire/generated/index.js';
import { CODECS, API_SPECS } from '../../src/wire/generated/index.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { randomMessage, versionsOf, diffWhereSet, Rng } from './helpers/random-message.js';

const SPECS = resolve(process.cwd(), '../shared/kafka-protocol/messages');
const ROUNDS = Number(process.env.ROUNDTRIP_ROUNDS ?? 4);

type Enc = (w: Writer, m: unknown, v: number) => void;
type Dec = (r: Reader, v: number) => unknown;

function codecFor(spec: MessageSpec): { encode: Enc; decode: Dec } {
  if (spec.apiKey !== undefined) {
    const c = CODECS[spec.apiKey]?.[spec.type as 'request' | 'response'];
    if (!c) throw new Error(`CODECS has no ${spec.type} for api key ${spec.apiKey}`);
    return { encode: c.encode as unknown as Enc, decode: c.decode as Dec };
  }
  const mod = generated as unknown as Record<string, unknown>;
  const encode = mod[`encode${spec.name}`] as Enc | undefined;
  const decode = mod[`decode${spec.name}`] as Dec | undefined;
  if (!encode || !decode) throw new Error(`index.ts exports no codec for ${spec.name}`);
  return { encode, decode };
}

/** One round trip; returns a description of the first problem, or null. */
function roundTrip(spec: MessageSpec, v: number, value: Record<string, unknown>): string | null {
  const { encode, decode } = codecFor(spec);
  const w = new Writer();
  encode(w, value, v);
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  const back = decode(r, v);
  if (r.remaining() !== 0) return `decoder left ${r.remaining()} of ${bytes.length} bytes unread`;
  const diff = diffWhereSet(value, back);
  if (diff) return `field ${diff}`;
  const w2 = new Writer();
  encode(w2, back, v);
  const again = w2.toBuffer();
  if (!again.equals(bytes)) {
    let at = 0;
    while (at < bytes.length && bytes[at] === again[at]) at++;
    return `re-encoding the decoded value differs at byte ${at} (${bytes.length} vs ${again.length} bytes)`;
  }
  return null;
}

t.test('every message round-trips at every version', { skip: existsSync(SPECS) ? false : `no specs at ${SPECS}` }, async (t) => {
  const specs = loadSpecs(SPECS);
  // The total, from the spec files alone: each spec over its validVersions.
  const expected = specs.reduce((n, s) => n + (s.validVersions.hi - s.validVersions.lo + 1), 0);
  const apiSpecs = specs.filter((s) => s.apiKey !== undefined);
  t.equal(apiSpecs.length, 2 * API_SPECS.length, 'a request and a response spec per API');
  t.equal(CODECS.length, API_SPECS.length, 'a CODECS entry per API key');

  let covered = 0;
  const failures: string[] = [];
  const rng = new Rng(20261124);
  for (const spec of specs) {
    for (const v of versionsOf(spec)) {
      let problem: string | null = null;
      for (let round = 0; round < ROUNDS && !problem; round++) {
        const value = randomMessage(spec, v, rng);
        try {
          problem = roundTrip(spec, v, value);
        } catch (err) {
          problem = `${(err as Error).name}: ${(err as Error).message}`;
        }
        if (problem) problem = `${spec.name} v${v} (round ${round}): ${problem}`;
      }
      if (problem) failures.push(problem);
      else covered++;
    }
  }
  const byType = (ty: string) => specs.filter((s) => s.type === ty).reduce((n, s) => n + versionsOf(s).length, 0);
  t.comment(`covered ${covered} of ${expected} (message, version) combinations: ` +
    `${byType('request')} request + ${byType('response')} response + ${byType('header')} header + ${byType('data')} data, ${ROUNDS} random values each`);
  t.same(failures, [], 'no combination fails');
  t.equal(covered, expected, 'every (api, version, direction) combination and every header/data version is covered');
});

t.test('the generator is deterministic for a seed', { skip: existsSync(SPECS) ? false : `no specs at ${SPECS}` }, async (t) => {
  const spec = loadSpecs(SPECS).find((s) => s.name === 'FetchRequest')!;
  const a = randomMessage(spec, spec.validVersions.hi, new Rng(5));
  const b = randomMessage(spec, spec.validVersions.hi, new Rng(5));
  t.equal(diffWhereSet(a, b), null);
});
