#!/usr/bin/env bash
# Bulk import benchmark (property, POST /properties/bulk-import). For each
# size (100k and 1M rows by default), in one run:
#   (a) the full pipeline: the property binary, against a fresh database,
#       receives the CSV file over HTTP (streamed to its file store), queues
#       the import job and works it: parse, validate, COPY into the staging
#       table, INSERT … ON CONFLICT into properties (with the search trigger
#       and its GIN indexes), one history row and one property.created
#       outbox event per row, a progress event and checkpoint per batch.
#       Timed from the first byte of the upload to the import's completion,
#       and from the job's start to its end (import only). The property
#       process is fresh for each size and its peak RSS (VmHWM) is read at
#       the end.
#   (b) psql \copy of the same cleaned rows (exported from (a)) into
#       property.properties of another fresh database migrated the same way:
#       the same indexes, constraints and search trigger.
# Reports rows/s of both and their ratio (goal >= 0.6), and the peak RSS of
# the 1M run over the 100k run (goal <= 1.5). The relay publishing the
# outbox is not part of the import (it drains asynchronously): the service
# is given an unreachable broker, so its relay idles. Results:
# .state/bench/import/results.json.
#
# Each size runs ROUNDS times, alternating which side goes first; the
# figures are medians (the machine may be busy with other work).
#
# Usage: scripts/bench/import/run.sh   (SIZES="100000 1000000" ROUNDS=3
# SEED=20260101 BAD_EVERY=200 BATCH_ROWS=5000 to change)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/dev/lib.sh
source "$here/../../dev/lib.sh"

read -ra SIZES <<<"${SIZES:-100000 1000000}"
SEED="${SEED:-20260101}"
BAD_EVERY="${BAD_EVERY:-200}"
BATCH_ROWS="${BATCH_ROWS:-5000}"
ROUNDS="${ROUNDS:-3}"
DB_PREFIX=reos_bench_import
# Property's columns as \copy loads them: everything but the generated ones.
COLUMNS="id, org_id, listing_key, list_price_cents, bedrooms_total, bathrooms_total_integer, living_area, lot_size_acres,
year_built, property_type, property_sub_type, standard_status, unparsed_address, street_number, street_name, unit_number,
city, state_or_province, postal_code, country, latitude, longitude, public_remarks, created_at, updated_at, archived_at"
COLUMNS="${COLUMNS//$'\n'/ }"

ensure_go
ensure_state_dirs
for tool in curl jq psql; do
	command -v "$tool" >/dev/null || die "$tool missing: run scripts/dev/install-deps.sh"
done
bash "$REOS_ROOT/scripts/dev/infra-up.sh" >/dev/null

out="$REOS_STATE/bench/import"
rm -rf "$out"
mkdir -p "$out"
# Binaries of our own: .state/bin may be rebuilt by someone else mid-run.
bin="$out/bin"
(cd "$REOS_ROOT" && go build -o "$bin/" ./services/identity/cmd/identity ./services/property/cmd/property)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	drop_db "${DB_PREFIX}_identity" 2>/dev/null || true
}
trap cleanup EXIT

db_url() { echo "postgres://reos:reos@127.0.0.1:${REOS_PG_PORT}/$1?sslmode=disable"; }
fresh_db() {
	psql -q "$REOS_PG_ADMIN_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}
# free_port picks an unused port (other test stacks on this machine take
# random ones, so no port is fixed).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}
# started NAME PID: the process we started is the one that answered.
started() { kill -0 "$2" 2>/dev/null || die "$1 exited after starting (port taken?): see its log in $out"; }
drop_db() { psql -q "$REOS_PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }
now() { date +%s.%N; }
rows_per_s() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

log "generating the CSV files (seed $SEED, one bad record in $BAD_EVERY)"
for n in "${SIZES[@]}"; do
	(cd "$REOS_ROOT" && GOWORK=off go run scripts/bench/import/gencsv/main.go -rows "$n" -seed "$SEED" -bad-every "$BAD_EVERY" -out "$out/rows-$n.csv")
done

# identity issues the token (an organisation admin holds properties:write).
IDENTITY_PORT=$(free_port)
PROPERTY_PORT=$(free_port)
fresh_db "${DB_PREFIX}_identity"
identity_url="$(db_url "${DB_PREFIX}_identity")"
DATABASE_URL="$identity_url" "$bin/identity" migrate up >"$out/identity-migrate.log" 2>&1 ||
	die "identity migrate failed: $out/identity-migrate.log"
env MODE=mock LOG_LEVEL=warn DATABASE_URL="$identity_url" DB_ROLE=identity_app REDIS_URL="$REOS_REDIS_URL" \
	KAFKA_BROKERS="$REOS_KAFKA_BROKERS" HTTP_ADDR="127.0.0.1:$IDENTITY_PORT" JWT_PRIVATE_KEY_PATH="$out/jwt.pem" \
	JWKS_URL="http://127.0.0.1:$IDENTITY_PORT/.well-known/jwks.json" \
	"$bin/identity" serve >"$out/identity.log" 2>&1 &
identity_pid=$!
pids+=("$identity_pid")
wait_http identity "http://127.0.0.1:$IDENTITY_PORT/readyz" "$out/identity.log" 30
started identity "$identity_pid"
email="bench-$(date +%s)@bench.reos.test"
password="bench-password-$(date +%s)"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"email\":\"$email\",\"password\":\"$password\",\"full_name\":\"Bench\",\"organization_name\":\"Bench Imports\"}" \
	"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/register"
token() {
	curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
		"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/login" | jq -r .access_token
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# pipeline N ROUND: imports rows-N.csv through a fresh property process and
# database; sets total_s, import_s, peak_kb, idle_kb, accepted, rejected,
# and exports the loaded rows (once per size) for the \copy baseline.
pipeline() {
	local n=$1 round=$2 csv="$out/rows-$1.csv" db="${DB_PREFIX}_$1" url pid tok id status t0 t1
	fresh_db "$db"
	url="$(db_url "$db")"
	DATABASE_URL="$url" "$bin/property" migrate up >"$out/property-migrate-$n.log" 2>&1 ||
		die "property migrate failed: $out/property-migrate-$n.log"
	# 127.0.0.1:9 (discard) refuses connections: the relay backs off and
	# publishes nothing, so only the import is measured.
	env MODE=mock LOG_LEVEL=warn DATABASE_URL="$url" DB_ROLE=property_app REDIS_URL="$REOS_REDIS_URL" \
		KAFKA_BROKERS=127.0.0.1:9 HTTP_ADDR="127.0.0.1:$PROPERTY_PORT" STORAGE_DIR="$out/storage-$n" \
		JWKS_URL="http://127.0.0.1:$IDENTITY_PORT/.well-known/jwks.json" \
		JOBS_POLL_INTERVAL=100ms IMPORT_BATCH_ROWS="$BATCH_ROWS" \
		"$bin/property" serve >"$out/property-$n-$round.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_http property "http://127.0.0.1:$PROPERTY_PORT/healthz" "$out/property-$n-$round.log" 30 >/dev/null
	started property "$pid"
	tok="$(token)"
	[[ -n "$tok" && "$tok" != null ]] || die "could not log in the bench user"
	idle_kb=$(hwm_kb "$pid")
	t0=$(now)
	curl -fsS -o "$out/started-$n.json" -H "Authorization: Bearer $tok" -F "file=@$csv;type=text/csv" \
		"http://127.0.0.1:$PROPERTY_PORT/api/v1/properties/bulk-import" || die "upload of $csv failed"
	id=$(jq -r .id "$out/started-$n.json")
	status=""
	while [[ "$status" != completed ]]; do
		sleep 0.1
		curl -fsS -o "$out/import-$n.json" -H "Authorization: Bearer $tok" \
			"http://127.0.0.1:$PROPERTY_PORT/api/v1/properties/bulk-import/$id"
		status=$(jq -r .status "$out/import-$n.json")
		[[ "$status" != failed ]] || die "import failed: $(jq -c '{failure, report: (.report | del(.errors))}' "$out/import-$n.json")"
	done
	t1=$(now)
	peak_kb=$(hwm_kb "$pid")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	total_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	import_s=$(psql -Atq "$url" -c "SELECT extract(epoch FROM finished_at - started_at) FROM property.property_imports WHERE id = '$id'")
	accepted=$(jq .report.accepted "$out/import-$n.json")
	rejected=$(jq .report.rejected "$out/import-$n.json")
	if [[ ! -f "$out/clean-$n.tsv" ]]; then
		psql -q "$url" -c "\\copy (SELECT $COLUMNS FROM property.properties ORDER BY id) TO '$out/clean-$n.tsv'"
	fi
	drop_db "$db"
	rm -rf "$out/storage-$n"
	log "$n rows, round $round: import $accepted accepted, $rejected rejected: ${total_s}s end to end (${import_s}s in the job), peak RSS $((peak_kb / 1024)) MiB"
}

# baseline N ROUND: psql \copy of the cleaned rows into a fresh, identically
# migrated property.properties; sets copy_s.
baseline() {
	local n=$1 round=$2 db="${DB_PREFIX}_copy_$1" url c0 c1 copied searchable
	fresh_db "$db"
	url="$(db_url "$db")"
	DATABASE_URL="$url" "$bin/property" migrate up >"$out/property-migrate-copy-$n.log" 2>&1 ||
		die "property migrate failed: $out/property-migrate-copy-$n.log"
	c0=$(now)
	psql -q -v ON_ERROR_STOP=1 "$url" -c "\\copy property.properties ($COLUMNS) FROM '$out/clean-$n.tsv'"
	c1=$(now)
	copy_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')
	copied=$(psql -Atq "$url" -c "SELECT count(*) FROM property.properties")
	searchable=$(psql -Atq "$url" -c "SELECT count(*) FROM property.property_search")
	[[ "$copied" == "$accepted" && "$searchable" == "$accepted" ]] ||
		die "\\copy loaded $copied rows ($searchable searchable), the import $accepted"
	drop_db "$db"
	log "$n rows, round $round: \\copy of $copied rows: ${copy_s}s"
}

# Rounds alternate which side goes first (the first must import, to have
# the cleaned rows), and each figure is the median of its rounds, so a busy
# moment of the machine does not land on one side only.
results=()
for n in "${SIZES[@]}"; do
	totals="" imports="" copies="" peaks=""
	for ((round = 1; round <= ROUNDS; round++)); do
		if ((round % 2 == 1)); then
			pipeline "$n" "$round"
			baseline "$n" "$round"
		else
			baseline "$n" "$round"
			pipeline "$n" "$round"
		fi
		totals+=" $total_s" imports+=" $import_s" copies+=" $copy_s" peaks+=" $peak_kb"
	done
	total_s=$(echo "$totals" | median)
	import_s=$(echo "$imports" | median)
	copy_s=$(echo "$copies" | median)
	peak_kb=$(echo "$peaks" | median)
	pipeline_rps=$(rows_per_s "$n" "$total_s")
	import_rps=$(rows_per_s "$n" "$import_s")
	copy_rps=$(rows_per_s "$accepted" "$copy_s")
	log "$n rows: pipeline $pipeline_rps rows/s end to end ($import_rps in the job), \\copy $copy_rps rows/s (medians of $ROUNDS rounds)"
	results+=("$(jq -n --argjson n "$n" --argjson acc "$accepted" --argjson rej "$rejected" \
		--argjson total "$total_s" --argjson imp "$import_s" --argjson copy "$copy_s" \
		--argjson prps "$pipeline_rps" --argjson irps "$import_rps" --argjson crps "$copy_rps" \
		--argjson peak "$peak_kb" --argjson idle "$idle_kb" --argjson bytes "$(stat -c %s "$out/rows-$n.csv")" \
		--arg st "$totals" --arg si "$imports" --arg sc "$copies" --arg sp "$peaks" '{
		rows: $n, file_bytes: $bytes, accepted: $acc, rejected: $rej,
		pipeline: {seconds: $total, rows_per_s: $prps, import_seconds: $imp, import_rows_per_s: $irps},
		psql_copy: {seconds: $copy, rows_per_s: $crps},
		ratio: ($prps / $crps), import_only_ratio: ($irps / $crps),
		peak_rss_mb: ($peak / 1024), rss_before_import_mb: ($idle / 1024),
		samples: {pipeline_seconds: $st, import_seconds: $si, copy_seconds: $sc, peak_rss_kb: $sp}
	}')")
	rm -f "$out/clean-$n.tsv"
done

printf '%s\n' "${results[@]}" | jq -s --arg seed "$SEED" --arg bad "$BAD_EVERY" --arg batch "$BATCH_ROWS" --arg rounds "$ROUNDS" '{
	settings: {seed: ($seed|tonumber), bad_every: ($bad|tonumber), batch_rows: ($batch|tonumber), rounds: ($rounds|tonumber),
		goals: {ratio: ">= 0.6", peak_rss_1m_over_100k: "<= 1.5"}},
	runs: .,
	peak_rss_ratio: (if length >= 2 then (.[-1].peak_rss_mb / .[0].peak_rss_mb) else null end)
}' | tee "$out/results.json"
# The inputs are regenerated each run; only the results and logs are kept.
rm -rf "$bin" "$out"/rows-*.csv
