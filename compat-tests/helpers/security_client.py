#!/usr/bin/python3
"""Produce and consume with librdkafka (Debian's python3-confluent-kafka) under
a security configuration, driven by compat-tests/security-python.test.ts.

    /usr/bin/python3 security_client.py '<json>'      (or the JSON on stdin)

The JSON object:
  conf     librdkafka settings (bootstrap.servers, security.protocol, sasl.*, ssl.*)
  topic    the topic to write and read
  values   strings to produce (in order, to partition 0)
  consume  true: then read the topic from its start to its end with a fresh group
  timeout  seconds for each phase (default 20)

Prints one JSON object: {"produced": n, "consumed": [values], "errors": [...],
"failed": why (only when a phase failed)}
where errors are the client-level errors librdkafka reported (error_cb; an
authentication failure is _AUTHENTICATION), each {"code", "name", "str"}.
Exits 1 when a phase failed (an authentication error ends it at once), else 0.
librdkafka's own log lines go to stderr, with debug contexts from
$RDKAFKA_DEBUG (e.g. security,broker). A watchdog ends the script after
$SECURITY_SCRIPT_TIMEOUT seconds (default 60) whatever it is doing.
"""
import json
import os
import sys
import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaError, Producer


def error_json(err: KafkaError) -> dict:
    return {'code': err.code(), 'name': err.name(), 'str': err.str()}


class Failed(Exception):
    pass


def run(args: dict, out: dict) -> None:
    errors: list = out['errors']
    timeout = float(args.get('timeout', 20))
    conf = dict(args['conf'])
    conf.setdefault('broker.address.family', 'v4')
    if os.environ.get('RDKAFKA_DEBUG'):
        conf['debug'] = os.environ['RDKAFKA_DEBUG']
    conf['error_cb'] = lambda err: errors.append(error_json(err))

    def authentication_failed() -> bool:
        return any(e['code'] == KafkaError._AUTHENTICATION for e in errors)

    # Produce: every value delivered, or the first authentication error.
    p = Producer({**conf, 'linger.ms': 0, 'message.timeout.ms': int(timeout * 1000)})
    failures: list = []

    def report(err, msg):
        if err is not None:
            failures.append(str(err))
        else:
            out['produced'] += 1

    for value in args.get('values', []):
        p.produce(args['topic'], value=value.encode(), partition=0, on_delivery=report)
    deadline = time.monotonic() + timeout
    while len(p) > 0 and time.monotonic() < deadline and not authentication_failed():
        p.poll(0.1)
    if authentication_failed():
        raise Failed('authentication failed')
    if len(p) > 0 or failures:
        raise Failed(f'produce: {len(p)} undelivered, failures: {failures}')

    if not args.get('consume'):
        return
    c = Consumer({**conf, 'group.id': f'security-{uuid.uuid4()}', 'auto.offset.reset': 'earliest',
                  'enable.partition.eof': True, 'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
    try:
        c.subscribe([args['topic']])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not authentication_failed():
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    return
                raise Failed(f'consume: {msg.error()}')
            out['consumed'].append(msg.value().decode())
        raise Failed('consume: authentication failed' if authentication_failed() else f'consume: no end of partition within {timeout}s')
    finally:
        c.close()


def main() -> int:
    limit = float(os.environ.get('SECURITY_SCRIPT_TIMEOUT', '60'))
    watchdog = threading.Timer(limit, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    args = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    out: dict = {'produced': 0, 'consumed': [], 'errors': []}
    code = 0
    try:
        run(args, out)
    except Failed as e:
        out['failed'] = str(e)
        code = 1
    print(json.dumps(out), flush=True)
    return code


if __name__ == '__main__':
    sys.exit(main())
