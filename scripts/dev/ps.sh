#!/usr/bin/env bash
# `make ps`: what the local stack is running. Our processes come from the pid
# files; the infrastructure is probed, and marked (external) when something we
# did not start serves it.
set -uo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

row() { printf '  %-11s %-9s %-8s %s\n' "$@"; }

printf '  %-11s %-9s %-8s %s\n' NAME STATE PID ADDRESS
# ours_or_external NAME PORT: state of a pid-file process or of whatever listens.
probe() {
	local name="$1" port="$2" addr="$3" file="$REOS_PIDS/$1.pid"
	if pid_alive "$file" "$name"; then
		row "$name" running "$(pid_of "$file")" "$addr"
	elif [[ -e "$file" ]]; then
		row "$name" stale "$(pid_of "$file")" "$addr (pid file names a dead process)"
	elif port_open "$port"; then
		row "$name" external - "$addr (not started by us)"
	else
		row "$name" down - "$addr"
	fi
}

if pg_isready -q -h "$REOS_PG_HOST" -p "$REOS_PG_PORT" -t 1 2>/dev/null; then
	if [[ -f "$REOS_PIDS/postgres.started" ]]; then
		row postgres running - "${REOS_PG_HOST}:${REOS_PG_PORT} (cluster $(tr ' ' / <"$REOS_PIDS/postgres.started") started by us)"
	else
		row postgres external - "${REOS_PG_HOST}:${REOS_PG_PORT} (not started by us)"
	fi
else
	row postgres down - "${REOS_PG_HOST}:${REOS_PG_PORT}"
fi
probe redis "$REOS_REDIS_PORT" "127.0.0.1:${REOS_REDIS_PORT}"
probe devbroker "$REOS_BROKER_PORT" "127.0.0.1:${REOS_BROKER_PORT}"
for line in "${REOS_SERVICES[@]}"; do
	name="$(svc_field "$line" 0)"
	port="$(svc_field "$line" 3)"
	if ! svc_present "$line" && [[ ! -e "$REOS_PIDS/$name.pid" ]]; then
		row "$name" absent - "(no code yet)"
		continue
	fi
	probe "$name" "$port" "http://127.0.0.1:$port"
done
probe nginx "$REOS_NGINX_PORT" "http://127.0.0.1:${REOS_NGINX_PORT}"
