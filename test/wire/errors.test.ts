import t from 'tap';
import { ErrorCode, isRetriable, errorName, KafkaError } from '../../src/wire/errors.js';

/*
 * Expected values checked against Apache Kafka's source (apache/kafka, clients/):
 * the number is the code org.apache.kafka.common.protocol.Errors gives the name,
 * and "retriable" means the exception class Errors maps it to extends
 * org.apache.kafka.common.errors.RetriableException, directly or through
 * InvalidMetadataException / RefreshRetriableException. Classes that end in
 * ApiException, InvalidConfigurationException, AuthorizationException,
 * AuthenticationException or ApplicationRecoverableException are not retriable.
 */
const verified: Array<[keyof typeof ErrorCode, number, boolean, string]> = [
  ['UNKNOWN_SERVER_ERROR', -1, false, 'UnknownServerException extends ApiException'],
  ['NONE', 0, false, 'no exception'],
  ['OFFSET_OUT_OF_RANGE', 1, false, 'OffsetOutOfRangeException < InvalidOffsetException < ApiException'],
  ['CORRUPT_MESSAGE', 2, true, 'CorruptRecordException extends RetriableException'],
  ['UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'UnknownTopicOrPartitionException < InvalidMetadataException'],
  ['LEADER_NOT_AVAILABLE', 5, true, 'LeaderNotAvailableException < InvalidMetadataException'],
  ['NOT_LEADER_OR_FOLLOWER', 6, true, 'NotLeaderOrFollowerException < InvalidMetadataException'],
  ['REQUEST_TIMED_OUT', 7, true, 'TimeoutException extends RetriableException'],
  ['BROKER_NOT_AVAILABLE', 8, false, 'BrokerNotAvailableException extends ApiException'],
  ['REPLICA_NOT_AVAILABLE', 9, true, 'ReplicaNotAvailableException < InvalidMetadataException'],
  ['MESSAGE_TOO_LARGE', 10, false, 'RecordTooLargeException extends ApiException'],
  ['STALE_CONTROLLER_EPOCH', 11, false, 'ControllerMovedException extends ApiException'],
  ['NETWORK_EXCEPTION', 13, true, 'NetworkException < InvalidMetadataException'],
  ['COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'CoordinatorLoadInProgressException extends RetriableException'],
  ['COORDINATOR_NOT_AVAILABLE', 15, true, 'CoordinatorNotAvailableException < RefreshRetriableException'],
  ['NOT_COORDINATOR', 16, true, 'NotCoordinatorException < RefreshRetriableException'],
  ['INVALID_TOPIC_EXCEPTION', 17, false, 'InvalidTopicException < InvalidConfigurationException'],
  ['RECORD_LIST_TOO_LARGE', 18, false, 'RecordBatchTooLargeException < InvalidConfigurationException'],
  ['NOT_ENOUGH_REPLICAS', 19, true, 'NotEnoughReplicasException extends RetriableException'],
  ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, true, 'NotEnoughReplicasAfterAppendException extends RetriableException'],
  ['ILLEGAL_GENERATION', 22, false, 'IllegalGenerationException < ApplicationRecoverableException'],
  ['UNKNOWN_MEMBER_ID', 25, false, 'UnknownMemberIdException < ApplicationRecoverableException'],
  ['REBALANCE_IN_PROGRESS', 27, false, 'RebalanceInProgressException extends ApiException'],
  ['TOPIC_AUTHORIZATION_FAILED', 29, false, 'TopicAuthorizationException < AuthorizationException'],
  ['UNSUPPORTED_VERSION', 35, false, 'UnsupportedVersionException < InvalidConfigurationException'],
  ['TOPIC_ALREADY_EXISTS', 36, false, 'TopicExistsException extends ApiException'],
  ['NOT_CONTROLLER', 41, true, 'NotControllerException extends RetriableException'],
  ['INVALID_REQUEST', 42, false, 'InvalidRequestException extends ApiException'],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false, 'OutOfOrderSequenceException extends ApiException'],
  ['DUPLICATE_SEQUENCE_NUMBER', 46, false, 'DuplicateSequenceException extends ApiException'],
  ['INVALID_PRODUCER_EPOCH', 47, false, 'InvalidProducerEpochException < ApplicationRecoverableException'],
  ['INVALID_TXN_STATE', 48, false, 'InvalidTxnStateException extends ApiException'],
  ['INVALID_PRODUCER_ID_MAPPING', 49, false, 'InvalidPidMappingException < ApplicationRecoverableException'],
  ['CONCURRENT_TRANSACTIONS', 51, true, 'ConcurrentTransactionsException extends RetriableException'],
  ['TRANSACTION_COORDINATOR_FENCED', 52, false, 'TransactionCoordinatorFencedException extends ApiException'],
  ['KAFKA_STORAGE_ERROR', 56, true, 'KafkaStorageException < InvalidMetadataException'],
  ['UNKNOWN_PRODUCER_ID', 59, false, 'UnknownProducerIdException < OutOfOrderSequenceException'],
  ['FETCH_SESSION_ID_NOT_FOUND', 70, true, 'FetchSessionIdNotFoundException extends RetriableException'],
  ['INVALID_FETCH_SESSION_EPOCH', 71, true, 'InvalidFetchSessionEpochException extends RetriableException'],
  ['LISTENER_NOT_FOUND', 72, true, 'ListenerNotFoundException < InvalidMetadataException'],
  ['FENCED_LEADER_EPOCH', 74, true, 'FencedLeaderEpochException < InvalidMetadataException'],
  ['UNKNOWN_LEADER_EPOCH', 75, true, 'UnknownLeaderEpochException extends RetriableException'],
  ['UNSUPPORTED_COMPRESSION_TYPE', 76, false, 'UnsupportedCompressionTypeException extends ApiException'],
  ['OFFSET_NOT_AVAILABLE', 78, true, 'OffsetNotAvailableException extends RetriableException'],
  ['MEMBER_ID_REQUIRED', 79, false, 'MemberIdRequiredException extends ApiException'],
  ['PREFERRED_LEADER_NOT_AVAILABLE', 80, true, 'PreferredLeaderNotAvailableException < InvalidMetadataException'],
  ['FENCED_INSTANCE_ID', 82, false, 'FencedInstanceIdException < ApplicationRecoverableException'],
  ['ELIGIBLE_LEADERS_NOT_AVAILABLE', 83, true, 'EligibleLeadersNotAvailableException < InvalidMetadataException'],
  ['ELECTION_NOT_NEEDED', 84, true, 'ElectionNotNeededException < InvalidMetadataException'],
  ['INVALID_RECORD', 87, false, 'o.a.k.common.InvalidRecordException extends ApiException'],
  ['UNSTABLE_OFFSET_COMMIT', 88, true, 'UnstableOffsetCommitException extends RetriableException'],
  ['THROTTLING_QUOTA_EXCEEDED', 89, true, 'ThrottlingQuotaExceededException extends RetriableException'],
  ['PRODUCER_FENCED', 90, false, 'ProducerFencedException < ApplicationRecoverableException'],
  ['UNKNOWN_TOPIC_ID', 100, true, 'UnknownTopicIdException < InvalidMetadataException'],
  ['INCONSISTENT_TOPIC_ID', 103, true, 'InconsistentTopicIdException < InvalidMetadataException'],
  ['TRANSACTIONAL_ID_NOT_FOUND', 105, false, 'TransactionalIdNotFoundException extends ApiException'],
  ['FETCH_SESSION_TOPIC_ID_ERROR', 106, true, 'FetchSessionTopicIdException extends RetriableException'],
  ['FENCED_MEMBER_EPOCH', 110, false, 'FencedMemberEpochException extends ApiException'],
  ['STALE_MEMBER_EPOCH', 113, false, 'StaleMemberEpochException extends ApiException'],
  ['TRANSACTION_ABORTABLE', 120, false, 'TransactionAbortableException extends ApiException'],
  ['SHARE_SESSION_NOT_FOUND', 122, true, 'ShareSessionNotFoundException extends RetriableException'],
  ['INVALID_SHARE_SESSION_EPOCH', 123, true, 'InvalidShareSessionEpochException extends RetriableException'],
  ['SHARE_SESSION_LIMIT_REACHED', 133, true, 'ShareSessionLimitReachedException extends RetriableException'],
];

t.test('error numbers and retriable flags match Kafka', async (t) => {
  for (const [name, code, retriable, why] of verified) {
    t.equal(ErrorCode[name], code, `${name} is ${code}`);
    t.equal(isRetriable(code), retriable, `${name} ${retriable ? 'is' : 'is not'} retriable (${why})`);
    t.equal(new KafkaError(code).retriable, retriable, `KafkaError(${name}).retriable`);
  }
});

t.test('codes are unique, dense from -1 to the highest, and every retriable code is named', async (t) => {
  const codes = Object.values(ErrorCode).map(Number).sort((a, b) => a - b);
  const max = codes[codes.length - 1]!;
  t.same(codes, Array.from({ length: max + 2 }, (_, i) => i - 1), 'each of -1..max once');
  t.equal(max, 133, 'up to SHARE_SESSION_LIMIT_REACHED, the highest code in Kafka Errors when checked');
  for (const [name, code] of Object.entries(ErrorCode)) t.equal(errorName(code), name);
  t.equal(errorName(9999), 'UNKNOWN_ERROR_9999');
  // every code marked retriable here is one the table above checked
  const retriableCodes = codes.filter(isRetriable);
  const checked = new Set(verified.filter(([, , r]) => r).map(([, c]) => c));
  t.same(retriableCodes.filter((c) => !checked.has(c)), [], 'no retriable code left unchecked');
});
