/**
 * The server-side assignors a consumer-protocol group can ask for by name
 * (ConsumerGroupHeartbeat's ServerAssignor), as Kafka's default
 * group.consumer.assignors lists them: `uniform` first, and the first is the
 * default when a member names none.
 */
import type { ServerAssignor } from './assignor.js';
import { rangeAssignor } from './range.js';
import { uniformAssignor } from './uniform.js';

export type { ServerAssignor } from './assignor.js';

export const DEFAULT_SERVER_ASSIGNOR = uniformAssignor.name;

const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map(
  [uniformAssignor, rangeAssignor].map((a) => [a.name, a]),
);

/** Names in Kafka's order (for errors and descriptions); the first is the default. */
export const SERVER_ASSIGNOR_NAMES: readonly string[] = [...SERVER_ASSIGNORS.keys()];

/** The assignor of that name (exact, as Kafka matches it), or undefined: Kafka answers UNSUPPORTED_ASSIGNOR then. */
export function assignorFor(name: string): ServerAssignor | undefined {
  return SERVER_ASSIGNORS.get(name);
}
