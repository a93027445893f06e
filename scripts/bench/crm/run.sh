#!/usr/bin/env bash
# crm benchmarks, on their own database with identity, crm and the gateway
# started from .state/bin (see README.md next to this file):
#
#  1. Lead import: a deterministic CSV (ROWS rows, PEOPLE people, so ~10 %
#     duplicate rows spread through the file, ~1 % bad rows) imported through
#     POST /api/v1/leads/import (straight to crm; it runs as a job) until the
#     import reports completed, against `psql \copy` of the same cleaned rows
#     (the contacts and leads the import produced, under another org) into the
#     same indexed tables, in the same run. Interleaved rounds, medians.
#     Goal: import rows/s ÷ \copy rows/s ≥ 0.5.
#  2. Lead timeline: a lead with TIMELINE_ACTIVITIES activities; the first
#     page of GET /api/v1/leads/{id}/timeline at RATE req/s (open loop,
#     tools/loadgen) through the gateway and straight to crm, with the
#     query's EXPLAIN ANALYZE. Goal: p95 ≤ 20 ms through the gateway.
#
# Results: .state/bench/crm/results.json (and the raw files beside it).
# Usage: scripts/bench/crm/run.sh   (ROWS=200000 PEOPLE=180000 ROUNDS=3
#        TIMELINE_ACTIVITIES=10000 RATE=200 DURATION=20 to change)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/dev/lib.sh
source "$here/../../dev/lib.sh"

ROWS="${ROWS:-200000}"
PEOPLE="${PEOPLE:-180000}"
ROUNDS="${ROUNDS:-3}"
TIMELINE_ACTIVITIES="${TIMELINE_ACTIVITIES:-10000}"
RATE="${RATE:-200}"
DURATION="${DURATION:-20}"
IDENTITY_PORT=18201
CRM_PORT=18203
GATEWAY_PORT=18280
BENCH_DB=reos_bench_crm

ensure_go
ensure_state_dirs
for tool in psql jq curl awk taskset; do
	command -v "$tool" >/dev/null || die "$tool missing: run scripts/dev/install-deps.sh"
done
bash "$REOS_ROOT/scripts/dev/infra-up.sh" >/dev/null
bash "$REOS_ROOT/scripts/dev/build.sh" >/dev/null
(cd "$REOS_ROOT" && go build -o "$REOS_BIN/loadgen" ./tools/loadgen)

out="$REOS_STATE/bench/crm"
rm -rf "$out"
mkdir -p "$out/storage"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

admin_url="$REOS_PG_ADMIN_URL"
db_url="postgres://reos:reos@127.0.0.1:${REOS_PG_PORT}/${BENCH_DB}?sslmode=disable"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
for svc in identity crm gateway; do
	DATABASE_URL="$db_url" "$REOS_BIN/$svc" migrate up >"$out/$svc-migrate.log" 2>&1 || die "$svc migrate failed: $out/$svc-migrate.log"
done

# The import runs unpinned (crm parses while Postgres writes, as in
# production); for the latency measurement the services move to core 0 and
# the load generator runs on core 1. Postgres is shared with the rest of the
# machine and left unpinned.
common=(MODE=mock LOG_LEVEL=warn DATABASE_URL="$db_url" REDIS_URL="$REOS_REDIS_URL"
	KAFKA_BROKERS="$REOS_KAFKA_BROKERS" JWKS_URL="http://127.0.0.1:$IDENTITY_PORT/.well-known/jwks.json")
env "${common[@]}" HTTP_ADDR="127.0.0.1:$IDENTITY_PORT" DB_ROLE=identity_app JWT_PRIVATE_KEY_PATH="$out/jwt.pem" \
	"$REOS_BIN/identity" serve >"$out/identity.log" 2>&1 &
pids+=($!)
wait_http identity "http://127.0.0.1:$IDENTITY_PORT/readyz" "$out/identity.log" 30
# start_crm LOG [ENV…] starts crm and sets crm_pid.
start_crm() {
	local log="$1"
	shift
	env "${common[@]}" HTTP_ADDR="127.0.0.1:$CRM_PORT" DB_ROLE=crm_app STORAGE_DIR="$out/storage" \
		PROPERTY_EVENTS_GROUP="crm-bench-$$" IDENTITY_EVENTS_GROUP="crm-bench-identity-$$" JOBS_POLL_INTERVAL=100ms "$@" \
		"$REOS_BIN/crm" serve >"$log" 2>&1 &
	crm_pid=$!
	pids+=("$crm_pid")
}

# register NAME prints an admin access token of a new organisation.
register() {
	local email="$1-$(date +%s%N)@bench.reos.test" pw="bench-password-$RANDOM-$RANDOM"
	curl -fsS -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"$pw\",\"full_name\":\"Bench\",\"organization_name\":\"Bench $1\"}" \
		"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/register"
	curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$pw\"}" \
		"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/login" | jq -r .access_token
}
org_of() { curl -fsS -H "Authorization: Bearer $1" "http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/me" | jq -r .org_id; }
now() { date +%s.%N; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
crm="http://127.0.0.1:$CRM_PORT/api/v1"
psql_db() { psql -qAtX -v ON_ERROR_STOP=1 "$db_url" "$@"; }

# ---------------------------------------------------------------------------
# 1. Lead import vs psql \copy

# For the import the outbox relay gets an unreachable broker, as in
# scripts/bench/import: the import writes every event into the outbox in its
# transactions (measured); publishing them is asynchronous and is not. crm is
# then alive but not ready, so /healthz is what is waited for.
start_crm "$out/crm-import.log" KAFKA_BROKERS=127.0.0.1:9
wait_http crm "http://127.0.0.1:$CRM_PORT/healthz" "$out/crm-import.log" 30
awk -v rows="$ROWS" -v people="$PEOPLE" -f "$here/gen_leads.awk" >"$out/leads.csv"
log "lead import: $ROWS rows ($(du -h "$out/leads.csv" | cut -f1)), $PEOPLE people, $ROUNDS rounds"

# copy_cleaned SRC_ORG DST_ORG exports what the import of SRC_ORG produced
# (its lead sources, contacts and leads, with fresh ids for DST_ORG) and
# times \copy of the contacts and leads into the same tables.
copy_cleaned() {
	local src="$1" dst="$2" t0 t1
	psql_db -c "INSERT INTO crm.lead_sources (id, org_id, key, name, weight, created_at)
		SELECT md5(id::text || '$dst')::uuid, '$dst', key, name, weight, created_at FROM crm.lead_sources WHERE org_id = '$src'"
	psql_db -c "\\copy (SELECT md5(id::text || '$dst')::uuid, '$dst', first_name, last_name, email, phone, created_at, updated_at
		FROM crm.contacts WHERE org_id = '$src') TO '$out/clean-contacts.csv' CSV"
	psql_db -c "\\copy (SELECT md5(id::text || '$dst')::uuid, '$dst', md5(contact_id::text || '$dst')::uuid,
		md5(source_id::text || '$dst')::uuid, status, assignee_id, budget_min_cents, budget_max_cents, target_price_cents,
		postal_code, property_ids, score, created_at, updated_at FROM crm.leads WHERE org_id = '$src') TO '$out/clean-leads.csv' CSV"
	psql_db -c "CHECKPOINT" >/dev/null
	t0=$(now)
	psql_db -c "\\copy crm.contacts (id, org_id, first_name, last_name, email, phone, created_at, updated_at) FROM '$out/clean-contacts.csv' CSV" \
		-c "\\copy crm.leads (id, org_id, contact_id, source_id, status, assignee_id, budget_min_cents, budget_max_cents, target_price_cents, postal_code, property_ids, score, created_at, updated_at) FROM '$out/clean-leads.csv' CSV"
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'
}

# run_import TOKEN imports leads.csv and prints "seconds import_id".
run_import() {
	local token="$1" t0 t1 id status
	psql_db -c "CHECKPOINT" >/dev/null
	t0=$(now)
	id=$(curl -fsS -H "Authorization: Bearer $token" -F "file=@$out/leads.csv;type=text/csv" "$crm/leads/import" | jq -r .id)
	status=""
	while [[ "$status" != completed ]]; do
		sleep 0.05
		status=$(curl -fsS -H "Authorization: Bearer $token" "$crm/leads/imports/$id" | jq -r .status)
		[[ "$status" == failed ]] && die "import $id failed: $(curl -fsS -H "Authorization: Bearer $token" "$crm/leads/imports/$id")"
	done
	t1=$(now)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}') $id"
}

# Rounds alternate which side goes first (the machine may be busy with other
# work); the baseline copies what the first round's import produced.
import_samples="" copy_samples="" ratio_samples="" source_org=""
for ((round = 1; round <= ROUNDS; round++)); do
	token=$(register "import$round")
	org=$(org_of "$token")
	copy_org=$(org_of "$(register "copy$round")")
	if ((round % 2 == 0)); then
		csecs=$(copy_cleaned "$source_org" "$copy_org")
		read -r secs import_id < <(run_import "$token")
	else
		read -r secs import_id < <(run_import "$token")
		source_org=${source_org:-$org}
		csecs=$(copy_cleaned "$source_org" "$copy_org")
	fi
	curl -fsS -H "Authorization: Bearer $token" "$crm/leads/imports/$import_id" >"$out/import-$round.json"
	ratio=$(awk -v i="$secs" -v c="$csecs" 'BEGIN {printf "%.3f", c / i}')
	import_samples+=" $secs" copy_samples+=" $csecs" ratio_samples+=" $ratio"
	log "round $round: import $secs s ($(awk -v r="$ROWS" -v s="$secs" 'BEGIN {printf "%d", r / s}') rows/s), \\copy $csecs s, ratio $ratio; report $(jq -c '.report | del(.errors)' "$out/import-$round.json")"
done
import_s=$(echo "$import_samples" | median)
copy_s=$(echo "$copy_samples" | median)
ratio=$(echo "$ratio_samples" | median)
# What the import writes besides contacts and leads, for the last round.
extra=$(psql_db -c "SELECT json_build_object(
	'contacts', (SELECT count(*) FROM crm.contacts WHERE org_id = '$org'),
	'leads', (SELECT count(*) FROM crm.leads WHERE org_id = '$org'),
	'lead_scores', (SELECT count(*) FROM crm.lead_scores WHERE org_id = '$org'),
	'lead_changes', (SELECT count(*) FROM crm.lead_changes WHERE org_id = '$org'),
	'outbox_events', (SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'orgid' = '$org'))")

# ---------------------------------------------------------------------------
# 2. Lead timeline through the gateway

kill "$crm_pid"
wait "$crm_pid" 2>/dev/null || true
start_crm "$out/crm.log"
wait_http crm "http://127.0.0.1:$CRM_PORT/readyz" "$out/crm.log" 30
env "${common[@]}" HTTP_ADDR="127.0.0.1:$GATEWAY_PORT" DB_ROLE=gateway_app \
	GATEWAY_UPSTREAMS="identity=http://127.0.0.1:$IDENTITY_PORT,crm=http://127.0.0.1:$CRM_PORT" \
	RATE_LIMIT_USER=100000000/60s RATE_LIMIT_IP=100000000/60s RATE_LIMIT_AUTH=100000/60s \
	"$REOS_BIN/gateway" serve >"$out/gateway.log" 2>&1 &
pids+=($!)
wait_http gateway "http://127.0.0.1:$GATEWAY_PORT/readyz" "$out/gateway.log" 30

token=$(register timeline)
org=$(org_of "$token")
lead=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"first_name":"Timeline","email":"timeline@bench.example.com"}' "$crm/leads" | jq -r .id)
psql_db -c "INSERT INTO crm.lead_activities (id, org_id, lead_id, type, direction, outcome, body, occurred_at, created_at)
	SELECT gen_random_uuid(), '$org', '$lead', (ARRAY['call','email','sms','meeting'])[1 + i % 4],
		CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END, 'outcome ' || i, 'activity body ' || i,
		now() - i * interval '1 minute', now()
	FROM generate_series(1, $TIMELINE_ACTIVITIES) AS i" -c "ANALYZE crm.lead_activities"
# The timeline query as crm runs it (the constant in lead_repository.go), as
# the service role with the org set, first page (limit 50 + 1).
timeline_sql=$(sed -n '/sqlLeadTimeline = `/,/LIMIT \$4`/p' "$REOS_ROOT/services/crm/internal/adapters/postgres/lead_repository.go" |
	sed -e 's/.*sqlLeadTimeline = `//' -e 's/`$//' -e "s/\\\$1/'$lead'::uuid/g" -e 's/\$2/NULL::timestamptz/g' -e 's/\$3/NULL::uuid/g' -e 's/\$4/51/g')
[[ "$timeline_sql" == SELECT* ]] || die "could not read the timeline query from lead_repository.go"
psql_db -c "BEGIN" -c "SET LOCAL ROLE crm_app" -c "SET LOCAL app.org_id = '$org'" \
	-c "EXPLAIN (ANALYZE, BUFFERS) $timeline_sql" -c "COMMIT" >"$out/timeline-explain.txt"
for p in "${pids[@]}"; do taskset -a -p -c 0 "$p" >/dev/null; done
declare -A url=(
	[direct]="http://127.0.0.1:$CRM_PORT/api/v1/leads/$lead/timeline"
	[gateway]="http://127.0.0.1:$GATEWAY_PORT/api/v1/leads/$lead/timeline"
)
for name in direct gateway; do
	[[ $(curl -fsS -H "Authorization: Bearer $token" "${url[$name]}" | jq '.items | length') == 50 ]] || die "$name timeline is not a 50-item page"
	taskset -c 1 "$REOS_BIN/loadgen" -url "${url[$name]}" -rate "$RATE" -duration 3s -H "Authorization: Bearer $token" >/dev/null # warm-up
done
for name in direct gateway; do
	taskset -c 1 "$REOS_BIN/loadgen" -url "${url[$name]}" -rate "$RATE" -duration "${DURATION}s" \
		-H "Authorization: Bearer $token" >"$out/timeline-$name.json"
	log "timeline $name at $RATE req/s: p50 $(jq .p50_ms "$out/timeline-$name.json") ms, p95 $(jq .p95_ms "$out/timeline-$name.json") ms, p99 $(jq .p99_ms "$out/timeline-$name.json") ms, success $(jq .success_ratio "$out/timeline-$name.json")"
done

jq -n --arg rows "$ROWS" --arg people "$PEOPLE" --arg rounds "$ROUNDS" \
	--argjson import_s "$import_s" --argjson copy_s "$copy_s" --argjson ratio "$ratio" \
	--arg is "$import_samples" --arg cs "$copy_samples" --arg rs "$ratio_samples" \
	--argjson report "$(jq '.report | del(.errors)' "$out/import-$ROUNDS.json")" --argjson written "$extra" \
	--arg acts "$TIMELINE_ACTIVITIES" --arg rate "$RATE" --arg dur "$DURATION" \
	--slurpfile direct "$out/timeline-direct.json" --slurpfile gateway "$out/timeline-gateway.json" '{
	import: {
		rows: ($rows|tonumber), people: ($people|tonumber), rounds: ($rounds|tonumber),
		import_seconds_median: $import_s, copy_seconds_median: $copy_s,
		import_rows_per_s: (($rows|tonumber) / $import_s), copy_rows_per_s: (($rows|tonumber) / $copy_s),
		ratio_median: $ratio, ratio_of_medians: ($copy_s / $import_s), goal: ">= 0.5 (ratio_median: each round pairs the two under the same load)",
		samples: {import_s: $is, copy_s: $cs, ratio: $rs},
		last_report: $report, last_import_wrote: $written,
		baseline: "psql \\copy of the contacts and leads the import produced (fresh ids, another org) into crm.contacts and crm.leads with all their indexes"
	},
	timeline: {
		activities: ($acts|tonumber), rate: ($rate|tonumber), seconds: ($dur|tonumber), page: 50,
		direct: {p50_ms: $direct[0].p50_ms, p95_ms: $direct[0].p95_ms, p99_ms: $direct[0].p99_ms, success: $direct[0].success_ratio},
		gateway: {p50_ms: $gateway[0].p50_ms, p95_ms: $gateway[0].p95_ms, p99_ms: $gateway[0].p99_ms, success: $gateway[0].success_ratio},
		goal: "gateway p95 <= 20 ms"
	}
}' | tee "$out/results.json"
