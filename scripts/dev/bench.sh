#!/usr/bin/env bash
# `make bench`: the Go benchmarks of every module (no tests), one module after
# the other, then scripts/bench/ if it exists (scripts/bench/run.sh, or each
# executable *.sh there and each executable <bench>/run.sh, in name order).
# The infrastructure is started first because some benchmarks use Postgres,
# Redis or the broker.
set -euo pipefail
# shellcheck source=scripts/dev/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dev="$REOS_ROOT/scripts/dev"
ensure_go
ensure_state_dirs
bash "$dev/infra-up.sh" >/dev/null
bash "$dev/build.sh" >/dev/null

export REOS_TEST_PG_URL="$REOS_PG_ADMIN_URL"
export REOS_TEST_REDIS_URL="$REOS_REDIS_URL"
export REOS_TEST_KAFKA_BROKERS="$REOS_KAFKA_BROKERS"
export REOS_STATE_DIR="$REOS_STATE"
export REOS_BIN_DIR="$REOS_BIN"

out="$REOS_STATE/bench"
mkdir -p "$out"
result="$out/go-bench.txt"
: >"$result"
read -ra extra_flags <<<"${BENCH_FLAGS:-}"

failed=()
mapfile -t modules < <(go_modules)
for mod in "${modules[@]}"; do
	module_empty "$mod" && continue
	log "benchmarks ($mod)"
	(cd "$REOS_ROOT/$mod" && go test -run='^$' -bench=. -benchmem -p 1 "${extra_flags[@]}" ./... 2>&1) |
		tee -a "$result" || failed+=("$mod")
done
ok "go benchmark output in ${result#"$REOS_ROOT"/} (compare runs with benchstat)"

bench_dir="$REOS_ROOT/scripts/bench"
if [[ -d "$bench_dir" ]]; then
	if [[ -x "$bench_dir/run.sh" ]]; then
		log "scripts/bench/run.sh"
		"$bench_dir/run.sh" || failed+=(scripts/bench/run.sh)
	else
		for script in "$bench_dir"/*.sh "$bench_dir"/*/run.sh; do
			[[ -x "$script" ]] || continue
			log "${script#"$REOS_ROOT"/}"
			"$script" || failed+=("${script#"$REOS_ROOT"/}")
		done
	fi
fi

((${#failed[@]} == 0)) || die "benchmarks failed: ${failed[*]}"
