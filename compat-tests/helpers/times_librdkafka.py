#!/usr/bin/python3
"""Start-at-a-time with librdkafka (Debian's python3-confluent-kafka), driven by
compat-tests/list-offsets-by-time.test.ts.

    /usr/bin/python3 times_librdkafka.py <bootstrap> <command> <json args>

Commands (each prints one JSON object on stdout):

  produce  {"topic", "compression", "timestamps": [ms, ...]}
           one producer with compression.type and a long linger, so the
           records go in one batch to partition 0, value "v<i>" with the
           given timestamp -> {"delivered": [offset, ...]}
  seek     {"topic", "timestamp", "count"}
           offsets_for_times for partition 0, then a consumer assigned at
           the offset it answers reads up to `count` records
           -> {"offset": o, "records": [[offset, timestamp, value], ...]}

A watchdog ends the script after 60 seconds whatever it is doing.
"""
import json
import os
import sys
import threading

from confluent_kafka import Consumer, Producer, TopicPartition


def watchdog(seconds):
    t = threading.Timer(seconds, lambda: os._exit(3))
    t.daemon = True
    t.start()


def produce(bootstrap, a):
    p = Producer({'bootstrap.servers': bootstrap, 'compression.type': a['compression'],
                  'linger.ms': 500, 'batch.num.messages': 100000})
    delivered = []
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append(msg.offset())

    # Metadata first: a record produced while the leader is still unknown may go out alone.
    p.list_topics(a['topic'], timeout=20)
    for i, ts in enumerate(a['timestamps']):
        p.produce(a['topic'], value=('v%d' % i).encode(), partition=0, timestamp=ts, on_delivery=report)
    left = p.flush(30)
    if errors or left:
        raise SystemExit(json.dumps({'errors': errors, 'undelivered': left}))
    return {'delivered': sorted(delivered)}


def seek(bootstrap, a):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'times-librdkafka', 'enable.auto.commit': False,
                  'enable.partition.eof': True})
    try:
        found = c.offsets_for_times([TopicPartition(a['topic'], 0, a['timestamp'])], timeout=20)
        if found[0].error is not None:
            raise SystemExit(json.dumps({'error': str(found[0].error)}))
        offset = found[0].offset
        c.assign([TopicPartition(a['topic'], 0, offset)])
        records = []
        while len(records) < a['count']:
            m = c.poll(20)
            if m is None:
                break
            if m.error() is not None:
                break  # partition EOF (or an error: the records so far tell)
            records.append([m.offset(), m.timestamp()[1], m.value().decode()])
        return {'offset': offset, 'records': records}
    finally:
        c.close()


def main():
    watchdog(60)
    bootstrap, command, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    out = {'produce': produce, 'seek': seek}[command](bootstrap, args)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
