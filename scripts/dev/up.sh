#!/usr/bin/env bash
# `make up`: the whole local stack in the background, safe to run again.
#   install missing packages → Postgres, Redis, devbroker (infra-up.sh) → build
#   → JWT signing key (once) → migrations → services (identity first, gateway
#   last), each waited for on /readyz → demo seed → nginx on :8000 → readiness
#   through nginx → URLs and demo logins.
# A service already running from an earlier `make up` is left running (its pid
# file names a live process); `make down && make up` restarts everything.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dev="$REOS_ROOT/scripts/dev"
bash "$dev/install-deps.sh"
ensure_go
ensure_state_dirs
bash "$dev/infra-up.sh"

log "building"
bash "$dev/build.sh"

# The RS256 key identity signs tokens with. Generated once, kept across runs
# so tokens survive a restart. Dev only.
if [[ ! -s "$REOS_JWT_KEY" ]]; then
	log "generating the JWT signing key ${REOS_JWT_KEY#"$REOS_ROOT"/}"
	(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$REOS_JWT_KEY" 2>/dev/null)
fi
chmod 600 "$REOS_JWT_KEY"

run_dir="$REOS_STATE/run"
mkdir -p "$run_dir"
chmod 700 "$run_dir"

# The services that can run: those whose code exists. Missing ones are named.
present=()
for line in "${REOS_SERVICES[@]}"; do
	name="$(svc_field "$line" 0)"
	if svc_present "$line"; then
		present+=("$line")
	else
		warn "$name: not in the tree yet ($(svc_field "$line" 1)/$(svc_field "$line" 2 | sed 's|^\./||') missing); not started"
	fi
done

# write_env LINE: the service's environment, in .state/run/<name>.env (it
# carries dev passwords, hence 0600). Read by start_daemon and by `make ps`.
write_env() {
	local name file
	name="$(svc_field "$1" 0)"
	file="$run_dir/$name.env"
	(umask 077 && service_env "$1" >"$file")
	printf '%s' "$file"
}

# run_subcommand LINE DATABASE_URL ARGS...: runs the service binary once, with
# its environment but the given database URL, logging to .state/logs/<name>.log
# and showing the output.
run_subcommand() {
	local line="$1" dburl="$2" name envfile
	shift 2
	name="$(svc_field "$line" 0)"
	envfile="$(write_env "$line")"
	local -a envs
	mapfile -t envs <"$envfile"
	printf '\n--- %s %s (%s)\n' "$name" "$*" "$(date -u +%FT%TZ)" >>"$REOS_LOGS/$name.log"
	env "${envs[@]}" "DATABASE_URL=$dburl" timeout "${REOS_SUBCOMMAND_TIMEOUT:-300}" \
		"$REOS_BIN/$name" "$@" 2>&1 | tee -a "$REOS_LOGS/$name.log" | sed "s/^/   $name | /"
}

log "migrations (as the owner role reos)"
for line in "${present[@]}"; do
	name="$(svc_field "$line" 0)"
	run_subcommand "$line" "$REOS_PG_OWNER_URL" migrate up ||
		die "$name: migrate up failed (output above, log $REOS_LOGS/$name.log)"
	ok "$name migrations applied"
done

log "services"
for line in "${present[@]}"; do
	name="$(svc_field "$line" 0)"
	port="$(svc_field "$line" 3)"
	pidfile="$REOS_PIDS/$name.pid"
	logfile="$REOS_LOGS/$name.log"
	if pid_alive "$pidfile" "$name"; then
		ok "$name already running (pid $(pid_of "$pidfile"); make down && make up to restart on a new build)"
	else
		if port_open "$port"; then
			die "$name: port $port is taken by a process we did not start: $(port_owner "$port")"
		fi
		envfile="$(write_env "$line")"
		printf '\n--- %s serve (%s)\n' "$name" "$(date -u +%FT%TZ)" >>"$logfile"
		start_daemon "$name" "$logfile" "$envfile" "$REOS_BIN/$name" serve
		echo "   $name: started (pid $(pid_of "$pidfile"), log ${logfile#"$REOS_ROOT"/})"
	fi
	# Waiting here, in start order, means the next service finds this one up
	# (everyone fetches identity's JWKS; the gateway fronts the rest).
	wait_http "$name" "http://127.0.0.1:${port}/readyz" "$logfile" "" "$pidfile" || exit 1
done

# Demo data: every service seeds its own part (idempotent; pkg/service says
# "no demo data" for one that has none), in start order so identity's org and
# users come first. The gateway has no data to seed.
seeded=""
for line in "${present[@]}"; do
	name="$(svc_field "$line" 0)"
	[[ "$name" == gateway ]] && continue
	log "seeding $name"
	run_subcommand "$line" "$(svc_db_url "$name")" seed ||
		die "$name: seed failed (output above, log $REOS_LOGS/$name.log)"
	[[ "$name" == identity ]] && seeded=1
done

log "nginx"
bash "$dev/nginx.sh"

log "readiness through nginx"
wait_http "nginx → placeholder" "http://127.0.0.1:${REOS_NGINX_PORT}/" "$REOS_LOGS/nginx-error.log" 15
gateway_up=""
for line in "${present[@]}"; do
	[[ "$(svc_field "$line" 0)" == gateway ]] && gateway_up=1
done
if [[ -n "$gateway_up" ]]; then
	wait_http "nginx → gateway" "http://127.0.0.1:${REOS_NGINX_PORT}/readyz" "$REOS_LOGS/gateway.log"
else
	warn "no gateway yet: /api/ through nginx answers 502"
fi
for line in "${present[@]}"; do
	name="$(svc_field "$line" 0)"
	wait_http "$name" "http://127.0.0.1:$(svc_field "$line" 3)/readyz" "$REOS_LOGS/$name.log" 10
done

base="http://127.0.0.1:${REOS_NGINX_PORT}"
cat <<EOF

${_c_bold}Real Estate OS is up.${_c_off}
  App          ${base}
  API          ${base}/api/v1
  API docs     ${base}/api/v1/docs
  OpenAPI      ${base}/api/v1/openapi.json
  Readiness    ${base}/readyz
EOF
for line in "${present[@]}"; do
	printf '  %-12s http://127.0.0.1:%s  (metrics /metrics)\n' "$(svc_field "$line" 0)" "$(svc_field "$line" 3)"
done
cat <<EOF
  Postgres     ${REOS_PG_OWNER_URL}   (dev only)
  Redis        ${REOS_REDIS_URL}
  Broker       ${REOS_KAFKA_BROKERS}
  Logs         ${REOS_LOGS#"$REOS_ROOT"/}/   (make logs; make ps; make down)

Demo logins (password demo-password, mock mode only):
  admin@demo.reos.test   sales@demo.reos.test   agent@demo.reos.test   viewer@demo.reos.test
EOF
[[ -n "$seeded" ]] || warn "identity has no seed subcommand yet: the demo logins do not exist until it does"
