# Every target does its own set-up, so each works on a fresh machine.
SHELL := /bin/bash
NODE_DEPS := node_modules/.samsa-installed
TSC := node_modules/.bin/tsc

.PHONY: deps system-deps bench-deps generate build lint test run bench bench-wire bench-log clean

# Debian packages the tests drive: kcat (librdkafka's CLI client),
# librdkafka's Python binding (compat-tests/helpers/txn_librdkafka.py, also the
# produce-latency client bench/latency.py) and kafka-python, a pure-Python
# client, with the snappy and lz4 modules its codecs need
# (compat-tests/helpers/kafka_python_client.py). Debian's python3, not whatever
# python3 is first on PATH, because that is where the packages install.
system-deps:
	@command -v kcat >/dev/null && /usr/bin/python3 -c 'import confluent_kafka, kafka, snappy, lz4.frame' 2>/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq kcat python3-confluent-kafka python3-kafka python3-snappy python3-lz4; }

# The benchmarks need nothing beyond what the tests need.
bench-deps: system-deps

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_DEPS)

# Regenerates src/wire/generated/ from ../shared/kafka-protocol/messages.
generate: deps
	$(TSC) -p src/wire/codegen/tsconfig.json
	node dist-codegen/main.js ../shared/kafka-protocol/messages src/wire/generated

build: deps
	rm -rf dist
	$(TSC) -p tsconfig.json

lint: deps
	$(TSC) -p tsconfig.json --noEmit

test: deps system-deps build
	node_modules/.bin/tap

run: build
	node dist/src/cli/main.js start --data-dir ./data

bench: build bench-deps
	node dist/bench/run.js

bench-wire: build
	node dist/bench/wire.js

bench-log: build
	node dist/bench/log.js

clean:
	rm -rf dist dist-codegen .tap
