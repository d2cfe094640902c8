#!/usr/bin/python3
"""kafka-python 2.0.2 (Debian's python3-kafka, a pure-Python client), driven by
compat-tests/kafka-python.test.ts.

    /usr/bin/python3 kafka_python_client.py <bootstrap> <command> <json args>

Commands (each prints one JSON object on stdout; kafka-python's log goes to
stderr, at DEBUG when $KAFKA_PYTHON_DEBUG is set):

  codecs       {}
               -> {"kafka_python": version, "codecs": {"gzip"|"snappy"|"lz4": whether its module is installed}}
  create_topic {"topic", "partitions", "retention_ms"}
               KafkaAdminClient: create_topics with retention.ms, describe_topics,
               describe_configs, list_topics
               -> {"create_errors": [[topic, code], ...], "partitions": [...],
                   "configs": {name: value}, "config_sources": {name: is_default (v0) or source (v1+)},
                   "describe_configs_versions": [version of each DescribeConfigs response],
                   "listed": bool}
  delete_topic {"topic"}
               KafkaAdminClient: delete_topics, then list_topics until the topic is gone (bounded)
               -> {"delete_errors": [[topic, code], ...], "listed": bool}
  produce      {"topic", "compression", "records": [[partition, key|null, value|null, [[hkey, hvalue], ...]], ...]}
               KafkaProducer (acks='all') sends every record and waits for each
               delivery; then a KafkaConsumer (auto_offset_reset='earliest',
               a fresh group) reads back as many records as were sent
               -> {"sent": [[partition, offset], ...],
                   "received": [[partition, offset, key, value, [[hkey, hvalue], ...]], ...]}
  group        {"topic", "group", "before": [[partition, value], ...], "after": [[partition, value], ...]}
               two consumers in `group` (each in its own thread) subscribe to
               the (empty, two-partition) topic and poll until each owns one
               partition; `before` is produced, each consumer reads its
               partition's share and commits; both close; then `after` is
               produced and a third consumer in the group reads as many
               records as `after` holds
               -> {"assignments": [[partitions of consumer 1], [of consumer 2]],
                   "consumed": [[[partition, offset, value], ...], [...]],
                   "committed": [[partition, offset], ...]   (KafkaConsumer.committed),
                   "admin_offsets": [[partition, offset], ...] (KafkaAdminClient.list_consumer_group_offsets),
                   "resumed": [[partition, offset, value], ...]}
  version      {}
               KafkaClient.check_version() and the api_version a KafkaProducer
               and a KafkaConsumer settle on when left to auto-detect it
               -> {"check_version": [..], "producer": [..], "consumer": [..]}

Strings travel as UTF-8; keys, values and header values are bytes on the wire.
Every blocking call has a timeout, and a watchdog thread ends the script after
$KAFKA_PYTHON_SCRIPT_TIMEOUT seconds (default 60) whatever it is doing.
"""
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid

import kafka.codec
from kafka import KafkaAdminClient, KafkaClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

CALL_TIMEOUT = 20.0  # seconds, for each blocking call (send().get, a consume, a rebalance)
REQUEST_TIMEOUT_MS = 15_000

CODEC_AVAILABLE = {
    None: lambda: True,
    'gzip': kafka.codec.has_gzip,
    'snappy': kafka.codec.has_snappy,
    'lz4': kafka.codec.has_lz4,
}


def log(msg: str) -> None:
    print(f'[kafka_python_client] {msg}', file=sys.stderr, flush=True)


def enc(s):
    return None if s is None else s.encode()


def dec(b):
    return None if b is None else b.decode()


# kafka-python probes the broker's version with a 2 s deadline of its own; the broker's first
# request loads its request path, which on a loaded test machine can take longer than that.
VERSION_PROBE_MS = 15_000


def admin_client(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id='samsa-kafka-python-admin',
                            request_timeout_ms=REQUEST_TIMEOUT_MS, api_version_auto_timeout_ms=VERSION_PROBE_MS)


def producer(bootstrap: str, compression=None) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=bootstrap, client_id='samsa-kafka-python-producer', acks='all',
                         compression_type=compression, linger_ms=5, retries=0, api_version_auto_timeout_ms=VERSION_PROBE_MS,
                         request_timeout_ms=REQUEST_TIMEOUT_MS, max_block_ms=int(CALL_TIMEOUT * 1000))


def consumer(bootstrap: str, group: str, **extra) -> KafkaConsumer:
    return KafkaConsumer(bootstrap_servers=bootstrap, client_id='samsa-kafka-python-consumer', group_id=group,
                         auto_offset_reset='earliest', enable_auto_commit=False,
                         session_timeout_ms=10_000, heartbeat_interval_ms=500, api_version_auto_timeout_ms=VERSION_PROBE_MS,
                         request_timeout_ms=REQUEST_TIMEOUT_MS, fetch_max_wait_ms=100, **extra)


def send_all(p: KafkaProducer, topic: str, records: list) -> list:
    """Sends [partition, key, value, headers] records and waits for each delivery; -> [[partition, offset], ...]."""
    futures = [p.send(topic, key=enc(key), value=enc(value), partition=partition,
                      headers=[(hk, enc(hv)) for hk, hv in (headers or [])])
               for partition, key, value, headers in records]
    p.flush(timeout=CALL_TIMEOUT)
    return [[md.partition, md.offset] for md in (f.get(timeout=CALL_TIMEOUT) for f in futures)]


def read(c: KafkaConsumer, count: int, what: str) -> list:
    """Polls `c` until it has `count` records; -> [ConsumerRecord, ...] in the order polled."""
    out = []
    deadline = time.monotonic() + CALL_TIMEOUT
    while len(out) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f'{what}: {len(out)} of {count} records within {CALL_TIMEOUT}s')
        for recs in c.poll(timeout_ms=200).values():
            out.extend(recs)
    return out


def cmd_codecs(bootstrap: str, args: dict) -> dict:
    return {'kafka_python': kafka.__version__,
            'codecs': {codec: available() for codec, available in CODEC_AVAILABLE.items() if codec}}


def cmd_create_topic(bootstrap: str, args: dict) -> dict:
    topic = args['topic']
    a = admin_client(bootstrap)
    try:
        created = a.create_topics([NewTopic(topic, args['partitions'], 1,
                                            topic_configs={'retention.ms': str(args['retention_ms'])})],
                                  timeout_ms=REQUEST_TIMEOUT_MS)
        described = a.describe_topics([topic])
        configs = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        # DescribeConfigs response: resources [(error_code, error_message, resource_type, resource_name, config_entries)],
        # each entry (config_names, config_value, read_only, is_default|config_source, is_sensitive, ...).
        entries, sources, versions = {}, {}, []
        for resp in configs:
            versions.append(resp.API_VERSION)
            for res in resp.resources:
                if res[0] != 0:
                    raise RuntimeError(f'describe_configs {res[3]}: error {res[0]} {res[1]}')
                for e in res[4]:
                    entries[e[0]] = e[1]
                    sources[e[0]] = e[3]  # v0: is_default; v1+: config_source (1: a topic override)
        return {
            'create_errors': [[e[0], e[1]] for e in created.topic_errors],
            'partitions': sorted(p['partition'] for t in described for p in t['partitions']),
            'configs': entries,
            'config_sources': sources,
            'describe_configs_versions': versions,
            'listed': topic in a.list_topics(),
        }
    finally:
        a.close()


def cmd_delete_topic(bootstrap: str, args: dict) -> dict:
    topic = args['topic']
    a = admin_client(bootstrap)
    try:
        deleted = a.delete_topics([topic], timeout_ms=REQUEST_TIMEOUT_MS)
        # Kafka may finish deleting after it answers; wait (bounded) until the topic leaves the metadata.
        deadline = time.monotonic() + CALL_TIMEOUT
        while (listed := topic in a.list_topics()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return {'delete_errors': [[e[0], e[1]] for e in deleted.topic_error_codes], 'listed': listed}
    finally:
        a.close()


def cmd_produce(bootstrap: str, args: dict) -> dict:
    codec = args['compression']
    if not CODEC_AVAILABLE[codec]():
        raise RuntimeError(f'kafka-python cannot compress with {codec}: its Python module is not installed')
    topic, records = args['topic'], args['records']
    p = producer(bootstrap, codec)
    try:
        sent = send_all(p, topic, records)
    finally:
        p.close(timeout=CALL_TIMEOUT)
    c = consumer(bootstrap, f'kafka-python-reader-{uuid.uuid4()}')
    try:
        c.subscribe([topic])
        got = read(c, len(records), f'consume {topic}')
    finally:
        c.close(autocommit=False)
    return {
        'sent': sent,
        'received': [[r.partition, r.offset, dec(r.key), dec(r.value), [[hk, dec(hv)] for hk, hv in r.headers]]
                     for r in got],
    }


def in_threads(fns: list, on_failure) -> list:
    """Runs each function in its own thread; -> their results, or raises the first failure
    (calling on_failure() as soon as one fails, so the others stop waiting for it)."""
    count = len(fns)
    results, failures = [None] * count, []

    def run(i):
        try:
            results[i] = fns[i]()
        except BaseException as e:  # noqa: BLE001 -- handed to the main thread
            failures.append((i, e, traceback.format_exc()))
            on_failure()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(CALL_TIMEOUT * 3)
        if th.is_alive():
            raise RuntimeError(f'a thread is still running after {CALL_TIMEOUT * 3}s')
    if failures:
        i, e, tb = failures[0]
        raise RuntimeError(f'thread {i} failed:\n{tb}') from e
    return results


def cmd_group(bootstrap: str, args: dict) -> dict:
    topic, group = args['topic'], args['group']
    p = producer(bootstrap)
    try:
        # A KafkaConsumer is single-threaded and JoinGroup blocks until every member has (re)joined,
        # so each member runs in its own thread, as it would in its own process. A third thread,
        # the producer's, meets them at three barriers: `settled` once both own one partition (it
        # then produces `before`), `produced`, and `committed_all` once both have read their share
        # and committed (only then do they close: a member leaving earlier would start a rebalance
        # under the other's commit).
        assigned: list = [set(), set()]
        settled, produced, committed_all = (threading.Barrier(3, timeout=CALL_TIMEOUT) for _ in range(3))

        def member(i: int) -> dict:
            c = consumer(bootstrap, group)
            try:
                c.subscribe([topic])
                deadline = time.monotonic() + CALL_TIMEOUT
                while True:
                    early = c.poll(timeout_ms=100)
                    if early:
                        raise RuntimeError(f'read records from a topic that is still empty: {early}')
                    assigned[i] = {tp.partition for tp in c.assignment()}
                    other = assigned[1 - i]
                    if len(assigned[i]) == 1 and len(other) == 1 and assigned[i] != other:
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f'no one-partition-each assignment within {CALL_TIMEOUT}s: {assigned}')
                settled.wait()
                produced.wait()
                (tp,) = c.assignment()
                mine = sum(1 for part, _ in args['before'] if part == tp.partition)
                records = read(c, mine, f'consumer {i + 1} of {group}')
                c.commit()  # synchronous: each position, the offset after the last record read
                committed = c.committed(tp)
                committed_all.wait()
                return {'assignment': [tp.partition], 'committed': [tp.partition, committed],
                        'consumed': [[r.partition, r.offset, dec(r.value)] for r in records]}
            finally:
                c.close(autocommit=False)

        def main_part() -> None:  # the producer's part
            settled.wait()
            send_all(p, topic, [[part, None, value, []] for part, value in args['before']])
            produced.wait()
            committed_all.wait()

        def abort() -> None:
            for b in (settled, produced, committed_all):
                b.abort()

        # Thread 0 produces, threads 1 and 2 are the consumers.
        _, *members = in_threads([main_part, lambda: member(0), lambda: member(1)], abort)

        a = admin_client(bootstrap)
        try:
            offsets = a.list_consumer_group_offsets(group)
        finally:
            a.close()
        admin_offsets = sorted([tp.partition, om.offset] for tp, om in offsets.items() if tp.topic == topic)

        send_all(p, topic, [[part, None, value, []] for part, value in args['after']])
    finally:
        p.close(timeout=CALL_TIMEOUT)

    c3 = consumer(bootstrap, group)
    try:
        c3.subscribe([topic])
        resumed = read(c3, len(args['after']), f'resuming consumer of {group}')
    finally:
        c3.close(autocommit=False)
    return {
        'assignments': [m['assignment'] for m in members],
        'consumed': [m['consumed'] for m in members],
        'committed': sorted(m['committed'] for m in members),
        'admin_offsets': admin_offsets,
        'resumed': [[r.partition, r.offset, dec(r.value)] for r in resumed],
    }


def cmd_version(bootstrap: str, args: dict) -> dict:
    client = KafkaClient(bootstrap_servers=bootstrap, client_id='samsa-kafka-python-probe',
                         request_timeout_ms=REQUEST_TIMEOUT_MS, api_version_auto_timeout_ms=VERSION_PROBE_MS)
    try:
        checked = client.check_version(timeout=CALL_TIMEOUT)
    finally:
        client.close()
    p = producer(bootstrap)
    try:
        produced = p.config['api_version']
    finally:
        p.close(timeout=CALL_TIMEOUT)
    c = consumer(bootstrap, f'kafka-python-probe-{uuid.uuid4()}')
    try:
        consumed = c.config['api_version']
    finally:
        c.close(autocommit=False)
    return {'check_version': list(checked), 'producer': list(produced), 'consumer': list(consumed)}


COMMANDS = {
    'codecs': cmd_codecs,
    'create_topic': cmd_create_topic,
    'delete_topic': cmd_delete_topic,
    'produce': cmd_produce,
    'group': cmd_group,
    'version': cmd_version,
}


def main() -> None:
    bootstrap, command, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = int(os.environ.get('KAFKA_PYTHON_SCRIPT_TIMEOUT', '60'))
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if os.environ.get('KAFKA_PYTHON_DEBUG') else logging.WARNING,
                        format='%(asctime)s %(name)s %(levelname)s %(message)s')

    def expire():
        log(f'{command}: still running after {limit}s, giving up')
        os._exit(3)

    # A thread, so it fires even while the main thread is blocked in a socket call.
    watchdog = threading.Timer(limit, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        result = COMMANDS[command](bootstrap, json.loads(raw))
    except Exception:  # noqa: BLE001 -- report any failure and exit without waiting for kafka-python's threads
        log(f'{command} failed:\n{traceback.format_exc()}')
        os._exit(2)
    print(json.dumps(result), flush=True)
    # kafka-python's background threads (heartbeats, the producer's sender) are joined on close;
    # exit at once so a straggler cannot hold the process open.
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
