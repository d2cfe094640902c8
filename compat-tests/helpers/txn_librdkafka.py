#!/usr/bin/python3
"""Transactions with librdkafka (Debian's python3-confluent-kafka), driven by
compat-tests/transactions-librdkafka.test.ts.

    /usr/bin/python3 txn_librdkafka.py <bootstrap> <command> <json args>

Commands (each prints one JSON object on stdout; librdkafka's own log lines
go to stderr, with debug contexts from $RDKAFKA_DEBUG, e.g. eos,protocol):

  transactions  {"topic", "transactional_id", "transactions": [{"records": [[partition, value], ...], "end": "commit"|"abort"}, ...]}
                one producer runs the transactions in order
                -> {"results": ["committed"|"aborted", ...]}
  consume       {"topic", "isolation": "read_committed"|"read_uncommitted"}
                reads every partition from the beginning to its end (EOF)
                -> {"records": [[partition, offset, value], ...]}
  transform     {"input", "output", "group", "transactional_id", "transactions": [{"count", "end"}, ...]}
                consume-transform-produce: a group member reads `input`, and
                for each transaction takes the next `count` records, produces
                them upper-cased to `output` and sends the offset after the
                last one with send_offsets_to_transaction, then commits or aborts
                -> {"sent": [[partition, offset], ...] per transaction, "committed": [[partition, offset], ...]}
  fence         {"topic", "transactional_id"}
                producer A begins a transaction and produces "a1"; producer B
                with the same transactional.id calls init_transactions, produces
                "b1" and commits; then A tries to commit
                -> {"b": "committed", "a_commit": error or null, "a_after": error or null}

Every blocking librdkafka call has a timeout, and a watchdog thread ends the
script after $TXN_SCRIPT_TIMEOUT seconds (default 60) whatever it is doing.
"""
import json
import os
import sys
import threading
import uuid

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer,
                             TopicPartition)

CALL_TIMEOUT = 20.0  # seconds, for each init/begin/commit/abort/send_offsets call


def log(msg: str) -> None:
    print(f'[txn_librdkafka] {msg}', file=sys.stderr, flush=True)


def common(bootstrap: str) -> dict:
    conf = {'bootstrap.servers': bootstrap, 'broker.address.family': 'v4'}
    debug = os.environ.get('RDKAFKA_DEBUG')
    if debug:
        conf['debug'] = debug
    return conf


def producer(bootstrap: str, transactional_id: str) -> Producer:
    conf = common(bootstrap)
    conf.update({
        'transactional.id': transactional_id,
        'transaction.timeout.ms': 60_000,
        'linger.ms': 0,
        'message.timeout.ms': 20_000,
    })
    return Producer(conf)


def error_json(err: KafkaError) -> dict:
    return {
        'code': err.code(),
        'name': err.name(),
        'str': err.str(),
        'fatal': err.fatal(),
        'retriable': err.retriable(),
        'txn_requires_abort': err.txn_requires_abort(),
    }


def produce_all(p: Producer, topic: str, records: list) -> None:
    """Produces [partition, value] pairs and waits for every delivery report (failing on any error)."""
    failures = []

    def report(err, msg):
        if err is not None:
            failures.append(f'{msg.topic()}[{msg.partition()}]: {err}')

    for partition, value in records:
        p.produce(topic, value=value.encode(), partition=partition, on_delivery=report)
    left = p.flush(CALL_TIMEOUT)
    if left:
        raise RuntimeError(f'{left} records not delivered within {CALL_TIMEOUT}s')
    if failures:
        raise RuntimeError('delivery failed: ' + '; '.join(failures))


def cmd_transactions(bootstrap: str, args: dict) -> dict:
    p = producer(bootstrap, args['transactional_id'])
    p.init_transactions(CALL_TIMEOUT)
    results = []
    for txn in args['transactions']:
        p.begin_transaction()
        produce_all(p, args['topic'], txn['records'])
        if txn['end'] == 'commit':
            p.commit_transaction(CALL_TIMEOUT)
            results.append('committed')
        else:
            p.abort_transaction(CALL_TIMEOUT)
            results.append('aborted')
    return {'results': results}


def reader(bootstrap: str, isolation: str, group: str | None = None) -> Consumer:
    conf = common(bootstrap)
    conf.update({
        'group.id': group or f'reader-{uuid.uuid4()}',
        'isolation.level': isolation,
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'enable.partition.eof': True,
        'fetch.wait.max.ms': 100,
    })
    return Consumer(conf)


def partitions_of(client, topic: str) -> list[int]:
    md = client.list_topics(topic, timeout=CALL_TIMEOUT)
    t = md.topics[topic]
    if t.error is not None:
        raise KafkaException(t.error)
    return sorted(t.partitions)


def cmd_consume(bootstrap: str, args: dict) -> dict:
    c = reader(bootstrap, args['isolation'])
    try:
        topic = args['topic']
        parts = partitions_of(c, topic)
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        at_end: set[int] = set()
        records = []
        while len(at_end) < len(parts):
            msg = c.poll(CALL_TIMEOUT)
            if msg is None:
                raise RuntimeError(f'no message or EOF within {CALL_TIMEOUT}s (at the end: {sorted(at_end)} of {parts})')
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    continue
                raise KafkaException(msg.error())
            records.append([msg.partition(), msg.offset(), msg.value().decode()])
        return {'records': records}
    finally:
        c.close()


def cmd_transform(bootstrap: str, args: dict) -> dict:
    c = reader(bootstrap, 'read_committed', args['group'])
    p = producer(bootstrap, args['transactional_id'])
    try:
        p.init_transactions(CALL_TIMEOUT)
        c.subscribe([args['input']])
        sent = []
        for txn in args['transactions']:
            p.begin_transaction()
            taken = 0
            next_offsets: dict[int, int] = {}
            while taken < txn['count']:
                msg = c.poll(CALL_TIMEOUT)
                if msg is None:
                    raise RuntimeError(f'no record from {args["input"]} within {CALL_TIMEOUT}s (took {taken} of {txn["count"]})')
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise KafkaException(msg.error())
                produce_all(p, args['output'], [[msg.partition(), msg.value().decode().upper()]])
                next_offsets[msg.partition()] = msg.offset() + 1
                taken += 1
            offsets = [TopicPartition(args['input'], part, off) for part, off in sorted(next_offsets.items())]
            p.send_offsets_to_transaction(offsets, c.consumer_group_metadata(), CALL_TIMEOUT)
            sent.append([[tp.partition, tp.offset] for tp in offsets])
            if txn['end'] == 'commit':
                p.commit_transaction(CALL_TIMEOUT)
            else:
                p.abort_transaction(CALL_TIMEOUT)
        parts = partitions_of(c, args['input'])
        committed = c.committed([TopicPartition(args['input'], part) for part in parts], timeout=CALL_TIMEOUT)
        for tp in committed:
            if tp.error is not None:
                raise KafkaException(tp.error)
        return {'sent': sent, 'committed': [[tp.partition, tp.offset] for tp in committed]}
    finally:
        c.close()


def cmd_fence(bootstrap: str, args: dict) -> dict:
    topic, tid = args['topic'], args['transactional_id']
    a = producer(bootstrap, tid)
    a.init_transactions(CALL_TIMEOUT)
    a.begin_transaction()
    produce_all(a, topic, [[0, 'a1']])

    b = producer(bootstrap, tid)
    b.init_transactions(CALL_TIMEOUT)
    b.begin_transaction()
    produce_all(b, topic, [[0, 'b1']])
    b.commit_transaction(CALL_TIMEOUT)

    out: dict = {'b': 'committed', 'a_commit': None, 'a_after': None}
    try:
        a.commit_transaction(CALL_TIMEOUT)
    except KafkaException as e:
        out['a_commit'] = error_json(e.args[0])
    # Once fenced, a producer is unusable: anything further fails with the fatal error.
    try:
        a.begin_transaction()
    except KafkaException as e:
        out['a_after'] = error_json(e.args[0])
    return out


COMMANDS = {
    'transactions': cmd_transactions,
    'consume': cmd_consume,
    'transform': cmd_transform,
    'fence': cmd_fence,
}


def main() -> None:
    bootstrap, command, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = int(os.environ.get('TXN_SCRIPT_TIMEOUT', '60'))

    def expire():
        log(f'{command}: still running after {limit}s, giving up')
        os._exit(3)

    # A thread, not SIGALRM: a Python signal handler waits for the librdkafka call in progress to return.
    watchdog = threading.Timer(limit, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        result = COMMANDS[command](bootstrap, json.loads(raw))
    except KafkaException as e:
        err = e.args[0]
        log(f'{command} failed: {json.dumps(error_json(err)) if isinstance(err, KafkaError) else err}')
        sys.exit(2)
    print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
