/**
 * What the console's JSON API answers when an operation on the brokers fails:
 * the broker's Kafka error (carried by the client's error) becomes an HTTP
 * status with the Kafka error name as the code and the broker's message
 * (a config's "did you mean" among them); anything else from the client is a
 * connection that failed (502), after which the caller's client is reopened.
 */
import { ClientError } from '../client/kafka-client.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { HttpError } from './route.js';

const NOT_FOUND = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND]);
const FORBIDDEN = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.TOPIC_DELETION_DISABLED,
]);
const BAD_INPUT = new Set<number>([
  ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_TOPIC_EXCEPTION,
  ErrorCode.INVALID_REQUEST, ErrorCode.POLICY_VIOLATION, ErrorCode.INVALID_TIMESTAMP, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.INVALID_GROUP_ID, ErrorCode.INVALID_RECORD, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE,
]);
/** The broker is there but cannot answer now (no leader, controller moving, coordinator loading): try again. */
const UNAVAILABLE = new Set<number>([
  ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_CONTROLLER,
  ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.THROTTLING_QUOTA_EXCEEDED,
]);

export function statusOfKafkaCode(code: number): number {
  if (NOT_FOUND.has(code)) return 404;
  if (FORBIDDEN.has(code)) return 403;
  if (BAD_INPUT.has(code)) return 400;
  if (UNAVAILABLE.has(code)) return 503;
  return 409;
}

/** The Kafka error code an error from src/client carries, when it carries one. */
export function kafkaCodeOf(err: unknown): number | undefined {
  const e = err as { errorCode?: unknown; code?: unknown } | null;
  if (typeof e?.errorCode === 'number') return e.errorCode;
  if (typeof e?.code === 'number') return e.code;
  return undefined;
}

/** An HttpError for what the client threw; `connectionFailed` says whether the client should be reopened. */
export function httpErrorOf(err: unknown): { error: HttpError; connectionFailed: boolean } {
  if (err instanceof HttpError) return { error: err, connectionFailed: false };
  const code = kafkaCodeOf(err);
  const message = (err as Error)?.message ?? String(err);
  if (code !== undefined && code !== ErrorCode.NONE) return { error: new HttpError(statusOfKafkaCode(code), errorName(code), message), connectionFailed: false };
  // kafka-client.ts's own routing failures, said in words rather than codes.
  if (err instanceof ClientError && /^unknown topic or partition /.test(message)) return { error: new HttpError(404, 'UNKNOWN_TOPIC_OR_PARTITION', message), connectionFailed: false };
  if (err instanceof ClientError && / has no leader now$/.test(message)) return { error: new HttpError(503, 'LEADER_NOT_AVAILABLE', message), connectionFailed: false };
  if (err instanceof ClientError) return { error: new HttpError(502, 'BROKER_UNREACHABLE', message), connectionFailed: true };
  return { error: new HttpError(500, 'INTERNAL', message), connectionFailed: false };
}

/** Throws a 404 / 403 / ... for a Kafka error code in a response entry (NONE passes). */
export function throwKafkaCode(code: number, message: string | null | undefined, what: string): void {
  if (code === ErrorCode.NONE) return;
  throw new HttpError(statusOfKafkaCode(code), errorName(code), `${what}: ${message || errorName(code)}`);
}
