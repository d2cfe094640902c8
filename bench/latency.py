#!/usr/bin/python3
"""Produce latency at a fixed rate with librdkafka (issue 7).

Run by bench/run.ts (make bench); by hand:
    /usr/bin/python3 bench/latency.py --broker 127.0.0.1:9092 --topic t [--rate 10000 --seconds 5 --size 100]

Open loop: message i is due at t0 + i/rate whatever happened before it, and its
latency runs from that due time (not from the produce() call) to its delivery
report, so a stalled broker or a slow client shows up as latency instead of as
a quietly lower rate. Prints one JSON object (milliseconds) on stdout.

Why Python over librdkafka: a kafkajs client issuing 10,000 separate sends a
second was itself the bottleneck (p99 of hundreds of ms). Here librdkafka does
the I/O on its own threads; Python only paces and calls produce().

The client must leave the broker its CPU: on a 2-core machine a client that
spins takes a core, and the broker's tail latency then measures the two waiting
for each other. confluent-kafka's poll() takes whole milliseconds (a shorter
timeout becomes 0), so pacing sends 0.1 ms apart with poll() spun a core (issue
16). Now the loop sleeps until each due time and serves delivery reports with
poll(0) after each send, so a report is timestamped up to one send interval
(0.1 ms at 10,000 msg/s) after librdkafka saw the acknowledgement: latency is
over-stated by at most that much. (Serving reports from a second thread blocked
in poll() timestamps them at once, but its wake-up per report cost more CPU
than the sleeping loop itself and made the tail noisier.)
"""
import argparse
import ctypes
import json
import resource
import sys
import time

from confluent_kafka import Producer, libversion, version


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--broker', required=True, help='host:port')
    ap.add_argument('--topic', required=True)
    ap.add_argument('--rate', type=int, default=10_000, help='messages per second')
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--size', type=int, default=100, help='value bytes')
    ap.add_argument('--idempotence', action='store_true', help='enable.idempotence=true')
    args = ap.parse_args()

    conf = {
        'bootstrap.servers': args.broker,
        'acks': 'all',
        # No batching delay: every message goes out in the next request the
        # connection can send, which is what a latency figure should measure.
        'linger.ms': 0,
        # librdkafka leaves Nagle on by default; a latency client turns it off
        # (as the Java client does) so the kernel does not hold small requests.
        'socket.nagle.disable': True,
        'enable.idempotence': args.idempotence,
        'message.timeout.ms': 30_000,
    }
    errors = []
    producer = Producer(conf)
    value = b'x' * args.size

    # Warm-up outside the measurement: metadata, connection, producer id.
    producer.produce(args.topic, value)
    if producer.flush(30) != 0:
        sys.exit('warm-up message not delivered within 30 s')

    total = int(args.rate * args.seconds)
    latencies = []
    dues = []  # due time of each delivered message, beside its latency

    def report(due: float):
        def on_delivery(err, _msg) -> None:
            if err is None:
                latencies.append(time.perf_counter() - due)
                dues.append(due)
            else:
                errors.append(str(err))
        return on_delivery

    # A sleep ends up to the thread's timer slack (50 us by default) late; 1 us
    # keeps sends close to their due time (this thread only).
    try:
        ctypes.CDLL(None).prctl(29, 1000, 0, 0, 0)  # PR_SET_TIMERSLACK, in ns
    except (OSError, AttributeError):
        pass  # not Linux: sends are a little later, and that counts as latency

    interval = 1.0 / args.rate
    max_slip = 0.0
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for i in range(total):
        due = t0 + i * interval
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        max_slip = max(max_slip, time.perf_counter() - due)
        while True:
            try:
                producer.produce(args.topic, value, on_delivery=report(due))
                break
            except BufferError:  # local queue full: serve reports, then retry (counts as latency)
                producer.poll(0.001)
        producer.poll(0)  # serves the reports queued since the last send
    sent_seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if producer.flush(60) != 0:
        errors.append('messages still undelivered 60 s after the last send')

    if not latencies:
        sys.exit(f'no message delivered: {errors[0] if errors else "no delivery reports"}')
    got = sorted(latencies)

    def q(p: float) -> float:
        return round(1000 * got[min(len(got) - 1, int(p * len(got)))], 3)

    # p50 of the messages due in the first and in the last second: a broker
    # that cannot keep up with the rate (open loop) shows as latency growing
    # through the run, a stall as a tail in one place.
    def p50_due(lo: float, hi: float):
        xs = sorted(l for l, d in zip(latencies, dues) if lo <= d - t0 < hi)
        return round(1000 * xs[len(xs) // 2], 3) if xs else None

    print(json.dumps({
        'p50': q(0.5), 'p99': q(0.99), 'p999': q(0.999), 'max': round(1000 * got[-1], 3),
        'count': len(got), 'errors': len(errors), 'firstError': errors[0] if errors else None,
        'rate': args.rate, 'achievedRate': round(total / sent_seconds),
        'maxSendSlipMs': round(1000 * max_slip, 3),
        # The client's own CPU while sending, all threads: it shares the machine with the broker.
        'clientCpuS': round(cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime, 3),
        'p50FirstSecond': p50_due(0, 1), 'p50LastSecond': p50_due(args.seconds - 1, args.seconds),
        'client': f'librdkafka {libversion()[0]} (confluent-kafka-python {version()[0]}), acks=all, linger.ms=0, '
                  f'idempotence {"on" if args.idempotence else "off"}',
    }))


if __name__ == '__main__':
    main()
