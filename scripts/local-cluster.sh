#!/usr/bin/env bash
# A local cluster of separate broker processes with their metadata in etcd,
# for development: etcd on 127.0.0.1:$ETCD_PORT (data in $DATA/etcd) and
# brokers 0..N-1 on 127.0.0.1:$PORT.. (data in $DATA/broker-<id>), all under
# the etcd prefix /samsa/local. Ctrl-C stops everything (brokers cleanly,
# then etcd). Run as `make run-cluster` (it builds and installs etcd first).
set -euo pipefail
BROKERS=${BROKERS:-3}
PORT=${PORT:-9092}
ETCD_PORT=${ETCD_PORT:-2379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-2380}
DATA=${DATA:-./data-cluster}
HOST=127.0.0.1
mkdir -p "$DATA"
pids=()
stop() {
  trap - INT TERM EXIT
  for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Its own session: Ctrl-C (sent to the whole foreground group) reaches the brokers, which still need etcd to hand over.
setsid etcd --name samsa-local --data-dir "$DATA/etcd" \
  --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
  --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
  --initial-cluster "samsa-local=http://$HOST:$ETCD_PEER_PORT" --log-level warn >"$DATA/etcd.log" 2>&1 &
pids+=($!)
node -e 'const u = process.argv[1]; const end = Date.now() + 10000;
  (async () => { for (;;) { try { if ((await (await fetch(u)).json()).health === "true") return; } catch {} if (Date.now() > end) { console.error("etcd did not start: see its log"); process.exit(1); } await new Promise((r) => setTimeout(r, 100)); } })();' "http://$HOST:$ETCD_PORT/health"
echo "etcd on $HOST:$ETCD_PORT (data: $DATA/etcd, log: $DATA/etcd.log)"

for ((i = 0; i < BROKERS; i++)); do
  node dist/src/cli/main.js start --node-id "$i" --listen "$HOST:$((PORT + i))" --data-dir "$DATA/broker-$i" \
    --metadata "etcd://$HOST:$ETCD_PORT/samsa/local" "$@" &
  pids+=($!)
done
echo "bootstrap servers: $(for ((i = 0; i < BROKERS; i++)); do printf '%s%s' "$([ "$i" -gt 0 ] && echo ,)" "$HOST:$((PORT + i))"; done)"
wait -n "${pids[@]}"
