/**
 * `samsa dev-certs DIR [--host name ...] [--client name ...] [--days N] [--force]`:
 * a throwaway CA, a broker certificate for localhost (and the hosts given)
 * and client certificates for mTLS, for trying SSL and SASL_SSL listeners on
 * a laptop. Prints the files written and the settings to use them.
 */
import { ConfigError } from '../config/config-error.js';

export async function devCertsCommand(args: string[]): Promise<void> {
  let dir: string | undefined;
  const hosts: string[] = [];
  const clients: string[] = [];
  let days: number | undefined;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new ConfigError(`${a} needs a value`);
      return v;
    };
    if (a === '--host') hosts.push(value());
    else if (a === '--client') clients.push(value());
    else if (a === '--days') days = Number(value());
    else if (a === '--force') force = true;
    else if (a.startsWith('--')) throw new ConfigError(`unknown option ${a} (samsa dev-certs DIR [--host name] [--client name] [--days N] [--force])`);
    else if (dir === undefined) dir = a;
    else throw new ConfigError(`one directory, please (got ${dir} and ${a})`);
  }
  if (dir === undefined) throw new ConfigError('usage: samsa dev-certs DIR [--host name ...] [--client name ...] [--days N] [--force]');
  const { writeDevCerts } = await import('../security/dev-certs.js');
  const { files, usage } = await writeDevCerts(dir, { hosts, clients, days, force });
  console.log(`wrote ${files.join(', ')}\n\n${usage}`);
}
