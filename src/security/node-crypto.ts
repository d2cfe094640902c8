/**
 * node:crypto, loaded by its first use. Loading it compiles a dozen of Node's
 * internal modules, ~4 ms of a broker's start-up, and a broker needs it only
 * when a client authenticates (SASL) or a TLS listener or setting is read.
 */
import { createRequire } from 'node:module';

let loaded: typeof import('node:crypto') | undefined;

export const nodeCrypto = (): typeof import('node:crypto') => (loaded ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
