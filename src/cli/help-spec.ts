/**
 * What a command is made of, for its parser and its help at once: each
 * command's flags are declared here once (long name, one-letter alias, what
 * its value is, one line of help), the parser takes its spec from that list
 * and `samsa help` prints the same list, so a flag cannot be accepted without
 * being documented.
 */
import { parseFlags, type FlagSpec, type ParsedFlags } from './cli-flags.js';

export interface FlagHelp {
  long: string;
  short?: string;
  /** value: the last given wins (f.list() still returns every one); list: repeatable and comma-separated; switch: no value. */
  kind: 'value' | 'switch' | 'list';
  /** The value's placeholder in help (N, KEY=VALUE, ...). */
  arg?: string;
  help: string;
}

export interface CommandHelp {
  /** The words that select it: "topic consume". */
  name: string;
  /** Operands after the name: "TOPIC...". */
  operands: string;
  summary: string;
  flags: readonly FlagHelp[];
  /** Takes the connection flags (--bootstrap, TLS, SASL). */
  connection: boolean;
  /** Extra paragraphs: formats, offsets, ... */
  details?: string;
  examples: readonly string[];
}

/** The connection flags every Kafka-protocol command takes (client-options.ts reads them). */
export const CONNECTION_FLAGS: readonly FlagHelp[] = [
  { long: 'bootstrap', kind: 'value', arg: 'HOST:PORT[,HOST:PORT]', help: 'brokers to connect to (default $SAMSA_BOOTSTRAP, else 127.0.0.1:9092)' },
  { long: 'command-config', kind: 'value', arg: 'FILE', help: 'Kafka client properties: security.protocol, sasl.mechanism, sasl.jaas.config (or sasl.username/sasl.password), ssl.truststore.location (PEM), ssl.keystore.location, ...' },
  { long: 'user-auth', kind: 'value', arg: 'USER:PASSWORD', help: 'SASL login (SASL_PLAINTEXT; SASL_SSL with --tls)' },
  { long: 'sasl-mechanism', kind: 'value', arg: 'M', help: 'PLAIN (default), SCRAM-SHA-256 or SCRAM-SHA-512' },
  { long: 'tls', kind: 'switch', help: 'connect over TLS' },
  { long: 'ca', kind: 'value', arg: 'FILE', help: 'PEM CA certificates to trust (implies --tls)' },
];

/** --format for the admin commands' output. */
export const OUTPUT_FORMAT_FLAG: FlagHelp = { long: 'format', kind: 'value', arg: 'table|json', help: 'output as aligned columns (default) or JSON' };

/** The parser's spec for a command: its own flags plus the connection flags. */
export function flagSpec(cmd: CommandHelp): { spec: FlagSpec; short: Record<string, string> } {
  const spec: Record<string, 'value' | 'switch' | 'list'> = {};
  const short: Record<string, string> = {};
  for (const f of [...cmd.flags, ...(cmd.connection ? CONNECTION_FLAGS : [])]) {
    spec[f.long] = f.kind;
    if (f.short) short[f.short] = f.long;
  }
  return { spec, short };
}

export function parseCommandFlags(cmd: CommandHelp, args: readonly string[]): ParsedFlags {
  const { spec, short } = flagSpec(cmd);
  return parseFlags(args, spec, short);
}
