#!/usr/bin/env bash
# Starts the infrastructure the services and tests need, reusing whatever is
# already running: PostgreSQL (Debian cluster), Redis on 127.0.0.1:6379 and the
# Kafka-protocol devbroker on 127.0.0.1:19092. Creates the dev roles and the
# `reos` database. Safe to run any number of times.
#
# Only what this script starts gets a pid file (or, for Postgres, the marker
# .state/pids/postgres.started), so `make down` leaves alone what it found.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_go
ensure_state_dirs

# ---------------------------------------------------------------------------
# PostgreSQL

pg_ready() {
	pg_isready -q -h "$REOS_PG_HOST" -p "$REOS_PG_PORT" -t 2 >/dev/null 2>&1
}

# pg_version prints the version of the existing `main` cluster, else the newest
# installed server.
pg_version() {
	local v
	v="$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main" { print $1 }' | sort -V | tail -n1)"
	[[ -n "$v" ]] || v="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n1)"
	[[ -n "$v" ]] || die "no PostgreSQL server installed under /usr/lib/postgresql (run scripts/dev/install-deps.sh)"
	printf '%s' "$v"
}

start_postgres() {
	if pg_ready; then
		ok "postgres already running on ${REOS_PG_HOST}:${REOS_PG_PORT} (reused)"
		return 0
	fi
	local ver status port
	ver="$(pg_version)"
	if ! pg_lsclusters -h 2>/dev/null | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q .; then
		log "creating PostgreSQL $ver cluster main on port $REOS_PG_PORT"
		as_root pg_createcluster --port "$REOS_PG_PORT" "$ver" main >/dev/null
	fi
	read -r port status < <(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" { print $3, $4 }') || true
	[[ "$port" == "$REOS_PG_PORT" ]] ||
		die "PostgreSQL $ver/main is configured for port $port, expected $REOS_PG_PORT (edit /etc/postgresql/$ver/main/postgresql.conf)"
	if [[ "$status" != online* ]]; then
		log "starting PostgreSQL $ver/main"
		as_root pg_ctlcluster "$ver" main start
		echo "$ver main" >"$REOS_PIDS/postgres.started"
	fi
	local i
	for ((i = 0; i < 60; i++)); do
		pg_ready && { ok "postgres $ver/main running on ${REOS_PG_HOST}:${REOS_PG_PORT}"; return 0; }
		sleep 0.5
	done
	die "PostgreSQL did not become ready; see /var/log/postgresql/postgresql-$ver-main.log"
}

# pg_admin runs psql as a superuser: the postgres OS user over the local socket
# when we can become it, else the dev superuser `reos` over TCP.
pg_admin() {
	if as_postgres true 2>/dev/null; then
		(cd / && as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$REOS_PG_PORT" -d postgres "$@")
	else
		psql -X -q -v ON_ERROR_STOP=1 "$REOS_PG_ADMIN_URL" "$@"
	fi
}

# roles_sql prints the idempotent SQL for the owner role, the database and, for
# every service, its NOLOGIN group role <name>_app (the service's migrations
# grant it DML on its schema) and its login role <name>_svc, a member of it.
# Dev-only passwords: reos/reos and <name>_svc/<name>_svc.
roles_sql() {
	cat <<'SQL'
SET client_min_messages = warning;
-- Serialise concurrent runs (several `make test` at once).
SELECT pg_advisory_lock(hashtext('reos-infra-up')) \g /dev/null
DO $$BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reos') THEN
    CREATE ROLE reos LOGIN SUPERUSER PASSWORD 'reos';
  END IF;
END$$;
SELECT 'CREATE DATABASE reos OWNER reos'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'reos') \gexec
SQL
	local name
	while read -r name; do
		[[ "$name" =~ ^[a-z][a-z0-9_]*$ ]] || die "service name '$name' is not a plain SQL identifier"
		cat <<SQL
DO \$\$BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${name}_app') THEN
    CREATE ROLE ${name}_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${name}_svc') THEN
    CREATE ROLE ${name}_svc LOGIN PASSWORD '${name}_svc';
  ELSE
    ALTER ROLE ${name}_svc LOGIN PASSWORD '${name}_svc';
  END IF;
END\$\$;
GRANT ${name}_app TO ${name}_svc;
SQL
	done < <(svc_names)
	echo "SELECT pg_advisory_unlock(hashtext('reos-infra-up')) \\g /dev/null"
}

setup_database() {
	roles_sql | pg_admin -f - || die "could not create the dev roles and database"
	ok "database reos, roles reos + $(svc_names | sed 's/.*/&_svc/' | paste -sd' ' -) ready"
}

# ---------------------------------------------------------------------------
# Redis

redis_ping() {
	[[ "$(redis-cli -h 127.0.0.1 -p "$REOS_REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

start_redis() {
	if redis_ping; then
		if pid_alive "$REOS_PIDS/redis.pid" redis; then
			ok "redis running on 127.0.0.1:${REOS_REDIS_PORT} (ours)"
		else
			ok "redis already running on 127.0.0.1:${REOS_REDIS_PORT} (reused)"
		fi
		return 0
	fi
	port_open "$REOS_REDIS_PORT" &&
		die "port $REOS_REDIS_PORT is taken by something that does not answer Redis PING: $(port_owner "$REOS_REDIS_PORT")"
	log "starting redis on 127.0.0.1:${REOS_REDIS_PORT}"
	redis-server --daemonize yes --bind 127.0.0.1 --port "$REOS_REDIS_PORT" \
		--save "" --appendonly no --dir "$REOS_STATE" \
		--pidfile "$REOS_PIDS/redis.pid" --logfile "$REOS_LOGS/redis.log"
	local i
	for ((i = 0; i < 50; i++)); do
		redis_ping && { ok "redis running on 127.0.0.1:${REOS_REDIS_PORT}"; return 0; }
		sleep 0.2
	done
	tail -n 20 "$REOS_LOGS/redis.log" >&2 || true
	die "redis did not answer PING"
}

# ---------------------------------------------------------------------------
# devbroker

start_broker() {
	local pidfile="$REOS_PIDS/devbroker.pid" logfile="$REOS_LOGS/devbroker.log"
	if port_open "$REOS_BROKER_PORT"; then
		if pid_alive "$pidfile" devbroker; then
			ok "devbroker running on ${REOS_KAFKA_BROKERS} (ours)"
		else
			ok "broker already listening on ${REOS_KAFKA_BROKERS} (reused)"
		fi
		return 0
	fi
	local line
	line="${REOS_TOOLS[0]}"
	build_one devbroker "$(svc_field "$line" 1)" "$(svc_field "$line" 2)" || die "could not build devbroker"
	log "starting devbroker on ${REOS_KAFKA_BROKERS}"
	rm -f "$pidfile"
	# devbroker writes (and on exit removes) its own pid file.
	setsid nohup "$REOS_BIN/devbroker" -port "$REOS_BROKER_PORT" -pidfile "$pidfile" \
		>>"$logfile" 2>&1 </dev/null &
	local i
	for ((i = 0; i < 100; i++)); do
		port_open "$REOS_BROKER_PORT" && { ok "devbroker running on ${REOS_KAFKA_BROKERS}"; return 0; }
		sleep 0.2
	done
	tail -n 20 "$logfile" >&2 || true
	die "devbroker did not start listening on ${REOS_KAFKA_BROKERS}"
}

start_postgres
setup_database
start_redis
start_broker
