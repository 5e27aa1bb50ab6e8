# The two set-up commands: `make run` and `make test`. Each builds .venv when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-deps clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Everything `make run` reads and writes lives under var/ (git-ignored): the inbox, seeded on first use with a
# copy of the sample issue, and the data folder. Dropping files into var/inbox/ leaves the checkout clean.
run: $(STAMP) var/inbox
	$(BIN)/feedsvc run --config config/feedsvc.toml

var/inbox:
	mkdir -p var/inbox.tmp
	cp seeds/*.txt var/inbox.tmp/
	mv var/inbox.tmp var/inbox

# A self-contained installation from this checkout (README "Install"): a venv at PREFIX holding feedsvc and its
# dependencies (PREFIX/bin/feedsvc, as the systemd units expect), and the example settings, units and cache
# configurations in PREFIX/share/feedsvc. Installs over an earlier one (README "Upgrade"); starts nothing.
PREFIX ?= /opt/feedsvc
install:
	test -x $(PREFIX)/bin/python || $(PYTHON) -m venv $(PREFIX)
	$(PREFIX)/bin/python -m pip install --quiet --upgrade pip
	$(PREFIX)/bin/python -m pip install --quiet --upgrade --force-reinstall --no-deps .
	$(PREFIX)/bin/python -m pip install --quiet .
	install -d $(PREFIX)/share/feedsvc
	install -m 0644 README.md config/feedsvc.toml config/feedsvc.service config/feedsvc@.service \
		config/nginx.conf config/varnish.vcl $(PREFIX)/share/feedsvc/
	@echo "installed: $$($(PREFIX)/bin/feedsvc --version)"

lint: $(STAMP)
	$(BIN)/ruff check feedsvc tests bench
	$(BIN)/mypy

# Two workers, a test file each at a time (module fixtures stay shared): the suite mostly waits on daemons,
# readers and caches, so it takes about half the time on 2 cores.
test: lint
	$(BIN)/pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# The benchmarks' tools, installed once and on purpose (a benchmark run installs nothing): wrk and hugo from
# Debian (needs root; measurements without them are reported as skipped), py-spy for `--profile`.
bench-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet py-spy
	@if command -v wrk >/dev/null && command -v hugo >/dev/null && command -v nginx >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk hugo nginx >/dev/null; \
	else echo "as root: apt-get install wrk hugo nginx" >&2; exit 1; fi

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .ruff_cache
