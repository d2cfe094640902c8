/**
 * A broker's refusal, as the client's callers need it: the Kafka error code
 * and its name (the HTTP side maps UNKNOWN_TOPIC_OR_PARTITION to 404,
 * NON_EMPTY_GROUP to 409, ...), the broker's own error message when the
 * response had one (a config's "did you mean" lives there), and a message a
 * person reads without knowing the protocol.
 */
import { AdminError } from '../cli/admin-connection.js';
import { ErrorCode, errorName, isRetriable } from '../wire/errors.js';

export class KafkaClientError extends AdminError {
  /** Kafka's name for `code`, e.g. UNKNOWN_TOPIC_OR_PARTITION. */
  readonly errorName: string;

  /** `what` names the thing refused ("topic orders", "group g"); the message is `what: <broker's message or the code in words>`. */
  constructor(readonly code: number, readonly what: string, readonly brokerMessage: string | null = null) {
    super(`${what}: ${brokerMessage || describeCode(code)}`);
    this.errorName = errorName(code);
  }

  get retriable(): boolean { return isRetriable(this.code); }
}

/** Codes whose name alone reads badly, in words; others are their name in lower case. */
const WORDS: Partial<Record<number, string>> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'unknown topic or partition (UNKNOWN_TOPIC_OR_PARTITION)',
  [ErrorCode.NON_EMPTY_GROUP]: 'the group has active members; stop its consumers first (NON_EMPTY_GROUP)',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'no such group (GROUP_ID_NOT_FOUND)',
  [ErrorCode.UNKNOWN_MEMBER_ID]: 'the group has active members or another generation; stop its consumers first (UNKNOWN_MEMBER_ID)',
  [ErrorCode.TOPIC_ALREADY_EXISTS]: 'the topic already exists (TOPIC_ALREADY_EXISTS)',
  [ErrorCode.NOT_LEADER_OR_FOLLOWER]: 'the broker is not the partition leader any more (NOT_LEADER_OR_FOLLOWER)',
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED]: 'not authorized for the topic (TOPIC_AUTHORIZATION_FAILED)',
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'not authorized for the group (GROUP_AUTHORIZATION_FAILED)',
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: 'not authorized for the cluster (CLUSTER_AUTHORIZATION_FAILED)',
};

export function describeCode(c: number): string {
  return WORDS[c] ?? `${errorName(c).toLowerCase().replaceAll('_', ' ')} (${errorName(c)})`;
}

/** Throws a KafkaClientError when `errorCode` is not NONE. */
export function check(errorCode: number, what: string, brokerMessage?: string | null): void {
  if (errorCode !== ErrorCode.NONE) throw new KafkaClientError(errorCode, what, brokerMessage ?? null);
}
