#!/usr/bin/env bash
# Gateway hot-path benchmark: GET /api/v1/auth/me measured side by side, in one
# run, with the same load settings and CPU pinning (servers on core 0, the load
# generator on core 1):
#   (a) direct to identity
#   (b) through HAProxy 2.6 doing the same job (RS256 jwt_verify of the same
#       token, iss/aud/exp/token_use checks, per-subject stick-table rate limit)
#   (c) through our gateway (RS256 verification, Redis sliding-window rate
#       limit, security headers, proxy)
#   (d) through tools/bareproxy: net/http's ReverseProxy and nothing else, the
#       floor of any proxy built on the standard library's HTTP server and
#       client, so (c)/(d) is what the gateway's own work costs
#   (e) through tools/bareproxy -stack fasthttp: the same nothing-else proxy
#       on valyala/fasthttp, what another HTTP stack could gain
# Reports req/s and the ratios c/a, b/a, c/b (goal: c/b >= 1.0), d/b, c/d and e/b, the added
# p99 of the gateway at half its maximum rate (goal <= 2 ms), measured open
# loop with tools/loadgen, and the idle RSS of identity and the gateway
# (goal <= 30 MB each). Results: .state/bench/gateway/results.json.
#
# Usage: scripts/bench/gateway/run.sh   (DURATION=10 ROUNDS=3 CONNECTIONS=64 to change;
# GATEWAY_EXTRA_ENV="ACCESS_LOG=false" adds gateway settings)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/dev/lib.sh
source "$here/../../dev/lib.sh"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
IDENTITY_PORT=18101
GATEWAY_PORT=18080
HAPROXY_PORT=18081
BARE_PORT=18082
FAST_PORT=18083
BENCH_DB=reos_bench_gateway
ncpu=$(nproc)
((ncpu >= 2)) || die "needs two cores to pin servers and load apart"

ensure_go
ensure_state_dirs
for tool in wrk haproxy taskset openssl jq curl psql; do
	command -v "$tool" >/dev/null || die "$tool missing: run scripts/dev/install-deps.sh"
done
bash "$REOS_ROOT/scripts/dev/infra-up.sh" >/dev/null
bash "$REOS_ROOT/scripts/dev/build.sh" >/dev/null
(cd "$REOS_ROOT" && go build -o "$REOS_BIN/loadgen" ./tools/loadgen && go build -o "$REOS_BIN/bareproxy" ./tools/bareproxy)

out="$REOS_STATE/bench/gateway"
rm -rf "$out"
mkdir -p "$out"
pids=()
pinned=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[[ -f "$out/haproxy.pid" ]] && kill "$(cat "$out/haproxy.pid")" 2>/dev/null || true
	for p in "${pinned[@]}"; do taskset -a -p -c "0-$((ncpu - 1))" "$p" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

admin_url="$REOS_PG_ADMIN_URL"
db_url="postgres://reos:reos@127.0.0.1:${REOS_PG_PORT}/${BENCH_DB}?sslmode=disable"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
for svc in identity gateway; do
	DATABASE_URL="$db_url" "$REOS_BIN/$svc" migrate up >"$out/$svc-migrate.log" 2>&1 || die "$svc migrate failed: $out/$svc-migrate.log"
done

# Everything the request path touches runs on core 0: Postgres, Redis,
# identity, the proxy under test.
for p in $(pgrep -x redis-server) $(pgrep -f '^/usr/lib/postgresql/.*/bin/postgres'); do
	taskset -a -p -c 0 "$p" >/dev/null && pinned+=("$p")
done

common=(MODE=mock LOG_LEVEL=warn DATABASE_URL="$db_url" REDIS_URL="$REOS_REDIS_URL"
	KAFKA_BROKERS="$REOS_KAFKA_BROKERS" JWKS_URL="http://127.0.0.1:$IDENTITY_PORT/.well-known/jwks.json")
env "${common[@]}" HTTP_ADDR="127.0.0.1:$IDENTITY_PORT" DB_ROLE=identity_app JWT_PRIVATE_KEY_PATH="$out/jwt.pem" \
	taskset -c 0 "$REOS_BIN/identity" serve >"$out/identity.log" 2>&1 &
pids+=($!)
identity_pid=$!
wait_http identity "http://127.0.0.1:$IDENTITY_PORT/readyz" "$out/identity.log" 30
env "${common[@]}" HTTP_ADDR="127.0.0.1:$GATEWAY_PORT" DB_ROLE=gateway_app \
	GATEWAY_UPSTREAMS="identity=http://127.0.0.1:$IDENTITY_PORT" \
	RATE_LIMIT_USER=100000000/60s RATE_LIMIT_IP=100000000/60s RATE_LIMIT_AUTH=100000/60s \
	${GATEWAY_EXTRA_ENV:-} taskset -c 0 "$REOS_BIN/gateway" serve >"$out/gateway.log" 2>&1 &
pids+=($!)
gateway_pid=$!
wait_http gateway "http://127.0.0.1:$GATEWAY_PORT/readyz" "$out/gateway.log" 30

sleep 2
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
identity_rss=$(rss_kb "$identity_pid")
gateway_rss=$(rss_kb "$gateway_pid")

email="bench-$(date +%s)@bench.reos.test"
password="bench-password-$(date +%s)"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"email\":\"$email\",\"password\":\"$password\",\"full_name\":\"Bench\",\"organization_name\":\"Bench\"}" \
	"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/register"
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
	"http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/login" | jq -r .access_token)
[[ -n "$token" && "$token" != null ]] || die "could not log in the bench user"

openssl pkey -in "$out/jwt.pem" -pubout -out "$out/jwt.pub.pem"
sed -e "s|@HAPROXY_PORT@|$HAPROXY_PORT|" -e "s|@IDENTITY_PORT@|$IDENTITY_PORT|" \
	-e "s|@PUBKEY@|$out/jwt.pub.pem|" -e "s|@ISSUER@|reos-identity|" -e "s|@AUDIENCE@|reos-api|" \
	-e "s|@RATE_LIMIT@|100000000|" "$here/haproxy.cfg.template" >"$out/haproxy.cfg"
haproxy -c -q -f "$out/haproxy.cfg" || die "haproxy rejected $out/haproxy.cfg"
taskset -c 0 haproxy -D -p "$out/haproxy.pid" -f "$out/haproxy.cfg"
taskset -c 0 "$REOS_BIN/bareproxy" -addr "127.0.0.1:$BARE_PORT" -upstream "http://127.0.0.1:$IDENTITY_PORT" >"$out/bareproxy.log" 2>&1 &
pids+=($!)
wait_http bareproxy "http://127.0.0.1:$BARE_PORT/healthz" "$out/bareproxy.log" 30
taskset -c 0 "$REOS_BIN/bareproxy" -stack fasthttp -addr "127.0.0.1:$FAST_PORT" -upstream "http://127.0.0.1:$IDENTITY_PORT" >"$out/fastproxy.log" 2>&1 &
pids+=($!)
wait_http fastproxy "http://127.0.0.1:$FAST_PORT/healthz" "$out/fastproxy.log" 30

declare -A url=(
	[direct]="http://127.0.0.1:$IDENTITY_PORT/api/v1/auth/me"
	[haproxy]="http://127.0.0.1:$HAPROXY_PORT/api/v1/auth/me"
	[gateway]="http://127.0.0.1:$GATEWAY_PORT/api/v1/auth/me"
	[bare]="http://127.0.0.1:$BARE_PORT/api/v1/auth/me"
	[fast]="http://127.0.0.1:$FAST_PORT/api/v1/auth/me"
)
for name in direct haproxy gateway bare fast; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "${url[$name]}")
	[[ "$code" == 200 ]] || die "$name answered $code, not 200"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token}x" "${url[$name]}")
	[[ "$name" == direct || "$code" == 401 ]] || die "$name accepted a tampered token ($code)"
done

# The three targets are measured in interleaved rounds (direct, haproxy,
# gateway, direct, …) and each reported as its median, so a slow moment of
# the shared core (a Postgres checkpoint, say) does not land on one target only.
declare -A rps samples
run_wrk() {
	local name=$1 round=$2 r
	taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "${url[$name]}" >"$out/wrk-$name-$round.txt"
	if grep -q 'Non-2xx' "$out/wrk-$name-$round.txt"; then die "$name returned non-2xx answers: $out/wrk-$name-$round.txt"; fi
	r=$(awk '/^Requests\/sec:/ {print $2}' "$out/wrk-$name-$round.txt")
	samples[$name]="${samples[$name]:-} $r"
	log "round $round $name: $r req/s (p99 $(awk '$1 == "99%" {print $2}' "$out/wrk-$name-$round.txt") at saturation)"
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for name in direct haproxy gateway bare fast; do # warm-up
	taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $token" "${url[$name]}" >/dev/null
done
for ((round = 1; round <= ROUNDS; round++)); do
	for name in direct haproxy gateway bare fast; do run_wrk "$name" "$round"; done
done
for name in direct haproxy gateway bare fast; do
	rps[$name]=$(echo "${samples[$name]}" | median)
	log "$name: median ${rps[$name]} req/s of${samples[$name]}"
done

# Added p99 at half the gateway's maximum rate, open loop. Each target gets a
# warm-up at that rate first (the load generator opens its connections and
# identity its pool connections then, not in the measured seconds), and the
# measured runs interleave like the wrk rounds; medians of ROUNDS.
half=$(awk -v r="${rps[gateway]}" 'BEGIN {printf "%d", r / 2}')
loadgen() {
	taskset -c 1 "$REOS_BIN/loadgen" -url "${url[$1]}" -rate "$half" -duration "$2" -H "Authorization: Bearer $token"
}
declare -A p99s
for name in direct gateway; do loadgen "$name" 3s >/dev/null; done
for ((round = 1; round <= ROUNDS; round++)); do
	for name in direct gateway; do
		loadgen "$name" "${DURATION}s" >"$out/loadgen-$name-$round.json"
		p99s[$name]="${p99s[$name]:-} $(jq .p99_ms "$out/loadgen-$name-$round.json")"
		log "round $round $name at $half req/s: p99 $(jq .p99_ms "$out/loadgen-$name-$round.json") ms"
	done
done
direct_p99=$(echo "${p99s[direct]}" | median)
gateway_p99=$(echo "${p99s[gateway]}" | median)

jq -n --argjson d "${rps[direct]}" --argjson h "${rps[haproxy]}" --argjson g "${rps[gateway]}" --argjson b "${rps[bare]}" --argjson f "${rps[fast]}" \
	--argjson half "$half" --argjson dp "$direct_p99" --argjson gp "$gateway_p99" \
	--argjson irss "$identity_rss" --argjson grss "$gateway_rss" \
	--arg conns "$CONNECTIONS" --arg dur "$DURATION" --arg rounds "$ROUNDS" \
	--arg sd "${samples[direct]}" --arg sh "${samples[haproxy]}" --arg sg "${samples[gateway]}" --arg sb "${samples[bare]}" --arg sf "${samples[fast]}" \
	--arg pd "${p99s[direct]}" --arg pg "${p99s[gateway]}" '{
	settings: {connections: ($conns|tonumber), seconds: ($dur|tonumber), rounds: ($rounds|tonumber), pinning: "servers core 0, load core 1"},
	rps_median: {direct: $d, haproxy: $h, gateway: $g, bare_go_proxy: $b, bare_fasthttp_proxy: $f},
	rps_samples: {direct: $sd, haproxy: $sh, gateway: $sg, bare_go_proxy: $sb, bare_fasthttp_proxy: $sf},
	ratios: {gateway_vs_direct: ($g/$d), haproxy_vs_direct: ($h/$d), gateway_vs_haproxy: ($g/$h),
		bare_go_proxy_vs_haproxy: ($b/$h), gateway_vs_bare_go_proxy: ($g/$b), bare_fasthttp_proxy_vs_haproxy: ($f/$h)},
	half_rate: {rate: $half, direct_p99_ms: $dp, gateway_p99_ms: $gp, added_p99_ms: ($gp - $dp), direct_p99_samples: $pd, gateway_p99_samples: $pg},
	idle_rss_mb: {identity: ($irss/1024), gateway: ($grss/1024)}
}' | tee "$out/results.json"
