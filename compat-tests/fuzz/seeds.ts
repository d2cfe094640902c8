/**
 * Valid request frames to mutate: seeded random requests for every API and
 * version the broker serves (the registry), built from the specs and encoded
 * with the generated encoders, and the frames real clients sent, captured in
 * test/fixtures/captures. Frames here carry no size prefix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpecs } from '../../src/wire/codegen/main.js';
import type { MessageSpec } from '../../src/wire/codegen/spec.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { CODECS } from '../../src/wire/generated/index.js';
import { requestHeaderVersion } from '../../src/wire/generated/api-keys.js';
import { encodeRequestHeader } from '../../src/wire/generated/request-header.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';
import { randomMessage, type Rng } from '../../test/wire/helpers/random-message.js';
import { steer } from './steer.js';

export const SPEC_DIR = '../shared/kafka-protocol/messages';
const CAPTURES = 'test/fixtures/captures';

/** Chance that a seed frame is a real client's capture (when one of that API was captured) rather than a generated request. */
const CAPTURE_SHARE = 0.25;
/** Chance that a generated request is steered toward the shared vocabulary (steer.ts). */
const STEERED = 0.8;

export class Seeds {
  private readonly specs = new Map<number, MessageSpec>();
  /** Captured frames by API key: header (correlation id at bytes 4-7) and body. */
  readonly captures = new Map<number, Buffer[]>();

  constructor(specDir = SPEC_DIR) {
    for (const s of loadSpecs(specDir)) if (s.type === 'request' && s.apiKey !== undefined) this.specs.set(s.apiKey, s);
    const manifest = join(CAPTURES, 'manifest.json');
    if (existsSync(manifest)) {
      for (const m of JSON.parse(readFileSync(manifest, 'utf8')) as { file: string; apiKey: number }[]) {
        const list = this.captures.get(m.apiKey) ?? [];
        list.push(readFileSync(join(CAPTURES, m.file)));
        this.captures.set(m.apiKey, list);
      }
    }
  }

  /** One valid request frame with the given correlation id, of an API picked uniformly from the registry. */
  frame(rng: Rng, correlationId: number): Buffer {
    const h = rng.pick(HANDLERS);
    const captured = this.captures.get(h.apiKey);
    if (captured && rng.bool(CAPTURE_SHARE)) {
      const f = Buffer.from(rng.pick(captured));
      f.writeInt32BE(correlationId, 4);
      return f;
    }
    return this.request(rng, h.apiKey, rng.int(h.minVersion, h.maxVersion), correlationId);
  }

  /** A seeded random request of one API at one version, steered toward the broker's deeper paths. */
  request(rng: Rng, apiKey: number, version: number, correlationId: number): Buffer {
    const spec = this.specs.get(apiKey);
    if (!spec) throw new Error(`no request spec for API key ${apiKey}`);
    const msg = randomMessage(spec, version, rng);
    // Some requests keep their random values throughout: huge counts and timeouts, names nobody uses.
    if (rng.bool(STEERED)) steer(msg, rng);
    const w = new Writer(256);
    const clientId = rng.pick(['fuzz', 'fuzz', '', null, 'ü-client']);
    encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId }, requestHeaderVersion(apiKey, version));
    CODECS[apiKey]!.request.encode(w, msg as never, version);
    return w.toBuffer();
  }
}
