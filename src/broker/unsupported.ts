/**
 * Why an API is not served, one line each, for the README table and
 * `samsa api-table`. This is not a list of what is supported (that is the
 * registry, handlers/index.ts): a reason here is shown only while no handler
 * serves the API, so registering a handler is the only change needed.
 */
const TOKENS = 'no delegation tokens: clients authenticate with SASL (PLAIN, SCRAM, OAUTHBEARER) or TLS client certificates';
const NO_RAFT = 'no KRaft quorum: the controller keeps its metadata in a store (in the process, or etcd), not a Raft log';
const TELEMETRY = 'no client telemetry (KIP-714); clients carry on without it';
const SHARE = 'share groups (KIP-932) are unstable in the Kafka specs';

const REASONS: Record<string, string> = {
  CreateDelegationToken: TOKENS, RenewDelegationToken: TOKENS, ExpireDelegationToken: TOKENS, DescribeDelegationToken: TOKENS,
  AlterReplicaLogDirs: 'one log dir per broker',
  UnregisterBroker: 'brokers unregister themselves on a clean stop; not through the Kafka API yet',
  DescribeQuorum: NO_RAFT, AddRaftVoter: NO_RAFT, RemoveRaftVoter: NO_RAFT,
  UpdateFeatures: 'no finalized features to update',
  GetTelemetrySubscriptions: TELEMETRY, PushTelemetry: TELEMETRY, ListClientMetricsResources: TELEMETRY,
};

/** Why `apiName` is not served (when no handler serves it). */
export function unsupportedReason(apiName: string, stable: boolean): string {
  if (!stable) return REASONS[apiName] ?? SHARE;
  return REASONS[apiName] ?? 'not yet';
}
