# nbgrid — the README names two commands: `make demo` (the main job) and `make test` (every test).
# Every target installs what it needs first (scripts/bootstrap.sh skips what is already there).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
JEST := npx jest
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.bin:$(CURDIR)/.venv/bin:$(PATH)

.PHONY: help setup build build-worker build-lib build-extension install-python lint typecheck \
        test test-unit test-integration test-python test-ui demo bench bench-queue faults soak clean

help:
	@echo "make demo   - set up, start the stack, map examples/main.ipynb over range(10), stop"
	@echo "make test   - set up, lint, type-check and run every test (jest, pytest, JupyterLab UI)"
	@echo "make bench  - benchmarks (make bench-queue: the queue alone)"

setup:
	@scripts/bootstrap.sh

build-worker: setup
	@npm run --silent build -w worker

build-extension: build-lib
	@npm run --silent build

install-python: build-extension
	@scripts/install-python-package.sh

build: build-worker install-python

lint: setup
	@npx eslint --max-warnings=0 src worker/src test --ext .ts,.tsx

# The type check IS the two builds: worker/ compiles with tsconfig.build.json (the same options as
# worker/tsconfig.json) and the extension with `tsc -b tsconfig.json` (which first emits the worker's
# contract declarations it imports, and has noEmitOnError); tsc exits non-zero on any type error.
# A separate `--noEmit` pass of the same files (as before) cost `make test` a second compile of each.
typecheck: build-worker build-lib
	@echo "typecheck ok"

build-lib: setup
	@npm run --silent build:lib

test-unit: build
	@$(JEST) --selectProjects worker extension

# --forceExit: after a lost gateway, @jupyterlab/services keeps a reconnect timer alive for ~30 s.
# One file at a time (--runInBand): the suites start real services and kernels and keep 2 cores busy,
# except IDLE_SUITES, which mostly wait (measured wall / CPU seconds: schedule-realtime, two real
# minute boundaries, 106 / 8; flower, Flower's and celery's polling, 107 / 12; celery reliability,
# visibility timeouts, 26 / 2; group-done 33 / 6 and announce-takeover 18 / 5, leases and
# deliveries; tasks-end 18 / 7; kernel-cull, an idle timeout, 17 / 7; on a slower VM, 2026-12-02:
# reduce restarts, FerretDB and Redis restarted under a reduce, 136 / 50; mongo-outage, a MongoDB
# outage waited out, 97 / 29): they run one at a time in a second jest beside the others (about a
# third of their time), and their output is printed after them.
IDLE_SUITES := test/worker/integration/schedules/schedule-realtime.test.ts \
               test/worker/integration/celery/flower.test.ts \
               test/worker/integration/celery/reliability.test.ts \
               test/worker/integration/progress/group-done.test.ts \
               test/worker/integration/progress/announce-takeover.test.ts \
               test/worker/integration/lifecycle/tasks-end.test.ts \
               test/worker/integration/security/kernel-cull.test.ts \
               test/worker/integration/reduce/restarts.test.ts \
               test/worker/integration/faults/mongo-outage.test.ts
test-integration: build
	@idle_log=$$(mktemp); \
	$(JEST) --selectProjects integration --runInBand --forceExit $(IDLE_SUITES) > $$idle_log 2>&1 & idle=$$!; \
	$(JEST) --selectProjects integration --runInBand --forceExit --testPathIgnorePatterns /node_modules/ $(IDLE_SUITES); rest=$$?; \
	wait $$idle; idle_rc=$$?; echo "--- beside them: $(IDLE_SUITES)"; cat $$idle_log; rm -f $$idle_log; \
	[ $$rest -eq 0 ] && [ $$idle_rc -eq 0 ]

test-python: build
	@scripts/run-pytest.sh test/python

test-ui: build
	@npm run --silent test:ui

test: lint typecheck test-unit test-integration test-python test-ui

demo: build
	@scripts/demo.sh

bench-queue: build-worker
	@node -r ./scripts/ts-hook.js bench/queue/run.ts $(or $(N),2000)

# Sizes: BENCH_N, BENCH_N_SLOW, BENCH_MAP, BENCH_QUEUE; `--only floor,throughput,submit,queue` runs a subset.
bench: build-worker
	@node -r ./scripts/ts-hook.js bench/run.ts

faults: build-worker
	@node -r ./scripts/ts-hook.js scripts/faults/run.ts

# Chaos under load (about 10-20 min; not part of `make test`). SOAK_TASKS, SOAK_MINUTES, SOAK_SEED, ...: see README "Soak test".
soak: build-worker
	@node -r ./scripts/ts-hook.js scripts/soak/run.ts

clean:
	rm -rf lib worker/dist nbgrid/labextension .nbgrid
