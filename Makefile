# Every target does its own set-up, so each works on a fresh machine.
SHELL := /bin/bash
NODE_DEPS := node_modules/.samsa-installed
TSC := node_modules/.bin/tsc

.PHONY: run-cluster deps native-build-deps rdkafka-addon system-deps sarama-client kafka-go-client bench-deps generate build lint test fuzz chaos run bench bench-wire bench-log clean

# Debian packages the tests drive: etcd (the metadata store of brokers in
# separate processes: compat-tests/etcd-*.test.ts, the process chaos test),
# kcat (librdkafka's CLI client), chromium (the console's browser tests,
# compat-tests/console-browser*.test.ts, drive it with playwright-core),
# librdkafka's Python binding (compat-tests/helpers/txn_librdkafka.py, also the
# produce-latency client bench/latency.py) and kafka-python, a pure-Python
# client, with the snappy and lz4 modules its codecs need
# (compat-tests/helpers/kafka_python_client.py). Debian's python3, not whatever
# python3 is first on PATH, because that is where the packages install.
system-deps:
	@command -v kcat >/dev/null && command -v etcd >/dev/null && command -v chromium >/dev/null && /usr/bin/python3 -c 'import confluent_kafka, kafka, snappy, lz4.frame' 2>/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 kcat etcd-server chromium python3-confluent-kafka python3-kafka python3-snappy python3-lz4; }

# sarama, the Go client (compat-tests/sarama.test.ts): Debian's Go 1.19 and
# sarama 1.22.1 with its dependencies, whose sources apt puts under
# /usr/share/gocode/src, built in GOPATH mode (no module downloads) into
# build/sarama/ (cgo builds sarama's zstd codec, DataDog/zstd, on libzstd).
SARAMA_BIN := build/sarama/samsa-sarama
GO := /usr/bin/go
GOENV := GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE=$(CURDIR)/build/gocache \
  CGO_CFLAGS='-O2 -g -Wno-deprecated-declarations'

sarama-client: $(SARAMA_BIN)

$(SARAMA_BIN): compat-tests/sarama/main.go
	@test -x $(GO) && test -d /usr/share/gocode/src/github.com/Shopify/sarama || \
	  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 golang-go golang-github-shopify-sarama-dev gcc; }
	$(GOENV) $(GO) build -o $@ ./compat-tests/sarama

system-deps: sarama-client

# segmentio/kafka-go, another Go client (compat-tests/kafka-go.test.ts):
# Debian's kafka-go 0.2.1 with its dependencies (golang/snappy, pierrec/lz4),
# built like sarama in GOPATH mode into build/kafka-go/ (pure Go: no cgo, no gcc).
KAFKA_GO_BIN := build/kafka-go/samsa-kafka-go

kafka-go-client: $(KAFKA_GO_BIN)

$(KAFKA_GO_BIN): compat-tests/kafka-go/main.go
	@test -x $(GO) && test -d /usr/share/gocode/src/github.com/segmentio/kafka-go || \
	  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 golang-go golang-github-segmentio-kafka-go-dev; }
	CGO_ENABLED=0 $(GOENV) $(GO) build -o $@ ./compat-tests/kafka-go

system-deps: kafka-go-client

# The benchmarks need nothing beyond what the tests need.
bench-deps: system-deps

# The compiler and headers the native addons build with: zstd-napi (the
# broker's zstd codec) and node-rdkafka (a test client, below).
native-build-deps:
	@dpkg -s g++ make python3 libssl-dev zlib1g-dev libzstd-dev >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 g++ make python3 libssl-dev zlib1g-dev libzstd-dev; }

# npm ci runs no package scripts: each native addon is built by the target
# that needs it, so `make run` does not wait for node-rdkafka's.
$(NODE_DEPS): package.json package-lock.json | native-build-deps
	npm ci --no-audit --no-fund --ignore-scripts
	npm rebuild zstd-napi
	@touch $@

deps: $(NODE_DEPS)

# Regenerates src/wire/generated/ from ../shared/kafka-protocol/messages. It needs
# only the compiler: an install is made when there is none, but a dependency
# change elsewhere (a new runtime package) does not make it reinstall first.
$(TSC): | native-build-deps
	npm ci --no-audit --no-fund --ignore-scripts
	npm rebuild zstd-napi
	@touch $(NODE_DEPS)

generate: | $(TSC)
	$(TSC) -p src/wire/codegen/tsconfig.json
	node dist-codegen/main.js ../shared/kafka-protocol/messages src/wire/generated

# tsc's output (dist/src: the package's library entry, the tests that spawn
# dist/src/cli/main.js) and the `samsa` command bundled (dist/bundle:
# scripts/bundle.mjs says why).
build: deps
	rm -rf dist
	$(TSC) -p tsconfig.json
	node scripts/bundle.mjs

lint: deps
	$(TSC) -p tsconfig.json --noEmit

# node-rdkafka, librdkafka 2.12 built from the sources it bundles (Debian's
# 2.0.2 predates the KIP-848 consumer protocol), for
# compat-tests/consumer-protocol-clients*.test.ts. At -O0: it is a test client,
# and that halves the ~4 min of CPU its build takes at -O2.
RDKAFKA_ADDON := node_modules/node-rdkafka/build/Release/node-librdkafka.node

rdkafka-addon: $(RDKAFKA_ADDON)

$(RDKAFKA_ADDON): $(NODE_DEPS)
	CFLAGS='-O0 -g0' CXXFLAGS='-O0 -g0' npm rebuild node-rdkafka
	@touch $@

# librdkafka's build is one compiler process at a time: it runs beside the
# apt installs, the Go clients and tsc instead of before them.
test: deps
	@mkdir -p build; ( $(MAKE) --no-print-directory rdkafka-addon > build/rdkafka-addon.log 2>&1 ) & addon=$$!; \
	  $(MAKE) --no-print-directory system-deps build; status=$$?; \
	  wait $$addon || { cat build/rdkafka-addon.log; echo 'node-rdkafka did not build (log above)'; exit 1; }; \
	  exit $$status
	node_modules/.bin/tap

# The protocol fuzzer (compat-tests/fuzz/) for FUZZ_SECONDS (default 10 minutes)
# with FUZZ_SEED (default: a fresh seed, printed); FUZZ_SEED=<s> FUZZ_CASE=<n>
# replays one case it reported. `make test` runs a short seeded run of it.
FUZZ_SECONDS ?= 600
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) node_modules/.bin/tap --timeout=$$(( $(FUZZ_SECONDS) + 300 )) compat-tests/fuzz/protocol-fuzz.test.ts

# The chaos tests (compat-tests/chaos/): under producers, a consumer group and
# transactions, broker crashes and pauses on a 3-broker cluster in one process
# (chaos.test.ts), then SIGKILLs, SIGSTOPs past the lease, network partitions
# (brokers from brokers, from etcd) and etcd restarts on 3 broker processes
# with etcd (chaos-processes.test.ts), each for CHAOS_SECONDS (default 2
# minutes) with CHAOS_SEED (default: a fresh seed, printed; give it to
# replay). `make test` runs a short seeded run of each.
CHAOS_SECONDS ?= 120
chaos: build system-deps
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_SEED=$(CHAOS_SEED) node_modules/.bin/tap --timeout=$$(( 2 * $(CHAOS_SECONDS) + 600 )) compat-tests/chaos/chaos.test.ts compat-tests/chaos/chaos-processes.test.ts

run: build
	node dist/bundle/samsa.cjs start --data-dir ./data --http 127.0.0.1:9644 --http-allow-writes

# Three broker processes (127.0.0.1:9092-9094, data in ./data-cluster) with
# their metadata in a local etcd (127.0.0.1:2379): scripts/local-cluster.sh.
run-cluster: build
	@command -v etcd >/dev/null || { apt-get update -qq && apt-get install -y -qq etcd-server; }
	scripts/local-cluster.sh

# One run (about 3 min here): client workloads with broker CPU per million
# records, latency, start-up and idle RSS against a bare listening Node, the
# replicated rows, the ceiling; ends with issue 16's targets, met or not.
bench: build bench-deps
	node dist/bench/run.js

bench-wire: build
	node dist/bench/wire.js

bench-log: build
	node dist/bench/log.js

# LogManager.open over 100,000 partitions (BENCH_PARTITIONS) after a clean and
# an unclean stop: time, RSS and open descriptors (log.max.open.files: BENCH_MAX_OPEN_FILES).
.PHONY: bench-partitions
bench-partitions: build
	node --expose-gc dist/bench/partitions.js

# 10,000 partitions over 1,000 topics, 1,000 connections and 200 consumer
# groups on one broker, each also at a tenth of that, with how each cost grows
# (SCALE_TOPICS, SCALE_PARTITIONS_PER_TOPIC, SCALE_CONNECTIONS, SCALE_GROUPS).
.PHONY: bench-scale
bench-scale: build
	node dist/bench/scale.js

clean:
	rm -rf dist dist-codegen .tap build
