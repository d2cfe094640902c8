/**
 * The options of a JAAS login module line, as Kafka's sasl.jaas.config holds
 * them: `<LoginModule class> required key="value" key2=value2;`. Samsa reads
 * only the options: PLAIN users (user_<name>="<password>") and the
 * username/password the broker itself presents to other brokers.
 */
import { ConfigError } from '../config/broker-config.js';

export function jaasOptions(text: string, setting: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.trim().replace(/;\s*$/, '');
  if (body === '') return out;
  const m = /^\S+\s+(required|requisite|sufficient|optional)\b(.*)$/s.exec(body);
  if (!m) throw new ConfigError(`${setting}: expected '<LoginModule> required key="value" ...;', got ${text.slice(0, 60)}`);
  const rest = m[2]!;
  const option = /\s*([A-Za-z_][\w.-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/gy;
  let at = 0;
  for (;;) {
    option.lastIndex = at;
    const o = option.exec(rest);
    if (!o) break;
    out.set(o[1]!, o[2] !== undefined ? o[2].replace(/\\(.)/g, '$1') : o[3]!);
    at = option.lastIndex;
  }
  if (rest.slice(at).trim() !== '') throw new ConfigError(`${setting}: cannot read the options from '${rest.slice(at).trim().slice(0, 40)}' (expected key="value")`);
  return out;
}

/** PLAIN users: user_<name>="<password>" options. */
export function plainUsers(options: Map<string, string>): Map<string, string> {
  const users = new Map<string, string>();
  for (const [k, v] of options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  return users;
}
