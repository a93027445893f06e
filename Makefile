# Real Estate OS — the two commands are `make up` and `make test`.
# Every target is a script in scripts/dev/ (read them for the details); state
# (binaries, pid files, logs, keys, nginx prefix) lives in .state/.

SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help
DEV := scripts/dev

.PHONY: help up down test lint build bench logs ps nginx infra deps

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-7s %s\n", $$1, $$2 }'

up: ## start the whole local stack in the background, wait until ready, print URLs and logins
	@bash $(DEV)/up.sh

down: ## stop what `make up` started (never a Postgres/Redis/broker it found running)
	@bash $(DEV)/down.sh

test: ## run go vet and every Go test of every module against local Postgres/Redis/broker
	@bash $(DEV)/test.sh

lint: ## gofmt, go vet and staticcheck over every module
	@bash $(DEV)/lint.sh

build: ## build every binary into .state/bin
	@bash $(DEV)/build.sh

bench: ## Go benchmarks of every module, then scripts/bench/ if present
	@bash $(DEV)/bench.sh

logs: ## follow the logs (S=identity for one component, N=lines)
	@bash $(DEV)/logs.sh

ps: ## show what is running and who started it
	@bash $(DEV)/ps.sh

nginx: ## (re)render the nginx config and start or reload nginx
	@bash $(DEV)/nginx.sh

infra: ## start Postgres, Redis and devbroker only (no services)
	@bash $(DEV)/infra-up.sh

deps: ## install missing Debian packages
	@bash $(DEV)/install-deps.sh
