/** A setting that stops start-up: unknown, malformed, or naming a file that cannot be used. Its own module so that modules the settings table reads (TLS validators) can throw it without an import cycle. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
