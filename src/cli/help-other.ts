/**
 * Help for the commands that parse their own flags (start, the cluster
 * control API, users, acls, quotas, dev-certs): what they accept, written
 * out for `samsa help`. test/cli/help.test.ts checks these lists against the
 * flags the commands' sources accept.
 */
import { OUTPUT_FORMAT_FLAG, type CommandHelp } from './help-spec.js';

export const START: CommandHelp = {
  name: 'start', operands: '', connection: false,
  summary: 'run a broker (or a cluster of brokers in this process)',
  flags: [
    { long: 'listen', kind: 'value', arg: 'HOST:PORT[,...]', help: 'listeners (Kafka\'s listeners; default 127.0.0.1:9092; port 0 picks one; NAME://host:port for secured ones)' },
    { long: 'data-dir', kind: 'value', arg: 'DIR', help: 'where the logs are kept (log.dirs)' },
    { long: 'ephemeral', kind: 'switch', help: 'a temporary data directory, removed at exit' },
    { long: 'config', kind: 'value', arg: 'FILE', help: 'a server.properties file' },
    { long: 'set', kind: 'value', arg: 'KEY=VALUE', help: 'any broker setting (repeatable); SAMSA_KEY_NAME environment variables too' },
    { long: 'advertised-host', kind: 'value', arg: 'HOST', help: 'the host clients are told to connect to' },
    { long: 'advertised-port', kind: 'value', arg: 'PORT', help: 'the port clients are told to connect to' },
    { long: 'log-level', kind: 'value', arg: 'LEVEL', help: 'debug, info (default), warn, error or silent' },
    { long: 'log-format', kind: 'value', arg: 'pretty|json', help: 'log lines for people or one JSON object per line' },
    { long: 'http', kind: 'value', arg: 'HOST:PORT', help: 'serve the web console, /metrics and the control API here' },
    { long: 'http-allow-writes', kind: 'switch', help: 'let the HTTP side produce, delete and reset offsets' },
    { long: 'brokers', kind: 'value', arg: 'N', help: 'run a cluster of N brokers in this process' },
    { long: 'port-step', kind: 'value', arg: 'S', help: 'with --brokers: the ports of the brokers are S apart' },
    { long: 'node-id', kind: 'value', arg: 'N', help: 'this broker\'s id (with --metadata)' },
    { long: 'metadata', kind: 'value', arg: 'etcd://HOST:PORT[/PREFIX]', help: 'share cluster metadata with brokers in other processes through etcd' },
  ],
  examples: ['samsa start --ephemeral', 'samsa start --data-dir ./data --listen 0.0.0.0:9092 --advertised-host myhost', 'samsa start --brokers 3 --http 127.0.0.1:9644 --ephemeral'],
};

export const CLUSTER_CONTROL: CommandHelp = {
  name: 'cluster', operands: 'status | stop-broker N | start-broker N | pause-broker N | resume-broker N | move-leader TOPIC PARTITION BROKER', connection: false,
  summary: 'drive a cluster started with `samsa start --brokers N --http ...` through its control API (fault injection)',
  flags: [
    { long: 'http', kind: 'value', arg: 'HOST:PORT', help: 'the control API (default 127.0.0.1:9644)' },
    { long: 'json', kind: 'switch', help: 'print the API\'s JSON answer' },
  ],
  examples: ['samsa cluster status', 'samsa cluster stop-broker 1', 'samsa cluster move-leader orders 0 2'],
};

const CONNECTION_NOTE = 'The connection flags are those of the topic commands; --mechanism, where the command has none of its own, is --sasl-mechanism.';

export const USERS: CommandHelp = {
  name: 'users', operands: 'create NAME | delete NAME | list [NAME...]', connection: true,
  summary: 'SCRAM credentials (AlterUserScramCredentials, DescribeUserScramCredentials)',
  flags: [
    { long: 'password', kind: 'value', arg: 'PW', help: 'create: the password (it never leaves this process: a salted hash is sent)' },
    { long: 'mechanism', kind: 'value', arg: 'M', help: 'SCRAM-SHA-256 (default) or SCRAM-SHA-512; delete: only this credential' },
    { long: 'iterations', kind: 'value', arg: 'N', help: 'create: SCRAM iterations (default 4096)' },
    OUTPUT_FORMAT_FLAG,
  ],
  examples: ['samsa users create alice --password s3cret --mechanism SCRAM-SHA-512', 'samsa users list', 'samsa users delete alice'],
};

export const ACLS: CommandHelp = {
  name: 'acls', operands: 'create | list | delete', connection: true,
  summary: 'ACLs (CreateAcls, DescribeAcls, DeleteAcls) with rpk\'s flags; list and delete take the flags as filters',
  flags: [
    { long: 'allow-principal', kind: 'list', arg: 'P', help: 'User:alice, or alice; * is User:*' },
    { long: 'deny-principal', kind: 'list', arg: 'P', help: 'the same, for a DENY binding' },
    { long: 'allow-host', kind: 'list', arg: 'H', help: 'hosts of the allow principals (create: default *)' },
    { long: 'deny-host', kind: 'list', arg: 'H', help: 'hosts of the deny principals' },
    { long: 'operation', kind: 'list', arg: 'OP[,OP]', help: 'all, read, write, create, delete, alter, describe, cluster_action, describe_configs, alter_configs, idempotent_write (filters: any)' },
    { long: 'topic', kind: 'list', arg: 'T', help: 'a topic resource (repeatable)' },
    { long: 'group', kind: 'list', arg: 'G', help: 'a group resource' },
    { long: 'transactional-id', kind: 'list', arg: 'ID', help: 'a transactional id resource' },
    { long: 'cluster', kind: 'switch', help: 'the cluster resource' },
    { long: 'resource-pattern-type', kind: 'value', arg: 'TYPE', help: 'literal (default) or prefixed; filters also any (default) and match' },
    { long: 'mechanism', kind: 'value', arg: 'M', help: 'the connection\'s SASL mechanism (--sasl-mechanism)' },
    OUTPUT_FORMAT_FLAG,
  ],
  details: CONNECTION_NOTE,
  examples: ['samsa acls create --allow-principal alice --operation read,describe --topic orders --group billing', 'samsa acls list --topic orders', 'samsa acls delete --allow-principal alice --topic orders'],
};

export const QUOTAS: CommandHelp = {
  name: 'quotas', operands: 'alter | describe', connection: true,
  summary: 'client quotas (AlterClientQuotas, DescribeClientQuotas)',
  flags: [
    { long: 'user', kind: 'value', arg: 'NAME', help: 'the user entity' },
    { long: 'user-default', kind: 'switch', help: 'the default user entity' },
    { long: 'any-user', kind: 'switch', help: 'describe: any user entity' },
    { long: 'client-id', kind: 'value', arg: 'ID', help: 'the client id entity' },
    { long: 'client-default', kind: 'switch', help: 'the default client id entity' },
    { long: 'any-client-id', kind: 'switch', help: 'describe: any client id entity' },
    { long: 'add', kind: 'list', arg: 'KEY=VALUE', help: 'alter: producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate' },
    { long: 'delete', kind: 'list', arg: 'KEY', help: 'alter: remove a quota' },
    { long: 'validate-only', kind: 'switch', help: 'alter: check without changing' },
    { long: 'strict', kind: 'switch', help: 'describe: leave out entities that have other types too' },
    { long: 'mechanism', kind: 'value', arg: 'M', help: 'the connection\'s SASL mechanism (--sasl-mechanism)' },
    OUTPUT_FORMAT_FLAG,
  ],
  details: CONNECTION_NOTE,
  examples: ['samsa quotas alter --user alice --add producer_byte_rate=1048576', 'samsa quotas describe --any-user'],
};

export const DEV_CERTS: CommandHelp = {
  name: 'dev-certs', operands: 'DIR', connection: false,
  summary: 'write a throwaway CA, a broker certificate and client certificates for trying TLS',
  flags: [
    { long: 'host', kind: 'value', arg: 'NAME', help: 'another name for the broker certificate (repeatable; localhost is always in)' },
    { long: 'client', kind: 'value', arg: 'NAME', help: 'a client certificate for mutual TLS (repeatable)' },
    { long: 'days', kind: 'value', arg: 'N', help: 'validity in days' },
    { long: 'force', kind: 'switch', help: 'overwrite files that exist' },
  ],
  examples: ['samsa dev-certs ./certs --client alice'],
};

export const API_TABLE: CommandHelp = {
  name: 'api-table', operands: '', connection: false,
  summary: 'print the table of Kafka APIs and versions this broker serves (Markdown)',
  flags: [],
  examples: ['samsa api-table'],
};
