#!/usr/bin/env bash
# `make down`: stops exactly what our pid files in .state/pids name, front to
# back (nginx, gateway and services, devbroker, redis): SIGTERM, up to 10 s,
# then SIGKILL. A Postgres cluster is stopped only if infra-up.sh started it
# (.state/pids/postgres.started). Anything that was already running when we
# came up has no pid file and is left alone.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -d "$REOS_PIDS" ]] || { ok "nothing to stop (no $REOS_PIDS)"; exit 0; }

log "stopping the local stack"

# Reverse start order: the front door first, the infrastructure last.
order=(nginx)
mapfile -t names < <(svc_names)
for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[$i]}"); done
order+=(devbroker redis)

for name in "${order[@]}"; do
	[[ -e "$REOS_PIDS/$name.pid" ]] && stop_pidfile "$REOS_PIDS/$name.pid" "$name"
done
# Anything else we left a pid file for (a service since removed from the table).
for file in "$REOS_PIDS"/*.pid; do
	[[ -e "$file" ]] && stop_pidfile "$file"
done

marker="$REOS_PIDS/postgres.started"
if [[ -f "$marker" ]]; then
	read -r ver cluster <"$marker" || true
	if [[ -n "${ver:-}" && -n "${cluster:-}" ]]; then
		as_root pg_ctlcluster "$ver" "$cluster" stop && echo "   postgres $ver/$cluster: stopped"
	fi
	rm -f "$marker"
fi
ok "stopped"
