#!/usr/bin/env bash
# outreach sending benchmarks (see README.md next to this file):
#
#  1. SMTP: a counting sink (tools/smtpsink, its own process) receives
#     MESSAGES messages from the bare client loop (`smtpsink bare`: net/smtp,
#     POOL connections, pre-rendered bytes), then the same number through the
#     SMTP adapter's pool of POOL connections (BenchmarkSMTPAdapter: go-mail
#     rendering, Message-ID from the key, one-click unsubscribe headers).
#     Rounds interleaved, medians. Each run must land exactly MESSAGES
#     messages in the sink with no duplicate Message-ID.
#     Goals: adapter ≥ 4,500 msg/s and adapter ÷ bare ≥ 0.7.
#  2. Pacing: BenchmarkPacing (the Twilio-style adapter, paced, against an
#     imitation limited to PACE_N msg/s over a rolling second).
#     Goal: achieved ÷ N in [0.95, 1.0] with no burst of 429s.
#
# The campaign benchmark through the send engine reuses the sink (start it
# the same way, point SMTP_HOST/SMTP_PORT at it, read GET /stats) and the
# bare figure of this script.
#
# Results: .state/bench/outreach/results.json (raw outputs beside it).
# Usage: scripts/bench/outreach/run.sh   (MESSAGES=100000 POOL=4 ROUNDS=3
#        PACE_N=100 PACE_SECONDS=10 to change)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/dev/lib.sh
source "$here/../../dev/lib.sh"

MESSAGES="${MESSAGES:-100000}"
POOL="${POOL:-4}"
ROUNDS="${ROUNDS:-3}"
PACE_N="${PACE_N:-100}"
PACE_SECONDS="${PACE_SECONDS:-10}"
SMTP_PORT=18525
CTL_PORT=18526

ensure_go
ensure_state_dirs
for tool in jq curl awk; do
	command -v "$tool" >/dev/null || die "$tool missing: run scripts/dev/install-deps.sh"
done
(cd "$REOS_ROOT/tools/smtpsink" && go build -o "$REOS_BIN/smtpsink" .)

out="$REOS_STATE/bench/outreach"
rm -rf "$out"
mkdir -p "$out"
pidfile="$REOS_PIDS/bench-smtpsink.pid"
trap 'stop_pidfile "$pidfile" smtpsink >/dev/null' EXIT
start_daemon bench-smtpsink "$out/smtpsink.log" - \
	"$REOS_BIN/smtpsink" serve -addr "127.0.0.1:$SMTP_PORT" -http "127.0.0.1:$CTL_PORT"
wait_http smtpsink "http://127.0.0.1:$CTL_PORT/stats" "$out/smtpsink.log" 20 "$pidfile" >/dev/null
ctl="http://127.0.0.1:$CTL_PORT"

# check_sink ROUND WHAT WANT: the sink holds exactly WANT messages, no duplicate.
check_sink() {
	local stats
	stats="$(curl -fsS "$ctl/stats")"
	echo "$stats" >"$out/sink-$2-$1.json"
	[[ "$(jq .messages <<<"$stats")" == "$3" ]] || die "$2 round $1: the sink has $(jq .messages <<<"$stats") messages, want $3"
	[[ "$(jq .duplicates <<<"$stats")" == 0 ]] || die "$2 round $1: $(jq .duplicates <<<"$stats") duplicate Message-IDs"
	curl -fsS -X POST "$ctl/reset"
}

bare=() adapter=()
for ((r = 1; r <= ROUNDS; r++)); do
	log "round $r/$ROUNDS: bare loop, $MESSAGES messages over $POOL connections"
	"$REOS_BIN/smtpsink" bare -addr "127.0.0.1:$SMTP_PORT" -n "$MESSAGES" -conns "$POOL" | tee "$out/bare-$r.json"
	bare+=("$(jq .msg_per_sec "$out/bare-$r.json")")
	check_sink "$r" bare "$MESSAGES"

	log "round $r/$ROUNDS: SMTP adapter, $MESSAGES messages through a pool of $POOL"
	(cd "$REOS_ROOT/services/outreach" &&
		REOS_BENCH_SMTP_ADDR="127.0.0.1:$SMTP_PORT" REOS_BENCH_SMTP_POOL="$POOL" \
			go test -run '^$' -bench '^BenchmarkSMTPAdapter$' -benchtime "${MESSAGES}x" -count 1 ./internal/provider/) |
		tee "$out/adapter-$r.txt"
	adapter+=("$(awk '/^BenchmarkSMTPAdapter/ { for (i = 1; i < NF; i++) if ($(i + 1) == "msg/s") print $i }' "$out/adapter-$r.txt")")
	# The testing package runs a benchmark once with b.N=1 before the real run.
	check_sink "$r" adapter "$((MESSAGES + 1))"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bare_med="$(median "${bare[@]}")"
adapter_med="$(median "${adapter[@]}")"
ratio="$(awk -v a="$adapter_med" -v b="$bare_med" 'BEGIN { printf "%.3f", a / b }')"

log "pacing: N=$PACE_N msg/s for $PACE_SECONDS s"
(cd "$REOS_ROOT/services/outreach" &&
	REOS_BENCH_PACE_N="$PACE_N" REOS_BENCH_PACE_SECONDS="$PACE_SECONDS" \
		go test -run '^$' -bench '^BenchmarkPacing$' -benchtime 1x -count 1 ./internal/provider/) | tee "$out/pacing.txt"
pace_metric() { awk -v m="$1" '/^BenchmarkPacing/ { for (i = 1; i < NF; i++) if ($(i + 1) == m) print $i }' "$out/pacing.txt"; }

jq -n --argjson messages "$MESSAGES" --argjson pool "$POOL" \
	--argjson bare "$(printf '%s\n' "${bare[@]}" | jq -s .)" --argjson adapter "$(printf '%s\n' "${adapter[@]}" | jq -s .)" \
	--argjson bare_median "$bare_med" --argjson adapter_median "$adapter_med" --argjson ratio "$ratio" \
	--argjson pace_n "$PACE_N" --argjson achieved_over_n "$(pace_metric achieved/N)" \
	--argjson pace_429s "$(pace_metric 429s)" --argjson max_429_run "$(pace_metric max-429-run)" \
	'{smtp: {messages: $messages, pool: $pool, bare_msg_per_sec: $bare, adapter_msg_per_sec: $adapter,
	         bare_median: $bare_median, adapter_median: $adapter_median, ratio: $ratio,
	         goals_met: ($adapter_median >= 4500 and $ratio >= 0.7)},
	  pacing: {n: $pace_n, achieved_over_n: $achieved_over_n, responses_429: $pace_429s, longest_429_run: $max_429_run,
	           goals_met: ($achieved_over_n >= 0.95 and $achieved_over_n <= 1.0 and $max_429_run <= 1)}}' |
	tee "$out/results.json"
ok "bare $bare_med msg/s, adapter $adapter_med msg/s, ratio $ratio; pacing $(pace_metric achieved/N) of N ($(pace_metric 429s) × 429)"
