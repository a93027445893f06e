#!/usr/bin/env bash
# Property search and list benchmark at a million properties in one
# organisation (issue 3: p95 through the gateway <= 50 ms). See README.md.
#
#   (a) list: status + city or postal code + price range + beds, sorted, first page
#   (b) ranked search: a street name or fragment + status
#   (c) fuzzy search: a misspelled or partial address, no filter
#
# each at a constant rate (open loop, tools/loadgen) over a deterministic list
# of 24 different requests, directly against property and through the
# gateway, in interleaved rounds; medians of p50/p95/p99 per kind and path.
# Also: EXPLAIN (ANALYZE, BUFFERS) of every request's SQL, and how often the
# fuzzy searches find the property they misspell (first hit, first page).
#
# The database (reos_bench_property) is kept between runs: loading is
# idempotent for the same seed and counts (a second run checks and goes on);
# FRESH=1 drops it first. Results: .state/bench/property/results.json.
#
# Usage: scripts/bench/property/run.sh   (COUNT=1000000 OTHER_COUNT=100000
# SEED=20260101 RATE=10 DURATION=20 ROUNDS=3 FRESH=0 to change)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/dev/lib.sh
source "$here/../../dev/lib.sh"

COUNT="${COUNT:-1000000}"
OTHER_COUNT="${OTHER_COUNT:-100000}"
SEED="${SEED:-20260101}"
RATE="${RATE:-10}"
DURATION="${DURATION:-20}"
ROUNDS="${ROUNDS:-3}"
FRESH="${FRESH:-0}"
BENCH_DB="${BENCH_DB:-reos_bench_property}"
IDENTITY_PORT=18301
PROPERTY_PORT=18302
GATEWAY_PORT=18380
# The benchmark's organisation is identity's demo org (its seed makes it and
# its admin with a fixed id and password); a second organisation with its
# own rows makes the tenant condition do real work.
ORG="$REOS_DEMO_ORG_ID"
OTHER_ORG=01900000-0000-7000-8000-0000000000b2

ensure_go
ensure_state_dirs
for tool in curl jq psql; do
	command -v "$tool" >/dev/null || die "$tool missing: run scripts/dev/install-deps.sh"
done
bash "$REOS_ROOT/scripts/dev/infra-up.sh" >/dev/null

out="$REOS_STATE/bench/property"
bin="$out/bin"
mkdir -p "$out" "$bin"
rm -rf "$out/run"
mkdir -p "$out/run"
run="$out/run"

# Our own binaries (not .state/bin, which a running `make up` uses).
log "building identity, property, gateway, property-benchdata, loadgen"
(cd "$REOS_ROOT/services/identity" && go build -o "$bin/identity" ./cmd/identity)
(cd "$REOS_ROOT/services/property" && go build -o "$bin/property" ./cmd/property &&
	go build -o "$bin/property-benchdata" ./cmd/property-benchdata)
(cd "$REOS_ROOT/gateway" && go build -o "$bin/gateway" ./cmd/gateway)
(cd "$REOS_ROOT/tools/loadgen" && go build -o "$bin/loadgen" .)

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

admin_url="$REOS_PG_ADMIN_URL"
db_url="postgres://reos:reos@127.0.0.1:${REOS_PG_PORT}/${BENCH_DB}?sslmode=disable"
if [[ "$FRESH" == 1 ]]; then
	psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
fi
if [[ -z "$(psql -Atq "$admin_url" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'")" ]]; then
	psql -q "$admin_url" -c "CREATE DATABASE $BENCH_DB"
fi
for svc in identity gateway property; do
	DATABASE_URL="$db_url" "$bin/$svc" migrate up >"$run/$svc-migrate.log" 2>&1 || die "$svc migrate failed: $run/$svc-migrate.log"
done
MODE=mock DATABASE_URL="$db_url" REDIS_URL="$REOS_REDIS_URL" KAFKA_BROKERS="$REOS_KAFKA_BROKERS" \
	JWKS_URL="http://127.0.0.1:$IDENTITY_PORT/.well-known/jwks.json" JWT_PRIVATE_KEY_PATH="$out/jwt.pem" \
	"$bin/identity" seed >"$run/identity-seed.log" 2>&1 || die "identity seed failed: $run/identity-seed.log"

log "loading $COUNT properties into $ORG and $OTHER_COUNT into $OTHER_ORG (seed $SEED; kept rows are checked, not reloaded)"
t0=$(date +%s)
DATABASE_URL="$db_url" "$bin/property-benchdata" load -org "$ORG" -count "$COUNT" -seed "$SEED"
DATABASE_URL="$db_url" "$bin/property-benchdata" load -org "$OTHER_ORG" -count "$OTHER_COUNT" -seed "$((SEED + 1))"
load_s=$(($(date +%s) - t0))
rows=$(psql -Atq "$db_url" -c "SELECT count(*) FROM property.properties WHERE org_id = '$ORG'")
[[ "$rows" == "$COUNT" ]] || die "the org has $rows properties, want $COUNT (FRESH=1 starts over)"
sizes=$(psql -Atq "$db_url" -c "SELECT json_object_agg(relname, pg_size_pretty(pg_total_relation_size(c.oid)))
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'property' AND relname IN ('properties', 'property_search')")
indexes=$(psql -Atq "$db_url" -c "SELECT json_object_agg(indexrelname, pg_size_pretty(pg_relation_size(indexrelid)))
	FROM pg_stat_user_indexes WHERE schemaname = 'property' AND relname IN ('properties', 'property_search')")
schema_version=$(psql -Atq "$db_url" -c "SELECT version FROM property.schema_migrations")

"$bin/property-benchdata" targets -org "$ORG" -count "$COUNT" -seed "$SEED" -out "$run"

common=(MODE=mock LOG_LEVEL=warn DATABASE_URL="$db_url" REDIS_URL="$REOS_REDIS_URL"
	KAFKA_BROKERS="$REOS_KAFKA_BROKERS" JWKS_URL="http://127.0.0.1:$IDENTITY_PORT/.well-known/jwks.json")
env "${common[@]}" HTTP_ADDR="127.0.0.1:$IDENTITY_PORT" DB_ROLE=identity_app JWT_PRIVATE_KEY_PATH="$out/jwt.pem" \
	"$bin/identity" serve >"$run/identity.log" 2>&1 &
pids+=($!)
wait_http identity "http://127.0.0.1:$IDENTITY_PORT/readyz" "$run/identity.log" 30
env "${common[@]}" HTTP_ADDR="127.0.0.1:$PROPERTY_PORT" DB_ROLE=property_app STORAGE_DIR="$out/storage" \
	"$bin/property" serve >"$run/property.log" 2>&1 &
pids+=($!)
wait_http property "http://127.0.0.1:$PROPERTY_PORT/readyz" "$run/property.log" 30
env "${common[@]}" HTTP_ADDR="127.0.0.1:$GATEWAY_PORT" DB_ROLE=gateway_app \
	GATEWAY_UPSTREAMS="identity=http://127.0.0.1:$IDENTITY_PORT,property=http://127.0.0.1:$PROPERTY_PORT" \
	RATE_LIMIT_USER=100000000/60s RATE_LIMIT_IP=100000000/60s RATE_LIMIT_AUTH=100000/60s \
	"$bin/gateway" serve >"$run/gateway.log" 2>&1 &
pids+=($!)
wait_http gateway "http://127.0.0.1:$GATEWAY_PORT/readyz" "$run/gateway.log" 30

token() {
	curl -fsS -H 'Content-Type: application/json' -d '{"email":"admin@demo.reos.test","password":"demo-password"}' \
		"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/login" | jq -r .access_token
}
tok="$(token)"
[[ -n "$tok" && "$tok" != null ]] || die "could not log in admin@demo.reos.test"

declare -A base=([direct]="http://127.0.0.1:$PROPERTY_PORT" [gateway]="http://127.0.0.1:$GATEWAY_PORT")
kinds=(list search fuzzy)
for kind in "${kinds[@]}"; do
	for via in direct gateway; do
		sed "s|^|${base[$via]}|" "$run/$kind.txt" >"$run/$kind-$via.urls"
	done
done

# Every request answers 200 with results, through the gateway (and warms
# the caches); the fuzzy ones are checked for the property they mean.
log "checking every request (and warming up)"
empty=0
for kind in "${kinds[@]}"; do
	while read -r path; do
		body=$(curl -fsS -H "Authorization: Bearer $tok" "${base[gateway]}$path") || die "GET $path failed"
		[[ "$(jq '.items | length' <<<"$body")" -gt 0 ]] || empty=$((empty + 1))
	done <"$run/$kind.txt"
done
first=0
in_page=0
while IFS=$'\t' read -r path id; do
	ids=$(curl -fsS -H "Authorization: Bearer $tok" "${base[gateway]}$path" | jq -r '.items[].id')
	[[ "$(head -1 <<<"$ids")" == "$id" ]] && first=$((first + 1))
	grep -qx "$id" <<<"$ids" && in_page=$((in_page + 1))
done <"$run/fuzzy-expected.tsv"
fuzzy_total=$(wc -l <"$run/fuzzy-expected.tsv")
log "fuzzy: the meant property first in $first of $fuzzy_total, on the first page in $in_page; $empty requests had no results"

log "EXPLAIN (ANALYZE, BUFFERS) of every request"
for kind in "${kinds[@]}"; do
	DATABASE_URL="$db_url" "$bin/property-benchdata" explain -org "$ORG" -targets "$run/$kind.txt" >"$run/explain-$kind.txt"
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A samples failures
loads=()
for ((round = 1; round <= ROUNDS; round++)); do
	tok="$(token)" # a fresh token each round: access tokens live 15 minutes
	for kind in "${kinds[@]}"; do
		for via in direct gateway; do
			load=$(cut -d' ' -f1 /proc/loadavg)
			loads+=("$load")
			res="$run/loadgen-$kind-$via-$round.json"
			"$bin/loadgen" -targets "$run/$kind-$via.urls" -rate "$RATE" -duration "${DURATION}s" \
				-H "Authorization: Bearer $tok" >"$res"
			# A timeout (10 s, code 0) or an error is part of the result, not
			# a reason to stop: it is reported with the latencies.
			[[ "$(jq '.status_codes | keys == ["200"]' "$res")" == true ]] || warn "$kind via $via: not all 200: $(jq -c .status_codes "$res")"
			failures[$kind-$via]=$((${failures[$kind-$via]:-0} + $(jq '[.status_codes | to_entries[] | select(.key != "200") | .value] | add // 0' "$res")))
			for p in p50 p95 p99; do
				samples[$kind-$via-$p]="${samples[$kind-$via-$p]:-} $(jq ".${p}_ms" "$res")"
			done
			log "round $round $kind $via: p50 $(jq .p50_ms "$res") ms, p95 $(jq .p95_ms "$res") ms, p99 $(jq .p99_ms "$res") ms (load $load)"
		done
	done
done

results="{}"
for kind in "${kinds[@]}"; do
	for via in direct gateway; do
		for p in p50 p95 p99; do
			v=$(echo "${samples[$kind-$via-$p]}" | median)
			results=$(jq --arg k "$kind" --arg via "$via" --arg p "${p}_ms" --argjson v "$v" \
				--arg s "${samples[$kind-$via-$p]# }" '.[$k][$via][$p] = $v | .[$k][$via].samples[$p] = $s' <<<"$results")
		done
		results=$(jq --arg k "$kind" --arg via "$via" --argjson f "${failures[$kind-$via]}" '.[$k][$via].failed_requests = $f' <<<"$results")
	done
done
jq -n --argjson r "$results" --argjson count "$COUNT" --argjson other "$OTHER_COUNT" --argjson seed "$SEED" \
	--argjson rate "$RATE" --argjson dur "$DURATION" --argjson rounds "$ROUNDS" --argjson load_s "$load_s" \
	--argjson sizes "$sizes" --argjson indexes "$indexes" --arg schema "$schema_version" \
	--argjson first "$first" --argjson in_page "$in_page" --argjson fuzzy_total "$fuzzy_total" --argjson empty "$empty" \
	--arg loads "${loads[*]}" --arg uptime "$(uptime)" --arg cores "$(nproc)" '{
	settings: {count: $count, other_org_count: $other, seed: $seed, rate_per_s: $rate, seconds: $dur, rounds: $rounds,
		requests_per_kind: 24, page: "default limit (50)", cores: ($cores|tonumber), pinning: "none (shared machine)"},
	data: {load_or_check_seconds: $load_s, table_sizes: $sizes, index_sizes: $indexes, property_schema_version: $schema},
	fuzzy_quality: {requests: $fuzzy_total, meant_property_first: $first, meant_property_on_first_page: $in_page},
	requests_without_results: $empty,
	latency_ms: $r,
	goal: {gateway_p95_ms_max: 50,
		met: ([$r[] | .gateway.p95_ms] | max <= 50)},
	load_average_1m_before_each_run: $loads, uptime_at_end: $uptime
}' | tee "$out/results.json"
cp "$run"/explain-*.txt "$out/"
